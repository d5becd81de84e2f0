"""Fusion of dense and lexical evidence, confidence, and collapsing one article's locales.

A document's dense score comes from its units (title, each question it answers, each body chunk):
mostly the best unit's similarity, partly the runner-up's (see ``aggregate_units``). Lexical
evidence enters as BM25 *strength* (the score relative to matching every query term once; see
``retrieval.lexical``), added with a small weight. A query in another language than the article
matches no terms, adds nothing and leaves the dense ranking intact, where reciprocal-rank fusion
would mix in a lexical ranking that means nothing. Confidence is a logistic function of the fused
score, its margin over the runner-up and the lexical strength, calibrated per scoring route.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    import numpy as np


F = TypeVar("F", float, "np.ndarray")


class SearchMode(StrEnum):
    LEXICAL = "lexical"
    DENSE = "dense"
    HYBRID = "hybrid"


class LexicalScope(StrEnum):
    UNIT = "unit"
    DOCUMENT = "document"
    MAX = "max"


@dataclass(frozen=True)
class Calibration:
    """confidence = sigmoid(intercept + w_score*score + w_margin*margin + w_lexical*strength)."""

    intercept: float
    w_score: float
    w_margin: float
    w_lexical: float
    threshold: float  # answered when the top result's confidence reaches this

    def confidence(self, score: float, margin: float, strength: float) -> float:
        z = self.intercept + self.w_score * score + self.w_margin * margin + self.w_lexical * strength
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


E5_ROUTE = "e5:multilingual-e5-small-q4"
MINILM_ROUTE = "st:all-MiniLM-L6-v2"
HYBRID_ENGLISH_ROUTE = "hybrid:e5:multilingual-e5-small-q4+st:all-MiniLM-L6-v2"

# Confidence calibrations per scoring route (see retrieval.embedders.RoutedEmbedder; a plain
# embedder's route is its id) and mode, for the FusionConfig defaults below. Tuned with
#   python bench/eval_retrieval.py --tune --embedder hybrid --lexical-weight 0.1 --second-unit-weight 0.3
#   python bench/eval_retrieval.py --tune --embedder minilm --lexical-weight 0.1 --second-unit-weight 0.3
# on clinc150 val + oos_val only (never test): a logistic regression of "the top result is right"
# on (score, margin, lexical strength), oos_val weighted x10, then the lowest threshold at which
# >= 0.85 of oos_val is declined and >= 0.93 of answered val queries are right. In hybrid mode on
# val that answers 0.86 (hybrid English route), 0.77 (e5) and 0.86 (MiniLM) of in-scope queries
# and declines 0.94 / 0.96 / 0.94 of out-of-scope ones. The e5 route is also the hybrid embedder's
# route for non-English queries (its scores are then exactly e5's); it is calibrated on English
# queries, the only labelled out-of-scope data there is.
_LEXICAL = Calibration(intercept=-3.739, w_score=2.015, w_margin=7.596, w_lexical=2.015, threshold=0.66)
DEFAULT_CALIBRATIONS: dict[str, dict[SearchMode, Calibration]] = {
    HYBRID_ENGLISH_ROUTE: {
        SearchMode.LEXICAL: _LEXICAL,
        SearchMode.DENSE: Calibration(intercept=-13.006, w_score=14.73, w_margin=18.666, w_lexical=2.819, threshold=0.54),
        SearchMode.HYBRID: Calibration(intercept=-15.45, w_score=18.764, w_margin=17.692, w_lexical=-0.5, threshold=0.52),
    },
    E5_ROUTE: {
        SearchMode.LEXICAL: _LEXICAL,
        SearchMode.DENSE: Calibration(intercept=-20.737, w_score=21.432, w_margin=25.984, w_lexical=3.653, threshold=0.73),
        SearchMode.HYBRID: Calibration(intercept=-26.077, w_score=28.427, w_margin=30.085, w_lexical=-1.124, threshold=0.64),
    },
    MINILM_ROUTE: {
        SearchMode.LEXICAL: _LEXICAL,
        SearchMode.DENSE: Calibration(intercept=-5.397, w_score=6.001, w_margin=10.01, w_lexical=3.027, threshold=0.51),
        SearchMode.HYBRID: Calibration(intercept=-5.565, w_score=6.945, w_margin=9.471, w_lexical=1.623, threshold=0.5),
    },
}
# Routes without their own calibration (e.g. an "st:" model nobody tuned) borrow e5's; their
# confidences are then only roughly meaningful until tuned with the commands above.
FALLBACK_ROUTE = E5_ROUTE


@dataclass(frozen=True)
class FusionConfig:
    # Weight of lexical strength (0..1) added to the dense similarity in hybrid mode; the share of a
    # document's second-best unit in its dense score (see aggregate_units); where lexical strength
    # comes from: BM25 over the whole "document" (title, questions and body pooled), the best
    # "unit", or the "max" of both. From `python bench/eval_retrieval.py --tune --embedder hybrid`
    # (mean dev recall@1 over banking77, bitext, massive, clinc150 val, sib200 dev):
    #   (0, 0, -) 0.8505; (0.1, 0.3, unit) 0.8675; (0.1, 0.4, unit) 0.8697; (0.1, 0.3, document) 0.8707.
    # 0.3 rather than 0.4: intent-as-article corpora (ten paraphrases per article) reward agreement
    # between units more than real articles, whose units differ.
    lexical_weight: float = 0.1
    second_unit_weight: float = 0.3
    lexical_scope: LexicalScope = LexicalScope.DOCUMENT
    # Units fetched from each side per query, as a multiple of the requested limit (and at least min).
    candidate_factor: int = 20
    min_candidates: int = 100
    calibrations: dict[str, dict[SearchMode, Calibration]] = field(default_factory=lambda: dict(DEFAULT_CALIBRATIONS))

    def calibration(self, route: str, mode: SearchMode) -> Calibration:
        return (self.calibrations.get(route) or self.calibrations[FALLBACK_ROUTE])[mode]


def aggregate_units(similarities: Sequence[float], second_unit_weight: float, missing: float | None = None) -> float:
    """A document's dense score: ``(1 - w) * best + w * second best`` unit similarity.

    A document whose phrasings agree beats one with a single lucky match. ``missing`` stands in for
    a second unit that was not among the retrieved candidates (an upper bound of its similarity);
    a one-unit document counts its only unit twice, so it is neither favoured nor penalised.
    """
    if not similarities:
        return 0.0
    best = max(similarities)
    if second_unit_weight <= 0:
        return best
    if len(similarities) >= 2:
        second = sorted(similarities, reverse=True)[1]
    else:
        second = best if missing is None else min(best, missing)
    return blend_units(best, second, second_unit_weight)


def blend_units(best: F, second: F, second_unit_weight: float) -> F:
    """``(1 - w) * best + w * second`` for floats or numpy arrays alike (``w <= 0``: best)."""
    if second_unit_weight <= 0:
        return best
    return (1.0 - second_unit_weight) * best + second_unit_weight * second


def fuse(dense: F, strength: F, mode: SearchMode, config: FusionConfig) -> F:
    """The fused score (floats or numpy arrays alike)."""
    if mode is SearchMode.DENSE:
        return dense
    if mode is SearchMode.LEXICAL:
        return strength
    return dense + config.lexical_weight * strength


def margins(scores: Sequence[float]) -> list[float]:
    """Each score minus the best *other* score (positive only for a clear winner)."""
    if not scores:
        return []
    if len(scores) == 1:
        return [scores[0]]
    ordered = sorted(scores, reverse=True)
    return [score - (ordered[1] if score >= ordered[0] else ordered[0]) for score in scores]


class Ranked(Protocol):
    doc_id: str
    score: float


R = TypeVar("R", bound=Ranked)


def article_key(doc_id: str) -> str:
    """"article:12:pl" -> "article:12" (the part before the last colon names the article)."""
    return doc_id.rsplit(":", 1)[0] if ":" in doc_id else doc_id


def doc_locale(doc_id: str) -> str:
    return doc_id.rsplit(":", 1)[1] if ":" in doc_id else ""


def collapse_locales(
    results: Sequence[R],
    preferred_locale: str | None,
    *,
    margin: float = 0.05,
    locale_of: Callable[[R], str] | None = None,
) -> list[R]:
    """Keep one result per article: the preferred locale's version when its score is within
    ``margin`` of that article's best version, otherwise the best version. Articles keep the rank
    of their best version."""
    locale_of = locale_of or (lambda result: getattr(result, "locale", None) or doc_locale(result.doc_id))
    groups: dict[str, list[R]] = {}
    for result in results:
        groups.setdefault(article_key(result.doc_id), []).append(result)
    chosen: list[tuple[float, int, R]] = []
    for order, versions in enumerate(groups.values()):
        best = max(versions, key=lambda result: result.score)
        pick = best
        if preferred_locale:
            preferred = [result for result in versions if _same_language(locale_of(result), preferred_locale)]
            if preferred:
                candidate = max(preferred, key=lambda result: result.score)
                if candidate.score >= best.score - margin:
                    pick = candidate
        chosen.append((best.score, order, pick))
    chosen.sort(key=lambda item: (-item[0], item[1]))
    return [pick for _, _, pick in chosen]


def _same_language(locale: str, preferred: str) -> bool:
    def base(tag: str) -> str:
        return tag.lower().replace("_", "-").split("-")[0]

    return locale.lower() == preferred.lower() or base(locale) == base(preferred)
