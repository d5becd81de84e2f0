"""Recording reader feedback and contact-attempt funnel events (no HTTP; services flush, never commit).

Readers are anonymous: a vote belongs to a visitor key (a hash of a random cookie), so one reader
has one vote per article, which they may change. A contact attempt is named by a random id that
the contact page hands out; each funnel event is written once per attempt (and article), however
often the customer types or reloads.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import Customer
from aftercare.db import utcnow
from aftercare.errors import NotFound, ValidationFailed
from helpdesk.models import Ticket
from kb.feedback.models import ArticleFeedback, DeflectionEvent, FunnelEvent
from kb.feedback.schemas import FeedbackCreate, FeedbackReason
from kb.search.models import SearchLog, SearchSource
from kb.search.service import SearchOutcome, log_search, normalize_query

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# A search that extends or trims the browser's previous one within this time is the same question.
TYPING_WINDOW = timedelta(seconds=90)
# Events that end an attempt: the next visit to the contact form is a new attempt.
FINISHING_EVENTS = (FunnelEvent.TICKET_SUBMITTED, FunnelEvent.DEFLECTION_CONFIRMED)


@dataclass(frozen=True)
class FeedbackCounts:
    helpful: int
    not_helpful: int

    @property
    def total(self) -> int:
        return self.helpful + self.not_helpful


def new_token() -> str:
    """A random id for a visitor or a contact attempt (URL- and cookie-safe)."""
    return secrets.token_urlsafe(18)


def is_token(value: str | None) -> bool:
    return bool(value) and _TOKEN.match(value or "") is not None


def visitor_key(token: str) -> str:
    """What we store for a visitor: a hash, so that the table never holds a live cookie value."""
    return hashlib.sha256(f"visitor:{token}".encode()).hexdigest()


# ---- "Was this helpful?" -------------------------------------------------------------------


def find_feedback(session: Session, article_id: int, visitor_token: str) -> ArticleFeedback | None:
    if not is_token(visitor_token):
        return None
    return session.scalar(
        select(ArticleFeedback).where(
            ArticleFeedback.article_id == article_id, ArticleFeedback.visitor_key == visitor_key(visitor_token)
        )
    )


def record_feedback(
    session: Session,
    article_id: int,
    data: FeedbackCreate,
    *,
    visitor_token: str,
    customer: Customer | None = None,
) -> ArticleFeedback:
    """The reader's vote on this article; a second vote changes the first (one row per reader)."""
    if not is_token(visitor_token):
        raise ValidationFailed("missing visitor id; reload the page and try again")
    row = find_feedback(session, article_id, visitor_token)
    if row is None:
        row = ArticleFeedback(article_id=article_id, visitor_key=visitor_key(visitor_token))
        session.add(row)
    if row.helpful is not None and row.helpful != data.helpful:
        # A reason belongs to the answer it explained.
        row.reason = None
    row.helpful = data.helpful
    row.locale = data.locale
    if customer is not None:
        row.customer_id = customer.id
    session.flush()
    return row


def add_reason(session: Session, article_id: int, data: FeedbackReason, *, visitor_token: str) -> ArticleFeedback:
    """The reason for this reader's "no" (asked only after one)."""
    row = find_feedback(session, article_id, visitor_token)
    if row is None or row.helpful:
        raise NotFound("answer 'Was this helpful?' with 'no' first")
    row.reason = data.reason
    session.flush()
    return row


def feedback_counts(session: Session, article_id: int) -> FeedbackCounts:
    rows = session.execute(
        select(ArticleFeedback.helpful, func.count())
        .where(ArticleFeedback.article_id == article_id)
        .group_by(ArticleFeedback.helpful)
    )
    counts = {bool(helpful): count for helpful, count in rows}
    return FeedbackCounts(helpful=counts.get(True, 0), not_helpful=counts.get(False, 0))


# ---- the contact-form funnel ---------------------------------------------------------------


