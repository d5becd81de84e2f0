"""Tickets API: bulk changes, and merging a ticket into another (and undoing it). Agents only."""

from __future__ import annotations

from fastapi import APIRouter

from helpdesk import bulk, merge, service
from helpdesk.schemas import (
    BulkOutcomeRead,
    BulkSummaryRead,
    TicketBulkUpdate,
    TicketMergeCreate,
    TicketMergeRead,
)
from web.deps import DbSession, StaffPrincipal
from web.openapi import error_responses

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])
CONFLICT = error_responses(409)


@router.post("/bulk", response_model=BulkSummaryRead)
def bulk_update(changes: TicketBulkUpdate, session: DbSession, principal: StaffPrincipal) -> BulkSummaryRead:
    """Change up to 100 tickets at once: ``assignee_id`` (an agent; ``null`` unassigns; leave it out
    to keep each ticket's), ``status`` (only moves the state machine allows from each ticket's
    status), ``priority``, ``add_tags``, ``remove_tags``. Each ticket changes as a single-ticket
    update would, or not at all: the summary gives each one's changed fields or the reason it was
    refused."""
    summary = bulk.bulk_update(session, changes, principal)
    return BulkSummaryRead(
        changed=len(summary.changed),
        unchanged=len(summary.unchanged),
        refused=len(summary.refused),
        results=[
            BulkOutcomeRead(ticket_id=result.ticket_id, changed=list(result.changed), refused=result.refused)
            for result in summary.results
        ],
    )


@router.post("/{ticket_id}/merge", response_model=TicketMergeRead, responses=CONFLICT)
def merge_ticket(
    ticket_id: int, data: TicketMergeCreate, session: DbSession, principal: StaffPrincipal
) -> TicketMergeRead:
    """Move this ticket's messages and attachments into ``into_id``, close it with a link there, and
    tell its requester once by e-mail. Refused (409): into itself (422), a merged ticket either way,
    a closed target, and a target of another requester unless ``force`` is true."""
    source = service.get_ticket_for(session, ticket_id, principal)
    target = service.get_ticket_for(session, data.into_id, principal)
    return TicketMergeRead.model_validate(merge.merge_tickets(session, source, target, principal, force=data.force))


@router.post("/{ticket_id}/unmerge", response_model=TicketMergeRead, responses=CONFLICT)
def unmerge_ticket(ticket_id: int, session: DbSession, principal: StaffPrincipal) -> TicketMergeRead:
    """Undo this ticket's merge: exactly the messages and attachments it moved come back, and the
    ticket has its status from before the merge again. 409 when it is not merged."""
    source = service.get_ticket_for(session, ticket_id, principal)
    return TicketMergeRead.model_validate(merge.unmerge(session, source, principal))
