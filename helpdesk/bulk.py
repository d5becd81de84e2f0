"""Bulk actions: one change (assignee, status, priority, tags) to many tickets, in one transaction.

Each ticket is changed by ``helpdesk.service.update_ticket``, exactly as a change to one ticket
is, so the audit trail, the events and their side effects are the same. Each ticket is all or
nothing inside a savepoint: a change the service refuses for a ticket (an illegal status move, an
inactive agent) leaves that ticket as it was and is reported with the service's reason, while the
others go ahead. Nothing is written for a ticket already as asked (its place in the inbox stays).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy.orm import Session

from accounts import guards
from accounts.service import Principal
from aftercare.errors import DomainError, ValidationFailed
from helpdesk import service
from helpdesk.models import Ticket, TicketPriority, TicketStatus
from helpdesk.schemas import MAX_BULK_TICKETS, TicketBulkUpdate, TicketUpdate


@dataclass(frozen=True)
class BulkOutcome:
    ticket_id: int
    # The fields changed on this ticket, in the order status, assignee, priority, tags.
    changed: tuple[str, ...] = ()
    refused: str | None = None


@dataclass
class BulkSummary:
    results: list[BulkOutcome] = field(default_factory=list)

    @property
    def changed(self) -> list[BulkOutcome]:
        return [result for result in self.results if result.changed]

    @property
    def refused(self) -> list[BulkOutcome]:
        return [result for result in self.results if result.refused is not None]

    @property
    def unchanged(self) -> list[BulkOutcome]:
        return [result for result in self.results if not result.changed and result.refused is None]


def _state(ticket: Ticket) -> dict[str, object]:
    return {
        "status": TicketStatus(ticket.status),
        "assignee": ticket.assignee_id,
        "priority": TicketPriority(ticket.priority),
        "tags": tuple(sorted(ticket.tags)),
    }


def _update_for(ticket: Ticket, changes: TicketBulkUpdate) -> TicketUpdate | None:
    """The single-ticket update that does ``changes`` to ``ticket``; None when it is already so."""
    given = changes.model_fields_set
    fields: dict[str, object] = {}
    if "assignee_id" in given and changes.assignee_id != ticket.assignee_id:
        fields["assignee_id"] = changes.assignee_id
    if changes.priority is not None and changes.priority != ticket.priority:
        fields["priority"] = changes.priority
    if changes.status is not None and changes.status != ticket.status:
        fields["status"] = changes.status
    if changes.add_tags or changes.remove_tags:
        tags = (set(ticket.tags) | set(changes.add_tags)) - set(changes.remove_tags)
        if sorted(tags) != sorted(ticket.tags):
            fields["tags"] = sorted(tags)
    return TicketUpdate(**fields) if fields else None


def bulk_update(session: Session, changes: TicketBulkUpdate, principal: Principal) -> BulkSummary:
    """Apply ``changes`` to each of its tickets (in the order given, each once); flushes, never commits."""
    guards.require_staff(principal)
    ticket_ids = list(dict.fromkeys(changes.ticket_ids))
    if len(ticket_ids) > MAX_BULK_TICKETS:
        raise ValidationFailed(f"at most {MAX_BULK_TICKETS} tickets at once; {len(ticket_ids)} were given")
    asked = changes.model_fields_set & {"assignee_id", "status", "priority"}
    if not asked and not changes.add_tags and not changes.remove_tags:
        raise ValidationFailed("choose a change: assignee, status, priority or tags")
    summary = BulkSummary()
    for ticket_id in ticket_ids:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            summary.results.append(BulkOutcome(ticket_id, refused=f"ticket {ticket_id} not found"))
            continue
        before = _state(ticket)
        try:
            update = _update_for(ticket, changes)
        except ValidationError as error:
            reason = "; ".join(str(problem["msg"]) for problem in error.errors())
            summary.results.append(BulkOutcome(ticket_id, refused=f"tags: {reason}"))
            continue
        if update is None:
            summary.results.append(BulkOutcome(ticket_id))
            continue
        try:
            with session.begin_nested():
                service.update_ticket(session, ticket, update, principal)
        except DomainError as error:
            summary.results.append(BulkOutcome(ticket_id, refused=error.message))
            continue
        after = _state(ticket)
        summary.results.append(
            BulkOutcome(ticket_id, changed=tuple(name for name in before if before[name] != after[name]))
        )
    return summary
