"""SLA clocks: the policy a new ticket gets, its due times in business time, pause while it waits on
the customer, the first agent reply, and the breach pass that records missed targets for reports.

A ticket's clock starts when it is created (``start_clock``, called in the creating transaction).
The first response target is met by the first public reply of an agent. The resolution clock stands
still while the ticket is pending or solved: the business time it stood still is added to the
target when it runs again (``sla_paused_seconds``), so the due time moves back by exactly that.
Status changes and replies reach this module through a flush listener, whatever route made them
(a page, the API, bulk actions, merge).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, event, exists, func, inspect, or_, select
from sqlalchemy.orm import Session

from accounts.models import User
from aftercare.db import utcnow
from helpdesk.models import Message, MessageKind, Ticket, TicketStatus
from helpdesk.operations.business_hours import (
    Calendar,
    add_business_time,
    business_time_between,
    calendar_from,
)
from helpdesk.operations.conditions import TicketFacts, matches
from helpdesk.operations.models import BusinessHours, SlaBreach, SlaPolicy, SlaTarget

# The clock stands still in these (waiting on the customer, or done until reopened).
PAUSED_STATUSES = frozenset({TicketStatus.PENDING, TicketStatus.SOLVED, TicketStatus.CLOSED})
# A target is at risk in its last quarter, and in any case in its last business hour.
AT_RISK_SHARE = 0.25
AT_RISK_FLOOR = timedelta(hours=1)
BREACH_BATCH = 1000


def now() -> datetime:
    """The SLA clock's "now" (tests freeze it by replacing ``utcnow`` here)."""
    return utcnow()


def calendar_of(hours: BusinessHours | None) -> Calendar | None:
    if hours is None:
        return None
    return calendar_from(hours.timezone, hours.intervals, hours.holidays)


def _at_risk_lead(target: timedelta) -> timedelta:
    return min(target, max(target * AT_RISK_SHARE, AT_RISK_FLOOR))


def choose_policy(session: Session, facts: TicketFacts) -> SlaPolicy | None:
    """The first policy by position whose conditions the ticket meets."""
    policies = session.scalars(select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id))
    return next((policy for policy in policies if matches(policy.conditions, facts)), None)


def start_clock(session: Session, ticket: Ticket, facts: TicketFacts, *, at: datetime | None = None) -> None:
    """Give a new ticket its policy and due times (none when no policy matches)."""
    policy = choose_policy(session, facts)
    if policy is None:
        return
    started = at or now()
    calendar = calendar_of(policy.business_hours)
    ticket.sla_policy_id = policy.id
    ticket.sla_started_at = started
    ticket.sla_paused_seconds = 0
    ticket.first_response_due_at = add_business_time(
        started, timedelta(minutes=policy.first_response_minutes), calendar
    )
    ticket.resolution_due_at = add_business_time(started, timedelta(minutes=policy.resolution_minutes), calendar)
    if ticket.status in PAUSED_STATUSES:
        ticket.sla_paused_at = started
    _refresh(ticket, policy, calendar)


def _refresh(ticket: Ticket, policy: SlaPolicy, calendar: Calendar | None) -> None:
    """The running target's due time and the moment it turns at risk (what the inbox sorts and filters by)."""
    started = ticket.sla_started_at
    if started is None:
        return
    if ticket.first_responded_at is None and ticket.first_response_due_at is not None:
        target = timedelta(minutes=policy.first_response_minutes)
        ticket.sla_next_due_at = ticket.first_response_due_at
        ticket.sla_at_risk_at = add_business_time(started, target - _at_risk_lead(target), calendar)
    elif ticket.sla_paused_at is None and ticket.resolution_due_at is not None:
        target = timedelta(minutes=policy.resolution_minutes)
        paused = timedelta(seconds=ticket.sla_paused_seconds or 0)
        ticket.sla_next_due_at = ticket.resolution_due_at
        ticket.sla_at_risk_at = add_business_time(started, target + paused - _at_risk_lead(target), calendar)
    else:
        ticket.sla_next_due_at = None
        ticket.sla_at_risk_at = None


def pause(ticket: Ticket, policy: SlaPolicy, calendar: Calendar | None, *, at: datetime) -> None:
    if ticket.sla_paused_at is None:
        ticket.sla_paused_at = at
    _refresh(ticket, policy, calendar)


