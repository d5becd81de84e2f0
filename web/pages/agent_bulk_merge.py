"""Agent pages: bulk changes from the inbox, and merging a ticket into another from its page.

The inbox's action bar posts the ticked rows here; the answer is the inbox again, in the same
view and filters, with the summary above the list (the htmx request gets only the results block,
which holds both). The summary reaches the inbox's template on ``request.state`` so the inbox
route itself is reused unchanged.

Merge takes two steps: "Merge into…" asks for a ticket number and shows both subjects (a GET that
changes nothing); the confirmation's button posts the merge. A merged ticket's page offers Undo.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from accounts.models import User
from aftercare.errors import DomainError
from helpdesk import bulk, merge, service
from helpdesk.models import Ticket
from helpdesk.schemas import TicketBulkUpdate
from web.csrf import verify_csrf
from web.deps import AppSettings, DbSession
from web.pages import agent
from web.pages.agent_access import PageStaff

router = APIRouter(prefix="/agent", include_in_schema=False)
MAX_TAGS_FIELD = 2000


def _ids(values: list[str]) -> list[int]:
    return [int(value) for value in values if value.strip().isdigit() and len(value.strip()) < 12]


def _tags(text: str) -> list[str]:
    return [tag for tag in text.replace(";", ",").split(",") if tag.strip()]


@router.post("/tickets/bulk", dependencies=[Depends(verify_csrf)])
def bulk_change(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PageStaff,
    ticket_ids: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies form defaults
    page_ids: Annotated[str, Form(max_length=2000)] = "",
    all_on_page: Annotated[str, Form(max_length=4)] = "",
    bulk_assignee: Annotated[str, Form(max_length=20)] = "",
    bulk_status: Annotated[str, Form(max_length=16)] = "",
    bulk_priority: Annotated[str, Form(max_length=16)] = "",
    bulk_add_tags: Annotated[str, Form(max_length=MAX_TAGS_FIELD)] = "",
    bulk_remove_tags: Annotated[str, Form(max_length=MAX_TAGS_FIELD)] = "",
    view: Annotated[str, Form(max_length=16)] = "",
    status: Annotated[str, Form(max_length=16)] = "",
    assignee: Annotated[str, Form(max_length=20)] = "",
    language: Annotated[str, Form(max_length=16)] = "",
    tag: Annotated[str, Form(max_length=64)] = "",
    q: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    chosen = {
        "assignee": bulk_assignee,
        "status": bulk_status,
        "priority": bulk_priority,
        "add_tags": bulk_add_tags,
        "remove_tags": bulk_remove_tags,
    }
    ids = _ids(page_ids.split(",")) if all_on_page else _ids(ticket_ids)
    fields: dict[str, object] = {"ticket_ids": ids}
    if bulk_assignee == "none":
        fields["assignee_id"] = None
    elif bulk_assignee:
        fields["assignee_id"] = bulk_assignee
    for name, value in (("status", bulk_status), ("priority", bulk_priority)):
        if value:
            fields[name] = value
    fields["add_tags"] = _tags(bulk_add_tags)
    fields["remove_tags"] = _tags(bulk_remove_tags)
    outcome: dict[str, object] = {"chosen": chosen}
    status_code = 200
    if not ids:
        outcome["error"] = "no_tickets"
        status_code = 422
    else:
        try:
            changes = TicketBulkUpdate.model_validate(fields)
            with session.begin_nested():
                summary = bulk.bulk_update(session, changes, principal)
        except ValidationError as error:
            outcome["error_text"] = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            status_code = 422
        except DomainError as error:
            session.expire_all()
            outcome["error_text"] = error.message
            status_code = error.status_code
        else:
            assignee_user = session.get(User, changes.assignee_id) if changes.assignee_id else None
            outcome.update(
                summary=summary,
                changes=changes,
                unassigned="assignee_id" in changes.model_fields_set and changes.assignee_id is None,
                assignee_name=assignee_user.name if assignee_user is not None else "",
                # The refused rows' numbers, marked in the list.
                refused_ids={result.ticket_id for result in summary.refused},
            )
            session.flush()
    # Read by agent/_bulk_bar.html (the inbox's results block).
    request.state.bulk_outcome = outcome
    response = agent.inbox_page(
        request,
        session,
        settings,
        principal,
        view=view,
        status=status,
        assignee=assignee,
        language=language,
        tag=tag,
        q=q,
        older="",
        newer="",
        after="",
    )
    response.status_code = status_code
    return response


def _target_for(session: DbSession, into: str) -> Ticket | None:
    number = into.strip().removeprefix("#")
    if not number.isdigit() or len(number) > 12:
        return None
    return session.get(Ticket, int(number))


@router.get("/tickets/{ticket_id}/merge")
def merge_preview(
    ticket_id: int,
    request: Request,
    session: DbSession,
    principal: PageStaff,
    into: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The confirmation step: both tickets side by side; nothing is changed here."""
    source = service.get_ticket_for(session, ticket_id, principal)
    target = _target_for(session, into)
    if target is None:
        return agent._ticket_page(
            request, session, principal, ticket_id, status_code=422, merge_into=into, merge_error="not_found"
        )
    try:
        merge.check_merge(source, target, force=True)
    except DomainError as error:
        return agent._ticket_page(
            request,
            session,
            principal,
            ticket_id,
            status_code=error.status_code,
            merge_into=into,
            merge_error_text=error.message,
        )
    return agent._ticket_page(
        request,
        session,
        principal,
        ticket_id,
        merge_into=into,
        merge_target=target,
        merge_other_requester=target.requester_id != source.requester_id,
    )


@router.post("/tickets/{ticket_id}/merge", dependencies=[Depends(verify_csrf)])
def merge_ticket(
    ticket_id: int,
    request: Request,
    session: DbSession,
    principal: PageStaff,
    into_id: Annotated[str, Form(max_length=20)] = "",
    force: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    source = service.get_ticket_for(session, ticket_id, principal)
    target = _target_for(session, into_id)
    if target is None:
        return agent._ticket_page(
            request, session, principal, ticket_id, status_code=422, merge_into=into_id, merge_error="not_found"
        )
    try:
        with session.begin_nested():
            merge.merge_tickets(session, source, target, principal, force=bool(force))
    except DomainError as error:
        session.expire_all()
        return agent._ticket_page(
            request,
            session,
            principal,
            ticket_id,
            status_code=error.status_code,
            merge_into=into_id,
            merge_error_text=error.message,
        )
    return RedirectResponse(f"/agent/tickets/{target.id}", status_code=303)


@router.post("/tickets/{ticket_id}/unmerge", dependencies=[Depends(verify_csrf)])
def unmerge_ticket(ticket_id: int, request: Request, session: DbSession, principal: PageStaff) -> Response:
    source = service.get_ticket_for(session, ticket_id, principal)
    try:
        with session.begin_nested():
            merge.unmerge(session, source, principal)
    except DomainError as error:
        session.expire_all()
        return agent._ticket_page(
            request, session, principal, ticket_id, status_code=error.status_code, merge_error_text=error.message
        )
    return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)
