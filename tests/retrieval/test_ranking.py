"""Ranking helpers: unit aggregation, margins, collapsing an article's locales to the customer's language."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from retrieval.ranking import aggregate_units, article_key, collapse_locales, margins


@dataclass
class Hit:
    doc_id: str
    score: float
    locale: str
    extra: dict = field(default_factory=dict)


def test_customer_locale_is_kept_when_close_to_best():
    hits = [Hit("article:1:en", 0.90, "en"), Hit("article:1:pl", 0.87, "pl"), Hit("article:2:en", 0.80, "en")]
    collapsed = collapse_locales(hits, "pl")
    assert [hit.doc_id for hit in collapsed] == ["article:1:pl", "article:2:en"]


def test_best_locale_is_kept_when_customer_locale_is_far_behind():
    hits = [Hit("article:1:en", 0.90, "en"), Hit("article:1:pl", 0.70, "pl")]
    assert [hit.doc_id for hit in collapse_locales(hits, "pl")] == ["article:1:en"]


def test_region_tags_count_as_the_same_language():
    hits = [Hit("article:1:en", 0.90, "en"), Hit("article:1:pt-BR", 0.88, "pt-BR")]
    assert collapse_locales(hits, "pt")[0].doc_id == "article:1:pt-BR"


def test_a_third_language_translation_gives_way_to_the_default_language():
    # A Polish reader, no Polish version: the Indonesian translation scored best, but the reader is
    # likelier to read the English original (the site's default language).
    hits = [Hit("article:1:id", 0.90, "id"), Hit("article:1:en", 0.80, "en", {"is_source": True})]
    assert collapse_locales(hits, "pl", fallback_locales=("en",))[0].doc_id == "article:1:en"


def test_the_source_version_is_shown_when_no_fallback_language_exists():
    hits = [Hit("article:1:th", 0.90, "th"), Hit("article:1:id", 0.85, "id", {"is_source": True})]
    assert collapse_locales(hits, "pl", fallback_locales=("en",))[0].doc_id == "article:1:id"


def test_the_readers_language_still_wins_over_the_fallback():
    hits = [Hit("article:1:en", 0.90, "en", {"is_source": True}), Hit("article:1:pl", 0.88, "pl")]
    assert collapse_locales(hits, "pl", fallback_locales=("en",))[0].doc_id == "article:1:pl"


def test_the_fallback_choice_keeps_the_articles_rank():
    hits = [
        Hit("article:1:id", 0.90, "id"),
        Hit("article:1:en", 0.60, "en", {"is_source": True}),
        Hit("article:2:en", 0.80, "en", {"is_source": True}),
    ]
    assert [hit.doc_id for hit in collapse_locales(hits, "pl", fallback_locales=("en",))] == [
        "article:1:en",
        "article:2:en",
    ]


def test_article_key_drops_the_locale():
    assert article_key("article:12:pl") == "article:12"


def test_margin_is_positive_only_for_the_winner():
    assert margins([0.9, 0.8, 0.5]) == [0.9 - 0.8, 0.8 - 0.9, 0.5 - 0.9]


def test_document_score_blends_best_and_second_unit():
    assert aggregate_units([0.9, 0.8, 0.1], 0.3) == pytest.approx(0.7 * 0.9 + 0.3 * 0.8)


def test_single_unit_document_is_not_penalised():
    assert aggregate_units([0.9], 0.3) == pytest.approx(0.9)