def resume(ticket: Ticket, policy: SlaPolicy, calendar: Calendar | None, *, at: datetime) -> None:
    """Run the clock again: the business time it stood still moves the resolution due time back."""
    if ticket.sla_paused_at is not None and ticket.sla_started_at is not None:
        stood = business_time_between(ticket.sla_paused_at, at, calendar)
        ticket.sla_paused_seconds = (ticket.sla_paused_seconds or 0) + int(stood.total_seconds())
        ticket.sla_paused_at = None
        total = timedelta(minutes=policy.resolution_minutes, seconds=ticket.sla_paused_seconds)
        ticket.resolution_due_at = add_business_time(ticket.sla_started_at, total, calendar)
    _refresh(ticket, policy, calendar)


def first_response(ticket: Ticket, policy: SlaPolicy, calendar: Calendar | None, *, at: datetime) -> None:
    if ticket.first_responded_at is None:
        ticket.first_responded_at = at
        _refresh(ticket, policy, calendar)


def _is_agent_reply(session: Session, message: Message) -> bool:
    author = message.author_user
    if author is None and message.author_user_id is not None:
        author = session.get(User, message.author_user_id)
    return message.kind == MessageKind.PUBLIC_REPLY and author is not None and author.is_staff


@event.listens_for(Session, "before_flush")
def _follow_tickets(session: Session, _context: Any, _instances: Any) -> None:
    """Status changes and agents' first replies, from any route, move the clocks of timed tickets."""
    touched: dict[int, Ticket] = {}
    replied: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Message) and _is_agent_reply(session, obj):
            # Mail intake links a message by id only.
            ticket = obj.ticket or (session.get(Ticket, obj.ticket_id) if obj.ticket_id else None)
            if ticket is not None and ticket.sla_policy_id is not None and ticket.first_responded_at is None:
                touched[id(ticket)] = ticket
                replied.add(id(ticket))
    for obj in session.dirty:
        if isinstance(obj, Ticket) and obj.sla_policy_id is not None:
            history = _status_history(obj)
            if history is not None:
                touched[id(obj)] = obj
    if not touched:
        return
    at = now()
    for key, ticket in touched.items():
        policy = session.get(SlaPolicy, ticket.sla_policy_id)
        if policy is None:
            continue
        calendar = calendar_of(policy.business_hours)
        if key in replied:
            first_response(ticket, policy, calendar, at=at)
        if ticket.status in PAUSED_STATUSES:
            pause(ticket, policy, calendar, at=at)
        else:
            resume(ticket, policy, calendar, at=at)


def _status_history(ticket: Ticket) -> tuple[object, object] | None:
    history = inspect(ticket).attrs.status.history
    if not history.has_changes():
        return None
    old = history.deleted[0] if history.deleted else None
    return old, ticket.status


def mark_breaches(session: Session, *, at: datetime | None = None) -> int:
    """Record every target missed by ``at`` and not recorded yet; returns how many were recorded.

    Idempotent: one row per ticket and target (a second pass, or a pass after a pause, adds nothing).
    """
    at = at or now()
    recorded = 0
    for target, due, met in (
        (SlaTarget.FIRST_RESPONSE, Ticket.first_response_due_at, Ticket.first_responded_at),
        (SlaTarget.RESOLUTION, Ticket.resolution_due_at, Ticket.sla_paused_at),
    ):
        already = exists().where(SlaBreach.ticket_id == Ticket.id, SlaBreach.target == target)
        rows = session.execute(
            select(Ticket.id, Ticket.sla_policy_id, due)
            .where(
                due.is_not(None),
                due < at,
                or_(met.is_(None), and_(met.is_not(None), met > due)),
                ~already,
            )
            .order_by(Ticket.id)
            .limit(BREACH_BATCH)
        ).all()
        for ticket_id, policy_id, due_at in rows:
            session.add(
                SlaBreach(ticket_id=ticket_id, policy_id=policy_id, target=target, due_at=due_at, recorded_at=at)
            )
            recorded += 1
    session.flush()
    return recorded


def breach_count(session: Session) -> int:
    return int(session.scalar(select(func.count(SlaBreach.id))) or 0)
