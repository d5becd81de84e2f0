"""Inflected Polish: a word matches its other forms through a shared stem (see STEM_CHARS)."""

from __future__ import annotations

import pytest

from retrieval.engine import IndexedDocument, SearchEngine, SearchMode
from retrieval.lexical import LexicalIndex, stem_of

CHARGING = IndexedDocument(
    "article:1:pl",
    "pl",
    "Słuchawki nie ładują się",
    body_markdown="Jeśli słuchawki nie ładują się w etui, wyjmij je i wyczyść styki suchą szmatką. "
    "Sprawdź, czy kabel jest dobrze podłączony do zasilacza. Ładowanie do pełna trwa około dwóch godzin, "
    "a dioda na etui świeci wtedy na zielono.",
)
PAIRING = IndexedDocument(
    "article:2:pl",
    "pl",
    "Parowanie słuchawek z telefonem",
    body_markdown="Otwórz etui i przytrzymaj przycisk przez trzy sekundy, aż dioda zacznie migać. "
    "Na telefonie włącz Bluetooth i wybierz słuchawki z listy urządzeń. Parowanie trzeba wykonać tylko raz.",
)
BATTERY = IndexedDocument(
    "article:4:pl",
    "pl",
    "Bateria termostatu",
    body_markdown="Termostat zasilany jest dwiema bateriami AA. Wymień baterie, gdy na wyświetlaczu pojawi się "
    "ikona pustej baterii. Po wymianie ustawienia harmonogramu zostają zachowane.",
)


@pytest.mark.parametrize(
    ("term", "stem"),
    [
        ("ladowaniem", "ladow"),  # the first five letters of a long word
        ("sluchawek", "sluch"),
        ("karta", "karta"),  # exactly five letters: the word is its own stem
        ("sie", None),  # short words match only as they are
        ("2024", None),  # numbers too
        ("หูฟัง", None),  # Thai segments are words already
    ],
)
def test_stem_is_the_first_five_letters_of_a_long_alphabetic_term(term, stem):
    assert stem_of(term) == stem


def test_a_case_form_matches_another_case_form_of_the_word():
    # "baterii" (genitive) and "baterie"/"bateriami" share "bater"; "termostacie" (locative) and
    # "termostatu" (genitive) share "termo": no exact word of the query is in the text.
    index = LexicalIndex()
    index.add(1, "Wymień baterie termostatu")
    index.add(2, "Parowanie słuchawek z telefonem")
    assert [key for key, _ in index.search("baterii termostacie")] == [1]


def test_the_form_typed_is_reported_as_the_one_in_the_text():
    # Highlighting marks the words of the text, so the matched term is the text's own form.
    index = LexicalIndex()
    index.add(1, "Wymień baterie termostatu")
    assert index.score_query("baterii").matched_terms(1) == ["baterie"]


def test_words_with_different_stems_still_do_not_match():
    index = LexicalIndex()
    index.add(1, "Parowanie słuchawek z telefonem")
    assert index.search("ładowanie") == []


def test_inflected_query_finds_the_charging_article(e5):
    # "ładowanie słuchawek": the pairing article holds "słuchawek" exactly (in its title), the
    # charging article only "słuchawki" and "Ładowanie". Matching "słuchawek" by its stem credits
    # the charging article with both words, which is what the question is about.
    engine = SearchEngine(e5)
    engine.add([CHARGING, PAIRING, BATTERY])
    results = engine.search("ładowanie słuchawek", query_language="pl", limit=3, mode=SearchMode.HYBRID).results
    assert results[0].doc_id == CHARGING.doc_id
