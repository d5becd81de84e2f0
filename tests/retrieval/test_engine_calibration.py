"""The engine's results carry their fusion parts, and each result's confidence is its language pair's
calibration (query language x the result's locale). Expected confidences are worked out here from
the calibrations' coefficients, not by the code under test."""

from __future__ import annotations

import math

import pytest

from retrieval.embedders import Embedder
from retrieval.engine import IndexedDocument, SearchEngine, SearchMode
from retrieval.ranking import DEFAULT_CALIBRATIONS, PAIR_CALIBRATIONS, Calibration, FusionConfig

# Made-up coefficients far apart, so the two pairs cannot be mistaken for each other.
THAI_THAI = Calibration(intercept=-9.0, w_score=12.0, w_margin=6.0, w_lexical=2.0, threshold=0.7)
THAI_ENGLISH = Calibration(intercept=-3.0, w_score=5.0, w_margin=2.0, w_lexical=0.0, threshold=0.3)

THAI_CHARGING = IndexedDocument(
    doc_id="article:1:th", locale="th", title="หูฟังชาร์จไม่เข้า", body_markdown="ใส่หูฟังในเคสแล้วตรวจสอบสายชาร์จ"
)
ENGLISH_CHARGING = IndexedDocument(
    doc_id="article:2:en",
    locale="en",
    title="Earbuds are not charging",
    body_markdown="Put the earbuds in the case and check the cable.",
)
THREAD = IndexedDocument(
    doc_id="thread:3:en",
    locale="en",
    title="My earbuds stopped charging",
    body_markdown="They do not charge in the case.",
    kind="thread",
    boost=0.94,
)


def logistic(calibration: Calibration, score: float, margin: float, strength: float) -> float:
    z = (
        calibration.intercept
        + calibration.w_score * score
        + calibration.w_margin * margin
        + calibration.w_lexical * strength
    )
    return 1.0 / (1.0 + math.exp(-z))


@pytest.fixture
def engine(e5: Embedder) -> SearchEngine:
    fusion = FusionConfig(pair_calibrations={e5.id: {SearchMode.HYBRID: {"th>th": THAI_THAI, "th>en": THAI_ENGLISH}}})
    engine = SearchEngine(e5, fusion=fusion)
    engine.add([THAI_CHARGING, ENGLISH_CHARGING, THREAD])
    return engine


def by_id(response):
    return {result.doc_id: result for result in response.results}


def test_thai_query_uses_the_thai_pair_on_a_thai_article(engine):
    result = by_id(engine.search("หูฟังชาร์จไม่ได้", query_language="th", limit=3))["article:1:th"]
    expected = logistic(THAI_THAI, result.score, result.margin, result.lexical_strength)
    assert (result.confidence, result.threshold) == (pytest.approx(expected), THAI_THAI.threshold)


def test_thai_query_uses_the_cross_pair_on_an_english_article(engine):
    result = by_id(engine.search("หูฟังชาร์จไม่ได้", query_language="th", limit=3))["article:2:en"]
    expected = logistic(THAI_ENGLISH, result.score, result.margin, result.lexical_strength)
    assert (result.confidence, result.threshold) == (pytest.approx(expected), THAI_ENGLISH.threshold)


def test_a_query_of_unknown_language_uses_the_routes_calibration(engine, e5):
    result = engine.search("หูฟังชาร์จไม่ได้", limit=3).results[0]
    route = DEFAULT_CALIBRATIONS[e5.id][SearchMode.HYBRID]
    assert result.confidence == pytest.approx(logistic(route, result.score, result.margin, result.lexical_strength))


def test_answered_follows_the_top_results_own_threshold(engine):
    response = engine.search("หูฟังชาร์จไม่ได้", query_language="th", limit=3)
    top = response.results[0]
    assert response.answered is (top.confidence >= top.threshold)


def test_score_is_its_parts_times_the_boost(engine):
    # Hybrid fusion adds the lexical strength with FusionConfig's default weight, 0.1.
    thread = by_id(engine.search("earbuds not charging in the case", query_language="en", limit=3))["thread:3:en"]
    assert thread.boost == 0.94
    assert thread.lexical_part == pytest.approx(0.1 * thread.lexical_strength)
    assert thread.score == pytest.approx((thread.dense_part + thread.lexical_part) * 0.94)


def test_margin_is_over_the_runner_up(engine):
    results = engine.search("earbuds not charging in the case", query_language="en", limit=3).results
    assert results[0].margin == pytest.approx(results[0].score - results[1].score)


def test_every_pair_of_the_five_languages_is_calibrated_for_the_default_embedder(e5):
    languages = ("en", "pl", "id", "tl", "th")
    tuned = PAIR_CALIBRATIONS[e5.id][SearchMode.HYBRID]
    assert {f"{query}>{doc}" for query in languages for doc in languages} <= set(tuned)
