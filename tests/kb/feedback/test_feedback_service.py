"""Reader votes and contact-attempt funnel events: one row per reader or step, counts from rows."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from aftercare.errors import NotFound, ValidationFailed
from kb.feedback import service
from kb.feedback.models import ArticleFeedback, DeflectionEvent, FunnelEvent
from kb.feedback.schemas import FeedbackCreate, FeedbackReason
from tests.factories import create_ticket
from tests.kb.factories import create_article
from tests.kb.feedback.factories import attempt_id, visitor

YES = FeedbackCreate(helpful=True, locale="en")
NO = FeedbackCreate(helpful=False, locale="en")


def test_a_vote_is_one_row(session):
    article = create_article(session)
    service.record_feedback(session, article.id, YES, visitor_token=visitor())
    assert service.feedback_counts(session, article.id) == service.FeedbackCounts(helpful=1, not_helpful=0)


def test_a_second_vote_changes_the_first(session):
    article = create_article(session)
    reader = visitor()
    service.record_feedback(session, article.id, YES, visitor_token=reader)
    service.record_feedback(session, article.id, NO, visitor_token=reader)
    assert session.scalar(select(func.count()).select_from(ArticleFeedback)) == 1
    assert service.feedback_counts(session, article.id).not_helpful == 1


def test_counts_add_up_over_readers(session):
    article = create_article(session)
    for vote in (YES, YES, NO):
        service.record_feedback(session, article.id, vote, visitor_token=visitor())
    counts = service.feedback_counts(session, article.id)
    assert (counts.helpful, counts.not_helpful, counts.total) == (2, 1, 3)


def test_visitor_key_is_a_hash_not_the_cookie(session):
    article = create_article(session)
    reader = visitor()
    row = service.record_feedback(session, article.id, YES, visitor_token=reader)
    assert reader not in row.visitor_key and len(row.visitor_key) == 64


def test_vote_without_a_visitor_is_refused(session):
    article = create_article(session)
    with pytest.raises(ValidationFailed):
        service.record_feedback(session, article.id, YES, visitor_token="short")


def test_reason_follows_a_no(session):
    article = create_article(session)
    reader = visitor()
    service.record_feedback(session, article.id, NO, visitor_token=reader)
    row = service.add_reason(session, article.id, FeedbackReason(reason="  Step 3 is missing  "), visitor_token=reader)
    assert row.reason == "Step 3 is missing"


def test_reason_after_a_yes_is_refused(session):
    article = create_article(session)
    reader = visitor()
    service.record_feedback(session, article.id, YES, visitor_token=reader)
    with pytest.raises(NotFound):
        service.add_reason(session, article.id, FeedbackReason(reason="x"), visitor_token=reader)


def test_changing_to_yes_drops_the_reason(session):
    article = create_article(session)
    reader = visitor()
    service.record_feedback(session, article.id, NO, visitor_token=reader)
    service.add_reason(session, article.id, FeedbackReason(reason="Unclear"), visitor_token=reader)
    row = service.record_feedback(session, article.id, YES, visitor_token=reader)
    assert row.reason is None


def test_reason_must_not_be_blank_or_too_long():
    with pytest.raises(ValidationError):
        FeedbackReason(reason="   ")
    with pytest.raises(ValidationError):
        FeedbackReason(reason="x" * 1001)


def test_reason_drops_control_characters():
    assert FeedbackReason(reason="a\x00b\nc").reason == "ab\nc"


def test_funnel_event_is_written_once_per_attempt(session):
    attempt = attempt_id()
    first = service.record_suggestions_shown(session, attempt)
    again = service.record_suggestions_shown(session, attempt)
    assert first is again and session.scalar(select(func.count()).select_from(DeflectionEvent)) == 1


def test_opening_two_articles_is_two_events(session):
    attempt = attempt_id()
    one, two = create_article(session), create_article(session)
    service.record_article_opened(session, attempt, one.id)
    service.record_article_opened(session, attempt, two.id)
    events = select(func.count()).select_from(DeflectionEvent).where(DeflectionEvent.attempt_id == attempt)
    assert session.scalar(events) == 2


def test_malformed_attempt_ids_are_ignored(session):
    assert service.record_suggestions_shown(session, "<script>") is None
    assert service.record_suggestions_shown(session, None) is None


def test_deflected_is_never_written(session):
    assert service.record_funnel_event(session, attempt_id(), FunnelEvent.DEFLECTED) is None


def test_confirmation_needs_the_article_opened_in_that_attempt(session):
    attempt = attempt_id()
    article = create_article(session)
    assert service.confirm_deflection(session, attempt, article.id) is None
    service.record_article_opened(session, attempt, article.id)
    assert service.confirm_deflection(session, attempt, article.id) is not None
    assert service.attempt_finished(session, attempt)


def test_ticket_submitted_ends_the_attempt(session):
    attempt = attempt_id()
    ticket = create_ticket(session)
    row = service.record_ticket_submitted(session, attempt, ticket)
    assert row.ticket_id == ticket.id and service.attempt_finished(session, attempt)


def test_attempt_without_an_ending_is_open(session):
    attempt = attempt_id()
    service.record_suggestions_shown(session, attempt)
    assert not service.attempt_finished(session, attempt)