def record_funnel_event(
    session: Session,
    attempt_id: str | None,
    event: FunnelEvent,
    *,
    article_id: int | None = None,
    ticket_id: int | None = None,
) -> DeflectionEvent | None:
    """Note one step of a contact attempt, once. Returns None for a missing or malformed attempt id
    (these are figures, not a reason to fail the customer's request)."""
    if not is_token(attempt_id) or event == FunnelEvent.DEFLECTED:
        return None
    existing = session.scalar(
        select(DeflectionEvent)
        .where(
            DeflectionEvent.attempt_id == attempt_id,
            DeflectionEvent.event == event,
            DeflectionEvent.article_id.is_(None) if article_id is None else DeflectionEvent.article_id == article_id,
        )
        .limit(1)
    )
    if existing is not None:
        return existing
    row = DeflectionEvent(attempt_id=attempt_id, event=event, article_id=article_id, ticket_id=ticket_id)
    session.add(row)
    session.flush()
    return row


def record_suggestions_shown(session: Session, attempt_id: str | None) -> DeflectionEvent | None:
    return record_funnel_event(session, attempt_id, FunnelEvent.SUGGESTIONS_SHOWN)


def record_article_opened(session: Session, attempt_id: str | None, article_id: int) -> DeflectionEvent | None:
    return record_funnel_event(session, attempt_id, FunnelEvent.ARTICLE_OPENED, article_id=article_id)


def confirm_deflection(session: Session, attempt_id: str | None, article_id: int) -> DeflectionEvent | None:
    """The customer said the article solved their problem (only counts if they opened it from the form)."""
    if not attempt_opened(session, attempt_id, article_id):
        return None
    return record_funnel_event(session, attempt_id, FunnelEvent.DEFLECTION_CONFIRMED, article_id=article_id)


def record_ticket_submitted(session: Session, attempt_id: str | None, ticket: Ticket) -> DeflectionEvent | None:
    """The customer sent the form anyway (called by the contact form after the ticket exists)."""
    return record_funnel_event(session, attempt_id, FunnelEvent.TICKET_SUBMITTED, ticket_id=ticket.id)


def attempt_opened(session: Session, attempt_id: str | None, article_id: int) -> bool:
    if not is_token(attempt_id):
        return False
    return (
        session.scalar(
            select(DeflectionEvent.id)
            .where(
                DeflectionEvent.attempt_id == attempt_id,
                DeflectionEvent.event == FunnelEvent.ARTICLE_OPENED,
                DeflectionEvent.article_id == article_id,
            )
            .limit(1)
        )
        is not None
    )


def deflection_confirmed(session: Session, attempt_id: str | None, article_id: int) -> bool:
    if not is_token(attempt_id):
        return False
    return (
        session.scalar(
            select(DeflectionEvent.id)
            .where(
                DeflectionEvent.attempt_id == attempt_id,
                DeflectionEvent.event == FunnelEvent.DEFLECTION_CONFIRMED,
                DeflectionEvent.article_id == article_id,
            )
            .limit(1)
        )
        is not None
    )


def attempt_finished(session: Session, attempt_id: str | None) -> bool:
    """Whether this attempt already ended (a ticket was sent, or the customer said they were helped)."""
    if not is_token(attempt_id):
        return False
    return (
        session.scalar(
            select(DeflectionEvent.id)
            .where(DeflectionEvent.attempt_id == attempt_id, DeflectionEvent.event.in_(FINISHING_EVENTS))
            .limit(1)
        )
        is not None
    )


# ---- searches typed a little at a time -----------------------------------------------------


def settle_typed_search(
    session: Session, outcome: SearchOutcome, source: SearchSource, *, previous_log_id: int | None
) -> int:
    """Log ``outcome``; first drop the browser's previous search from the log if this one only
    continued or corrected it ("how do" -> "how do I reset"), so the log holds what people settled on.
    """
    if previous_log_id is not None:
        previous = session.get(SearchLog, previous_log_id)
        new_text = normalize_query(outcome.query)
        if (
            previous is not None
            and previous.source == source
            and utcnow() - previous.created_at <= TYPING_WINDOW
            and (new_text.startswith(previous.normalized_query) or previous.normalized_query.startswith(new_text))
        ):
            session.delete(previous)
            session.flush()
    return log_search(session, outcome, source)
