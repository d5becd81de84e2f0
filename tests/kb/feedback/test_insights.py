"""Insights over a date range: top searches, content gaps, helpfulness, funnel, suggestion use."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from aftercare.errors import ValidationFailed
from kb.feedback import insights, service
from kb.feedback.models import FunnelEvent
from kb.feedback.schemas import FeedbackCreate, FeedbackReason
from kb.search.models import SearchSource, SuggestionEvent, SuggestionEventKind, TicketSuggestion
from tests.factories import create_ticket
from tests.kb.factories import create_article
from tests.kb.feedback.factories import attempt_id, funnel_event, log_search, visitor

TODAY = datetime.now(UTC).date()
THIS_MONTH = insights.default_range()


def _at(days_ago: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days_ago)


# ---- ranges --------------------------------------------------------------------------------


def test_default_range_is_the_last_30_days():
    period = insights.default_range(date(2026, 3, 31))
    assert (period.start, period.end, period.days) == (date(2026, 3, 2), date(2026, 3, 31), 30)


def test_range_includes_the_whole_last_day():
    period = insights.parse_range("2026-01-01", "2026-01-31")
    assert period.until == datetime(2026, 2, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end"), [("2026-02-01", "2026-01-01"), ("yesterday", None), ("2020-01-01", "2026-01-01")]
)
def test_bad_ranges_are_refused(start, end):
    with pytest.raises(ValidationFailed):
        insights.parse_range(start, end)


# ---- searches ------------------------------------------------------------------------------


def test_top_searches_group_spellings_and_count_answers(session):
    for query, answered in [
        ("Reset password", True),
        ("reset password?", False),
        ("  reset   PASSWORD", True),
        ("warranty", True),
    ]:
        log_search(session, query, answered=answered)
    rows = insights.top_searches(session, THIS_MONTH)
    first = rows[0]
    assert (first.normalized, first.searches, first.answered) == ("reset password", 3, 2)
    assert first.wording in ("Reset password", "reset password?", "  reset   PASSWORD")


def test_top_searches_respect_the_range(session):
    log_search(session, "old question", at=_at(60))
    log_search(session, "new question")
    assert [row.normalized for row in insights.top_searches(session, THIS_MONTH)] == ["new question"]


def test_top_searches_leave_out_ticket_and_contact_form_texts(session):
    log_search(session, "a whole ticket text", source=SearchSource.TICKET)
    log_search(session, "a whole contact message", source=SearchSource.CONTACT)
    assert insights.top_searches(session, THIS_MONTH) == []


def test_content_gaps_group_similar_wording(session):
    for query in [
        "reset password",
        "password reset?",
        "Reset my password",
        "how to reset my password",
        "invoice address",
        "invoice adress",
    ]:
        log_search(session, query, answered=False)
    log_search(session, "reset password", answered=True)
    gaps = insights.content_gaps(session, THIS_MONTH)
    assert [(gap.searches, len(gap.wordings)) for gap in gaps] == [(4, 4), (2, 2)]


def test_content_gaps_merge_by_embedding_when_given(session):
    log_search(session, "reset hasła", answered=False, language="pl")
    log_search(session, "password reset", answered=False)

    def embed(texts):
        # A stand-in embedding in which both wordings mean the same.
        return np.array([[1.0, 0.0] for _ in texts])

    assert len(insights.content_gaps(session, THIS_MONTH)) == 2
    gaps = insights.content_gaps(session, THIS_MONTH, embed=embed)
    assert len(gaps) == 1 and gaps[0].languages == {"en", "pl"}


def test_thai_wordings_without_spaces_group_by_their_letters():
    # "reset password" and "how to reset password" share most letters; "battery drains fast" does not.
    counted = [("รีเซ็ตรหัสผ่าน", 3), ("รีเซ็ตรหัสผ่านยังไง", 2), ("แบตเตอรี่หมดเร็ว", 1)]
    assert insights.group_wordings(counted) == [[0, 1], [2]]


# ---- helpfulness ---------------------------------------------------------------------------


def _vote(session, article, helpful, reason=None):
    reader = visitor()
    service.record_feedback(session, article.id, FeedbackCreate(helpful=helpful, locale="en"), visitor_token=reader)
    if reason:
        service.add_reason(session, article.id, FeedbackReason(reason=reason), visitor_token=reader)


def test_helpfulness_counts_votes_and_lists_reasons_least_helpful_first(session):
    good, bad = create_article(session, title="Good article"), create_article(session, title="Bad article")
    _vote(session, good, True)
    _vote(session, good, True)
    _vote(session, bad, True)
    _vote(session, bad, False, reason="Step 3 is missing")
    rows = insights.article_helpfulness(session, THIS_MONTH)
    assert [(row.title, row.helpful, row.not_helpful) for row in rows] == [
        ("Bad article", 1, 1),
        ("Good article", 2, 0),
    ]
    assert rows[0].reasons == ("Step 3 is missing",) and rows[0].helpful_rate == 0.5


def test_helpfulness_names_deleted_articles(session):
    service.record_feedback(session, 987654, FeedbackCreate(helpful=False, locale="en"), visitor_token=visitor())
    row = insights.article_helpfulness(session, THIS_MONTH)[0]
    assert row.article_id == 987654 and row.title is None


# ---- funnel --------------------------------------------------------------------------------


def test_funnel_counts_distinct_attempts_per_stage(session):
    article = create_article(session)
    deflected, confirmed, submitted, browsing = (attempt_id() for _ in range(4))
    for attempt in (deflected, confirmed, submitted, browsing):
        funnel_event(session, attempt, FunnelEvent.SUGGESTIONS_SHOWN)
    for attempt in (deflected, confirmed, submitted):
        funnel_event(session, attempt, FunnelEvent.ARTICLE_OPENED, article_id=article.id)
    funnel_event(session, confirmed, FunnelEvent.DEFLECTION_CONFIRMED, article_id=article.id)
    funnel_event(session, submitted, FunnelEvent.TICKET_SUBMITTED)
    funnel = insights.deflection_funnel(session, THIS_MONTH)
    assert funnel.attempts == 4
    assert [(str(stage.stage), stage.attempts) for stage in funnel.stages] == [
        ("suggestions_shown", 4),
        ("article_opened", 3),
        ("deflected", 2),
        ("deflection_confirmed", 1),
        ("ticket_submitted", 1),
    ]
    assert funnel.deflection_rate == 0.5


def test_funnel_places_an_attempt_on_the_day_it_started(session):
    attempt = attempt_id()
    funnel_event(session, attempt, FunnelEvent.SUGGESTIONS_SHOWN, at=_at(40))
    funnel_event(session, attempt, FunnelEvent.TICKET_SUBMITTED, at=_at(1))
    assert insights.deflection_funnel(session, THIS_MONTH).attempts == 0


# ---- suggestions ---------------------------------------------------------------------------


def _suggestion(session, ticket, article, *events):
    row = TicketSuggestion(
        ticket_id=ticket.id,
        rank=1,
        article_id=article.id,
        locale="en",
        score=0.9,
        confidence=0.9,
        snippet="Put both earbuds in the case.",
        answered=True,
        index_version=1,
    )
    session.add(row)
    session.flush()
    for kind in events:
        session.add(SuggestionEvent(ticket_suggestion_id=row.id, event=kind))
    session.flush()
    return row


def test_insertion_rate_per_article(session):
    article = create_article(session, title="Charge the earbuds")
    shown, inserted, sent = SuggestionEventKind.SHOWN, SuggestionEventKind.INSERTED, SuggestionEventKind.SENT_WITH
    _suggestion(session, create_ticket(session), article, shown, shown, inserted, sent)
    _suggestion(session, create_ticket(session), article, shown)
    _suggestion(session, create_ticket(session), article, shown, inserted, inserted, SuggestionEventKind.REMOVED)
    row = insights.suggestion_insertions(session, THIS_MONTH)[0]
    assert (row.title, row.shown, row.inserted, row.sent) == ("Charge the earbuds", 3, 2, 1)
    assert row.insertion_rate == pytest.approx(2 / 3)
