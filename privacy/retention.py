"""Retention: customers who have been quiet long enough are erased (``AFTERCARE_RETENTION_DAYS_CLOSED_TICKETS``).

A customer is *due* when they are not erased yet, none of their tickets is still open (any status
but solved and closed), and their last activity is older than the retention period. Activity is the
latest of:

- their tickets' messages (anyone's, agents' replies included: the conversation is still going),
  the tickets' own updates and audit events;
- their forum threads and replies (through their account), edits included;
- their purchases;
- their survey answers (a changed answer counts from when it changed);
- the customer record's own creation (a customer made yesterday from an old order is not due).

"Older than N days" is asked the other way round, as *nothing at or after the cut-off*: one query of
``NOT EXISTS`` clauses, each an indexed lookup per candidate, the same on SQLite and PostgreSQL.

``run_retention`` erases one batch with ``privacy.erasure.erase_customer`` (as the system: no
actor), each in a SAVEPOINT, so one customer's failure is logged and skipped without undoing the
others; the job (``privacy.tasks``) commits batch by batch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from accounts.models import Customer, User
from aftercare.db import utcnow
from aftersales.models import Purchase, SurveyInvitation, SurveyResponse
from helpdesk.models import Message, Ticket, TicketEvent, TicketStatus
from kb.forum.models import ForumReply, ForumThread
from privacy.erasure import ErasureSummary, erase_customer

logger = logging.getLogger(__name__)

# A ticket in any other status is still being worked on, or waits for the customer.
CLOSED_STATUSES = (TicketStatus.SOLVED, TicketStatus.CLOSED)
DEFAULT_BATCH = 100


@dataclass(frozen=True)
class RetentionRun:
    """What one batch did: who was erased, and who could not be (tried again at the next run)."""

    erased: list[ErasureSummary] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def cutoff_for(days: int, now: datetime | None = None) -> datetime:
    if days <= 0:
        raise ValueError("the retention period must be at least one day")
    return (now or utcnow()) - timedelta(days=days)


def _active_since(cutoff: datetime) -> ColumnElement[bool]:
    """True for a customer (correlated on ``customers.id``) with an open ticket or any activity since ``cutoff``."""
    own_ticket = Ticket.requester_id == Customer.id
    return or_(
        exists().where(own_ticket, Ticket.status.not_in(CLOSED_STATUSES)),
        exists().where(own_ticket, Ticket.updated_at >= cutoff),
        exists().where(Message.ticket_id == Ticket.id, own_ticket, Message.created_at >= cutoff),
        exists().where(TicketEvent.ticket_id == Ticket.id, own_ticket, TicketEvent.created_at >= cutoff),
        exists().where(
            ForumThread.author_id == User.id, User.customer_id == Customer.id, ForumThread.updated_at >= cutoff
        ),
        exists().where(
            ForumReply.author_id == User.id, User.customer_id == Customer.id, ForumReply.updated_at >= cutoff
        ),
        exists().where(Purchase.customer_id == Customer.id, Purchase.purchased_at >= cutoff),
        exists().where(
            SurveyResponse.invitation_id == SurveyInvitation.id,
            SurveyInvitation.customer_id == Customer.id,
            or_(SurveyResponse.created_at >= cutoff, SurveyResponse.updated_at >= cutoff),
        ),
    )


def _due_filter(cutoff: datetime) -> ColumnElement[bool]:
    return and_(Customer.erased_at.is_(None), Customer.created_at < cutoff, not_(_active_since(cutoff)))


def due_query(*, days: int, now: datetime | None = None) -> Select[tuple[Customer]]:
    """The customers due for erasure, oldest record first (a stable order for batches)."""
    return select(Customer).where(_due_filter(cutoff_for(days, now))).order_by(Customer.id)


def customers_due_for_erasure(
    session: Session, *, days: int, now: datetime | None = None, limit: int | None = None
) -> list[Customer]:
    query = due_query(days=days, now=now)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def count_due(session: Session, *, days: int, now: datetime | None = None) -> int:
    """How many customers a run would erase now (the dry run on the admin page and the API)."""
    query = select(func.count()).select_from(Customer).where(_due_filter(cutoff_for(days, now)))
    return session.scalar(query) or 0


def run_retention(
    session: Session, *, days: int, now: datetime | None = None, batch: int = DEFAULT_BATCH
) -> RetentionRun:
    """Erase up to ``batch`` due customers; flushes, the caller commits (and calls again while a
    whole batch was erased)."""
    run = RetentionRun()
    for customer in customers_due_for_erasure(session, days=days, now=now, limit=batch):
        customer_id = customer.id
        try:
            with session.begin_nested():
                run.erased.append(erase_customer(session, customer_id, actor=None))
        except Exception:
            # One customer's trouble must not keep the others' erasure back; the savepoint undid
            # only theirs, and the next run tries them again.
            logger.exception("retention: could not erase customer %s", customer_id)
            run.failed.append(customer_id)
    return run


@dataclass(frozen=True)
class RetentionStatus:
    """The setting's state and, when it is on, how many customers a run would erase now."""

    enabled: bool
    days: int | None
    due: int


def retention_status(session: Session, days: int | None, *, now: datetime | None = None) -> RetentionStatus:
    if days is None:
        return RetentionStatus(enabled=False, days=None, due=0)
    return RetentionStatus(enabled=True, days=days, due=count_due(session, days=days, now=now))
