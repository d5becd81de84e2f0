"""Taking one person out of text others wrote: their quoted words, names and addresses."""

from __future__ import annotations

from privacy.scrubbing import ERASED, Scrubber

THEIR_TEXT = "Since Monday the walnut dial glows aubergine and the heating stays off."


def scrubber(**overrides) -> Scrubber:
    values = {"names": ["Philippa Quenneville"], "addresses": ["pq@example.org"], "own_texts": [THEIR_TEXT]}
    values.update(overrides)
    return Scrubber(**values)


def test_five_of_their_words_in_a_row_are_replaced_whatever_the_case_and_spacing():
    quoted = "You wrote: THE walnut  dial\nglows, aubergine. We will look."
    assert scrubber().text(quoted) == f"You wrote: {ERASED}. We will look."


def test_four_of_their_words_in_a_row_are_not_theirs_alone():
    assert scrubber().text("So the heating stays off? Odd.") == "So the heating stays off? Odd."


def test_their_name_and_address_are_replaced_by_the_anonymisers_marks():
    assert scrubber().text("Dear Philippa, write to PQ@Example.org.") == "Dear [name], write to [email]."


def test_every_string_in_a_json_value_is_scrubbed():
    assert scrubber().json({"to": ["pq@example.org"], "count": 2}) == {"to": ["[email]"], "count": 2}
