"""rank_entities: one entry per article or thread, comparable across languages, with the
confidence of its language pair. Synthetic results, so every expected figure is worked out here."""

from __future__ import annotations

import math

import pytest

from retrieval.documents import SearchResult, UnitKind
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
    z = (
        calibration.intercept
        + calibration.w_score * score
        + calibration.w_margin * margin
        + calibration.w_lexical * strength
    )
    return 1.0 / (1.0 + math.exp(-z))


LEXICAL_WEIGHT = 0.1  # FusionConfig's default weight of lexical strength in hybrid fusion


def version(
    doc_id: str, dense_part: float, lexical_strength: float = 0.0, boost: float = 1.0, source: bool = False
) -> SearchResult:
    """A SearchResult as the engine makes it: score = (dense part + lexical part) x boost."""
    lexical_part = LEXICAL_WEIGHT * lexical_strength
    return SearchResult(
        doc_id=doc_id,
        score=(dense_part + lexical_part) * boost,
        confidence=0.0,
        snippet="",
        snippet_kind=UnitKind.TITLE,
        matched_terms=[],
        dense_score=dense_part,
        lexical_strength=lexical_strength,
        locale=doc_id.rsplit(":", 1)[1],
        title="",
        kind=doc_id.split(":", 1)[0],
        extra={"is_source": True} if source else {},
        dense_part=dense_part,
        lexical_part=lexical_part,
        boost=boost,
    )


def rank(results, query_language="pl", preferred=None):
    return rank_entities(
        results,
        preferred or query_language,
        config=config(),
        route=ROUTE,
        mode=SearchMode.HYBRID,
        query_language=query_language,
    )


def test_no_results_rank_nothing():
    assert rank([]) == []


def test_versions_of_one_article_become_one_entity():
    ranked = rank(
        [
            version("article:1:en", 0.80, source=True),
            version("article:1:pl", 0.86),
            version("article:2:en", 0.70, source=True),
        ]
    )
    assert [entity.key for entity in ranked] == ["article:1", "article:2"]


def test_translation_in_the_query_language_loses_its_measured_pull():
    # Article 1 has both versions: the Polish one scores 0.08 more, the query's pull towards Polish.
    # Article 2 exists in Polish only; its 0.84 is worth 0.84 - 0.08 = 0.76 in English terms,
    # below article 3's English 0.78, although its raw score is the highest of all.
    results = [
        version("article:1:en", 0.70, source=True),
        version("article:1:pl", 0.78),
        version("article:2:pl", 0.84),
        version("article:3:en", 0.78, source=True),
    ]
    ranked = rank(results)
    assert [entity.key for entity in ranked][:2] == ["article:3", "article:2"]
    assert ranked[1].score == pytest.approx(0.84 - 0.08)


def test_default_pull_applies_when_nothing_measures_it():
    # 0.85 - 0.06 = 0.79 still beats the English 0.75; the raw 0.85 is not what ranks it.
    ranked = rank([version("article:1:en", 0.75, source=True), version("article:2:pl", 0.85)])
    assert ranked[0].key == "article:2" and ranked[0].score == pytest.approx(0.85 - DEFAULT_LANGUAGE_OFFSET)


def test_forum_boost_counts_in_the_entity_score():
    # Two Polish threads for a Polish query (threads are never sources): both lose the default
    # pull, then their boosts apply; the accepted answer (1.01) overtakes the unanswered thread
    # (0.94) whose text is closer.
    unanswered = version("thread:1:pl", 0.85, lexical_strength=0.4, boost=0.94)
    accepted = version("thread:2:pl", 0.82, lexical_strength=0.4, boost=1.01)
    ranked = rank([unanswered, accepted, version("article:9:en", 0.30, source=True)])
    assert [entity.key for entity in ranked][:2] == ["thread:2", "thread:1"]
    assert ranked[0].score == pytest.approx((0.82 - DEFAULT_LANGUAGE_OFFSET) * 1.01)
    assert ranked[1].score == pytest.approx((0.85 - DEFAULT_LANGUAGE_OFFSET) * 0.94)


def test_the_preferred_language_is_shown_when_close():
    ranked = rank([version("article:1:en", 0.80, source=True), version("article:1:pl", 0.78)])
    assert ranked[0].shown.doc_id == "article:1:pl"


def test_margin_is_over_the_next_entity_not_over_a_translation():
    ranked = rank(
        [
            version("article:1:en", 0.90, source=True),
            version("article:1:tl", 0.89),
            version("article:2:en", 0.70, source=True),
        ],
        query_language="pl",
    )
    assert ranked[0].margin == pytest.approx(0.90 - 0.70)


def test_same_language_result_uses_its_pairs_calibration():
    # A Polish article that is its own source: its score is on the pl>pl scale.
    ranked = rank(
        [version("article:1:pl", 0.88, lexical_strength=0.5, source=True), version("article:2:pl", 0.80, source=True)]
    )
    top = ranked[0]
    score = (0.88 + 0.1 * 0.5) * 1.0
    assert top.calibrated_as == "pl>pl"
    assert top.confidence == pytest.approx(logistic(SAME_LANGUAGE, score, score - 0.80, 0.5))
    assert top.threshold == SAME_LANGUAGE.threshold


def test_cross_language_result_uses_its_pairs_calibration():
    ranked = rank([version("article:1:en", 0.84, source=True), version("article:2:en", 0.80, source=True)])
    top = ranked[0]
    assert top.calibrated_as == "pl>en"
    assert top.confidence == pytest.approx(logistic(CROSS_LANGUAGE, 0.84, 0.84 - 0.80, 0.0))
    assert top.confident is (top.confidence >= CROSS_LANGUAGE.threshold)


def test_corrected_translation_is_judged_on_the_sources_scale():
    # The Polish version of an English article, less its pull, stands for the English one:
    # pl>en applies. (The raw ranking disagrees here, so the raw pl>pl figure does not count.)
    results = [
        version("article:1:en", 0.60, source=True),
        version("article:1:pl", 0.70),
        version("article:2:pl", 0.90),
        version("article:3:en", 0.64, source=True),
    ]
    ranked = rank(results)
    top = ranked[0]
    expected_score = 0.90 - (0.70 - 0.60)
    assert (top.key, top.calibrated_as) == ("article:2", "pl>en")
    assert top.confidence == pytest.approx(logistic(CROSS_LANGUAGE, expected_score, expected_score - 0.64, 0.0))


def test_a_pair_without_its_own_calibration_uses_the_routes():
    ranked = rank([version("article:1:en", 0.84, source=True)], query_language="th")
    assert ranked[0].confidence == pytest.approx(logistic(FALLBACK, 0.84, 0.84, 0.0))
