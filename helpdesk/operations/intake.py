"""What happens to every new ticket in its creating transaction: routing and assignment, then its SLA clock.

Routing first: a rule may raise the priority, and the SLA policy is chosen on the result.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from helpdesk.models import Ticket
from helpdesk.operations import routing, sla
from helpdesk.operations.conditions import TicketFacts


def on_ticket_created(session: Session, ticket: Ticket, body: str, *, at: datetime | None = None) -> None:
    facts = TicketFacts.of(session, ticket, body)
    routing.route_ticket(session, ticket, facts)
    sla.start_clock(session, ticket, facts, at=at)
    session.flush()
