"""What agents do with suggestions: inserted, sent with the reply or removed, and the figures from it."""

from __future__ import annotations

import pytest

from aftercare.errors import NotFound
from kb.search.models import SuggestionEventKind
from kb.search.suggestions import (
    MAX_PASSAGE_CHARS,
    article_sections,
    matched_passage,
    record_inserted,
    record_reply_sent,
    record_shown,
    suggest_for_ticket,
    suggestion_quality,
)
from tests.factories import create_staff, create_ticket
from tests.kb.search.factories import EARBUDS, VACUUM, WIFI, published


@pytest.fixture
def suggested(session, keeper):
    for topic in (WIFI, EARBUDS, VACUUM):
        published(session, topic)
    ticket = create_ticket(session)
    found = suggest_for_ticket(session, ticket, keeper=keeper)
    return ticket, found


def test_reply_keeping_the_link_counts_as_sent_with(session, suggested):
    ticket, found = suggested
    agent = create_staff(session)
    record_inserted(session, found.suggestion_ids[0], agent)
    reply = f"Hello! Please follow https://help.example.com{found.results[0].url} and tell us how it went."
    events = record_reply_sent(session, ticket, reply, agent)
    assert [(event.ticket_suggestion_id, event.event) for event in events] == [
        (found.suggestion_ids[0], SuggestionEventKind.SENT_WITH)
    ]


def test_reply_keeping_the_snippet_counts_as_sent_with(session, suggested):
    ticket, found = suggested
    record_inserted(session, found.suggestion_ids[0], None)
    events = record_reply_sent(session, ticket, f"Hi,\n\n{found.results[0].snippet}\n\nBest regards")
    assert [event.event for event in events] == [SuggestionEventKind.SENT_WITH]


def test_inserted_then_deleted_from_the_reply_counts_as_removed(session, suggested):
    ticket, found = suggested
    record_inserted(session, found.suggestion_ids[1], None)
    events = record_reply_sent(session, ticket, "Could you restart the device and try again?")
    assert [event.event for event in events] == [SuggestionEventKind.REMOVED]


def test_suggestions_never_inserted_are_not_judged(session, suggested):
    ticket, _ = suggested
    assert record_reply_sent(session, ticket, "Thanks, we are on it.") == []


def test_a_decided_suggestion_is_not_judged_again_by_a_later_reply(session, suggested):
    ticket, found = suggested
    record_inserted(session, found.suggestion_ids[0], None)
    record_reply_sent(session, ticket, found.results[0].url)
    assert record_reply_sent(session, ticket, "A follow-up without the link.") == []


def test_quality_figures_are_counted_from_events(session, suggested):
    ticket, found = suggested
    record_shown(session, found.suggestion_ids, None)
    record_inserted(session, found.suggestion_ids[0], None)
    record_inserted(session, found.suggestion_ids[1], None)
    record_reply_sent(session, ticket, f"See {found.results[0].url}")
    quality = suggestion_quality(session)
    assert (quality.shown, quality.inserted, quality.sent_with, quality.removed) == (3, 2, 1, 1)
    assert (quality.insert_rate, quality.kept_rate) == (pytest.approx(2 / 3), 0.5)


def test_inserting_an_unknown_suggestion_is_not_found(session):
    with pytest.raises(NotFound):
        record_inserted(session, 999_999, None)


def test_ticket_language_decides_the_preferred_locale(session, keeper):
    from tests.kb.search.factories import polish_translation

    wifi = published(session, WIFI)
    polish_translation(session, wifi)
    ticket = create_ticket(
        session,
        subject="Termostat nie łączy się z Wi-Fi",
        body="Od wczoraj aplikacja pokazuje, że termostat jest offline.",
    )
    found = suggest_for_ticket(session, ticket, keeper=keeper)
    assert ticket.language == "pl" and (found.results[0].article_id, found.results[0].locale) == (wifi.id, "pl")


# ---- the passage "Insert" puts into a reply ----------------------------------------------------

GUIDE = (
    "The Pulse case charges the earbuds three times over.\n\n"
    "## The case does not charge\n\n"
    "Use the USB-C cable from the box and a 5 V adapter.\n"
    "The light blinks amber while it charges.\n\n"
    "## Pairing\n\n"
    "1. Open the lid.\n"
    "2. Hold the button for **3 seconds** until the light flashes white.\n\n"
    "## Cleaning\n\n"
    "```\n## not a heading inside code\n```\n"
    "Wipe the ear tips with a dry cloth."
)
# The same guide in Polish, section for section.
GUIDE_PL = (
    "Etui ładuje słuchawki trzy razy.\n\n"
    "## Etui się nie ładuje\n\nUżyj kabla USB-C z pudełka.\n\n"
    "## Parowanie\n\n1. Otwórz pokrywkę.\n2. Przytrzymaj przycisk przez 3 sekundy.\n\n"
    "## Czyszczenie\n\nPrzetrzyj wkładki suchą ściereczką."
)


def test_sections_split_before_headings_but_not_inside_code():
    sections = article_sections(GUIDE)
    assert [section.split("\n")[0] for section in sections] == [
        "The Pulse case charges the earbuds three times over.",
        "## The case does not charge",
        "## Pairing",
        "## Cleaning",
    ]


def test_passage_is_the_section_holding_the_snippet():
    # The index's snippet of a list: plain text, "•" for the numbers, markup gone, cut with "…".
    snippet = "… • Hold the button for 3 seconds until the light flashes white."
    assert matched_passage(GUIDE, snippet, "how to pair") == (
        "## Pairing\n\n1. Open the lid.\n2. Hold the button for **3 seconds** until the light flashes white."
    )


def test_passage_joins_lines_wrapped_inside_a_paragraph():
    passage = matched_passage(GUIDE, "Use the USB-C cable from the box and a 5 V adapter.", "")
    assert "5 V adapter. The light blinks amber" in passage


def test_title_match_takes_the_section_sharing_the_rarer_query_words():
    # Every section is about the Pulse; only one mentions the cloth.
    passage = matched_passage(GUIDE, "Pulse earbuds guide", "pulse ear tips dry cloth")
    assert passage.startswith("## Cleaning")


def test_without_any_clue_the_first_section_is_taken():
    assert (
        matched_passage(GUIDE, "Pulse earbuds guide", "zzz") == "The Pulse case charges the earbuds three times over."
    )


def test_translation_takes_the_section_at_the_same_place():
    # Matched in English, replied in Polish: the Polish pairing section, though no word is shared.
    snippet = "• Open the lid. • Hold the button for 3 seconds until the light flashes white."
    assert matched_passage(GUIDE_PL, snippet, "pairing", found_markdown=GUIDE).startswith("## Parowanie")


def test_long_section_is_cut_at_a_line():
    long_section = "## Steps\n\n" + "\n".join(f"{n}. Step number {n} of a long procedure." for n in range(1, 60))
    passage = matched_passage(long_section, "Step number 1 of a long procedure.", "")
    assert len(passage) <= MAX_PASSAGE_CHARS + 2 and passage.endswith("\n…") and "1. Step number 1 " in passage
