"""A ticket's SLA state as agents and the API see it, derived from its stored clock at read time.

Pure (no database): ``helpdesk.models.Ticket.sla`` calls it, so every ticket read carries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from aftercare.db import utcnow


class SlaBadge(StrEnum):
    # No policy, or every target met or stopped.
    NONE = "none"
    # A target is running and not yet at risk.
    DUE = "due"
    AT_RISK = "at_risk"
    BREACHED = "breached"


class TimedTicket(Protocol):
    sla_policy_id: int | None
    first_response_due_at: datetime | None
    first_responded_at: datetime | None
    resolution_due_at: datetime | None
    solved_at: datetime | None
    sla_paused_at: datetime | None
    sla_next_due_at: datetime | None
    sla_at_risk_at: datetime | None


@dataclass(frozen=True)
class SlaState:
    policy_id: int | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    # A target missed: answered (or still unanswered) after its due time; resolved, paused or still
    # open after the resolution due time (a paused clock is judged at the moment it stopped).
    breached: bool
    # What the inbox shows, and the due time it is about.
    badge: SlaBadge
    next_due_at: datetime | None
    paused: bool


def sla_state(ticket: TimedTicket, *, now: datetime | None = None) -> SlaState:
    now = now or utcnow()
    breached = False
    if ticket.first_response_due_at is not None:
        answered = ticket.first_responded_at or now
        breached = answered > ticket.first_response_due_at
    if ticket.resolution_due_at is not None and not breached:
        stopped = ticket.sla_paused_at or now
        breached = stopped > ticket.resolution_due_at
    if breached:
        badge = SlaBadge.BREACHED
    elif ticket.sla_next_due_at is None:
        badge = SlaBadge.NONE
    elif ticket.sla_at_risk_at is not None and now >= ticket.sla_at_risk_at:
        badge = SlaBadge.AT_RISK
    else:
        badge = SlaBadge.DUE
    return SlaState(
        policy_id=ticket.sla_policy_id,
        first_response_due_at=ticket.first_response_due_at,
        resolution_due_at=ticket.resolution_due_at,
        breached=breached,
        badge=badge,
        next_due_at=ticket.sla_next_due_at,
        paused=ticket.sla_paused_at is not None,
    )
