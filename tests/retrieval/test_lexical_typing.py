"""Lexical matching of what people type: half-typed last words and hyphenated words."""

from __future__ import annotations

from retrieval.lexical import LexicalIndex, find_term_spans, tokenize


def _index(*texts: str) -> LexicalIndex:
    index = LexicalIndex()
    for key, text in enumerate(texts, 1):
        index.add(key, text)
    return index


def test_hyphenated_word_yields_its_parts_and_the_parts_joined():
    # "Wi-Fi" is written three ways; indexing the parts and "wifi" lets each find the others.
    assert tokenize("Wi-Fi") == ["wi", "fi", "wifi"]


def test_unhyphenated_query_finds_a_hyphenated_title():
    index = _index("Thermostat won't connect to Wi-Fi", "Charge the earbuds")
    assert [key for key, _ in index.search("wifi")] == [1]


def test_hyphenated_query_finds_an_unhyphenated_word():
    index = _index("Set up email alerts", "Charge the earbuds")
    assert [key for key, _ in index.search("e-mail")] == [1]


def test_a_hyphenated_word_is_highlighted_as_one_span():
    text = "Reconnect the Wi-Fi now"
    spans = find_term_spans(text, ["wi", "fi", "wifi"])
    assert [text[start:end] for start, end in spans] == ["Wi-Fi"]


def test_half_typed_last_word_finds_the_titles_it_begins():
    index = _index("Pair Pulse earbuds over Bluetooth", "Factory reset the Nimbus thermostat", "Warranty and returns")
    assert [key for key, _ in index.search("earb")] == [1]
    assert [key for key, _ in index.search("thermo")] == [2]


def test_a_completed_prefix_counts_as_a_full_match():
    # "earb" can only mean "earbuds" here, so the unit matches every query term: strength 1,
    # as the whole word would give.
    index = _index("Pair Pulse earbuds over Bluetooth", "Warranty and returns")
    assert index.score_query("earb").strength(1) == index.score_query("earbuds").strength(1)


def test_only_the_last_word_is_completed():
    # "earb" as the first word is a finished (unknown) word: nothing completes it.
    index = _index("Pair Pulse earbuds over Bluetooth", "Reset the thermostat")
    assert index.search("earb thermostat")[0][0] == 2
    assert index.score_query("earb thermostat").strength(1) == 0.0


def test_two_letters_are_too_few_to_complete():
    index = _index("Pair Pulse earbuds over Bluetooth")
    assert index.search("ea") == []


def test_a_known_word_prefers_itself_over_its_completions():
    # "card" is a word of the index and the start of "cardholder": the exact word ranks first,
    # the completion still matches, below it.
    index = _index("Order a new cardholder wallet", "Card payment declined")
    assert [key for key, _ in index.search("card")] == [2, 1]


def test_matched_terms_name_the_completion_found():
    index = _index("Factory reset the Nimbus thermostat")
    assert index.score_query("reset thermo").matched_terms(1) == ["reset", "thermostat"]


def test_completions_can_be_switched_off():
    index = _index("Pair Pulse earbuds over Bluetooth")
    assert index.score_query("earb", complete_last=False).strength(1) == 0.0


def test_removed_terms_are_not_completed():
    index = _index("Pair Pulse earbuds over Bluetooth", "Reset the thermostat")
    index.remove([1])
    assert index.completions("earb") == []
    assert index.search("earb") == []


def test_completions_follow_terms_added_after_a_lookup():
    index = _index("Reset the thermostat")
    assert index.completions("earb") == []
    index.add(2, "Pair Pulse earbuds")
    assert index.completions("earb") == ["earbud"]


def test_completions_survive_the_vocabulary_being_sorted_again(monkeypatch):
    # New terms wait in a small set until there are enough to sort into the vocabulary; a sort
    # after every added term must give the same completions as the set does.
    import retrieval.lexical as lexical

    monkeypatch.setattr(lexical, "VOCABULARY_MERGE_EVERY", 0)
    index = _index("Pair Pulse earbuds", "Earplugs for sleeping", "Reset the thermostat")
    index.remove([3])
    assert sorted(index.completions("ear")) == ["earbud", "earplug"]
    assert index.completions("therm") == []
