"""rank_entities: one entry per article or thread, comparable across languages, with the
confidence of its language pair. Synthetic results, so every expected figure is worked out here."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pytest

from retrieval.ranking import (
    DEFAULT_LANGUAGE_OFFSET,
    Calibration,
    FusionConfig,
    SearchMode,
    rank_entities,
)

ROUTE = "test-route"
# Two deliberately different calibrations, so a test can tell which one was used.
SAME_LANGUAGE = Calibration(intercept=-8.0, w_score=10.0, w_margin=5.0, w_lexical=1.0, threshold=0.6)
CROSS_LANGUAGE = Calibration(intercept=-5.0, w_score=9.0, w_margin=4.0, w_lexical=0.0, threshold=0.4)
FALLBACK = Calibration(intercept=-1.0, w_score=1.0, w_margin=1.0, w_lexical=1.0, threshold=0.9)


def config() -> FusionConfig:
    return FusionConfig(
        calibrations={ROUTE: {mode: FALLBACK for mode in SearchMode}},
        pair_calibrations={ROUTE: {SearchMode.HYBRID: {"pl>pl": SAME_LANGUAGE, "pl>en": CROSS_LANGUAGE}}},
    )


def logistic(calibration: Calibration, score: float, margin: float, strength: float) -> float:
    z = calibration.intercept + calibration.w_score * score + calibration.w_margin * margin + calibration.w_lexical * strength
    return 1.0 / (1.0 + math.exp(-z))


@dataclass
class Result:
    """The fields of retrieval.documents.SearchResult that rank_entities reads."""

    doc_id: str
    dense_part: float
    lexical_strength: float = 0.0
    boost: float = 1.0
    source: bool = False
    lexical_weight: float = 0.1
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.locale = self.doc_id.rsplit(":", 1)[1]
        self.lexical_part = self.lexical_weight * self.lexical_strength
        self.score = (self.dense_part + self.lexical_part) * self.boost
        if self.source:
            self.extra = {**self.extra, "is_source": True}


def rank(results, query_language="pl", preferred=None):
    return rank_entities(
        results, preferred or query_language, config=config(), route=ROUTE, mode=SearchMode.HYBRID,
        query_language=query_language,
    )


def test_no_results_rank_nothing():
    assert rank([]) == []


def test_versions_of_one_article_become_one_entity():
    ranked = rank([Result("article:1:en", 0.80, source=True), Result("article:1:pl", 0.86), Result("article:2:en", 0.70, source=True)])
    assert [entity.key for entity in ranked] == ["article:1", "article:2"]


def test_translation_in_the_query_language_loses_its_measured_pull():
    # Article 1 has both versions: the Polish one scores 0.08 more, the query's pull towards Polish.
    # Article 2 exists in Polish only; its 0.84 is worth 0.84 - 0.08 = 0.76 in English terms,
    # below article 3's English 0.78, although its raw score is the highest of all.
    results = [
        Result("article:1:en", 0.70, source=True),
        Result("article:1:pl", 0.78),
        Result("article:2:pl", 0.84),
        Result("article:3:en", 0.78, source=True),
    ]
    ranked = rank(results)
    assert [entity.key for entity in ranked][:2] == ["article:3", "article:2"]
    assert ranked[1].score == pytest.approx(0.84 - 0.08)


def test_default_pull_applies_when_nothing_measures_it():
    # 0.85 - 0.06 = 0.79 still beats the English 0.75; the raw 0.85 is not what ranks it.
    ranked = rank([Result("article:1:en", 0.75, source=True), Result("article:2:pl", 0.85)])
    assert ranked[0].key == "article:2" and ranked[0].score == pytest.approx(0.85 - DEFAULT_LANGUAGE_OFFSET)


def test_forum_boost_counts_in_the_entity_score():
    # Two Polish threads for a Polish query (threads are never sources): both lose the default
    # pull, then their boosts apply; the accepted answer (1.01) overtakes the unanswered thread
    # (0.94) whose text is closer.
    unanswered = Result("thread:1:pl", 0.85, lexical_strength=0.4, boost=0.94)
    accepted = Result("thread:2:pl", 0.82, lexical_strength=0.4, boost=1.01)
    ranked = rank([unanswered, accepted, Result("article:9:en", 0.30, source=True)])
    assert [entity.key for entity in ranked][:2] == ["thread:2", "thread:1"]
    assert ranked[0].score == pytest.approx((0.82 - DEFAULT_LANGUAGE_OFFSET) * 1.01)
    assert ranked[1].score == pytest.approx((0.85 - DEFAULT_LANGUAGE_OFFSET) * 0.94)


def test_the_preferred_language_is_shown_when_close():
    ranked = rank([Result("article:1:en", 0.80, source=True), Result("article:1:pl", 0.78)])
    assert ranked[0].shown.doc_id == "article:1:pl"


def test_margin_is_over_the_next_entity_not_over_a_translation():
    ranked = rank([Result("article:1:en", 0.90, source=True), Result("article:1:tl", 0.89), Result("article:2:en", 0.70, source=True)], query_language="pl")
    assert ranked[0].margin == pytest.approx(0.90 - 0.70)


def test_same_language_result_uses_its_pairs_calibration():
    # A Polish article that is its own source: its score is on the pl>pl scale.
    ranked = rank([Result("article:1:pl", 0.88, lexical_strength=0.5, source=True), Result("article:2:pl", 0.80, source=True)])
    top = ranked[0]
    score = (0.88 + 0.1 * 0.5) * 1.0
    assert top.calibrated_as == "pl>pl"
    assert top.confidence == pytest.approx(logistic(SAME_LANGUAGE, score, score - 0.80, 0.5))
    assert top.threshold == SAME_LANGUAGE.threshold


def test_cross_language_result_uses_its_pairs_calibration():
    ranked = rank([Result("article:1:en", 0.84, source=True), Result("article:2:en", 0.80, source=True)])
    top = ranked[0]
    assert top.calibrated_as == "pl>en"
    assert top.confidence == pytest.approx(logistic(CROSS_LANGUAGE, 0.84, 0.84 - 0.80, 0.0))
    assert top.confident is (top.confidence >= CROSS_LANGUAGE.threshold)


def test_corrected_translation_is_judged_on_the_sources_scale():
    # The Polish version of an English article, less its pull, stands for the English one:
    # pl>en applies. (The raw ranking disagrees here, so the raw pl>pl figure does not count.)
    results = [
        Result("article:1:en", 0.60, source=True),
        Result("article:1:pl", 0.70),
        Result("article:2:pl", 0.90),
        Result("article:3:en", 0.64, source=True),
    ]
    ranked = rank(results)
    top = ranked[0]
    expected_score = 0.90 - (0.70 - 0.60)
    assert (top.key, top.calibrated_as) == ("article:2", "pl>en")
    assert top.confidence == pytest.approx(logistic(CROSS_LANGUAGE, expected_score, expected_score - 0.64, 0.0))


def test_a_pair_without_its_own_calibration_uses_the_routes():
    ranked = rank([Result("article:1:en", 0.84, source=True)], query_language="th")
    assert ranked[0].confidence == pytest.approx(logistic(FALLBACK, 0.84, 0.84, 0.0))
