"""What agents do with suggestions: inserted, sent with the reply or removed, and the figures from it."""

from __future__ import annotations

import pytest

from aftercare.errors import NotFound
from kb.search.models import SuggestionEventKind
from kb.search.suggestions import (
    record_inserted,
    record_reply_sent,
    record_shown,
    suggest_for_ticket,
    suggestion_quality,
)
from tests.factories import create_staff, create_ticket
from tests.search.factories import EARBUDS, VACUUM, WIFI, published


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
    from tests.search.factories import polish_translation

    wifi = published(session, WIFI)
    polish_translation(session, wifi)
    ticket = create_ticket(session, subject="Termostat nie łączy się z Wi-Fi", body="Od wczoraj aplikacja pokazuje, że termostat jest offline.")
    found = suggest_for_ticket(session, ticket, keeper=keeper)
    assert ticket.language == "pl" and (found.results[0].article_id, found.results[0].locale) == (wifi.id, "pl")
