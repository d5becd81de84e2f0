"""Agent workspace pages: the inbox and one ticket (thread, reply, note, status, assignee)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from aftercare.errors import Forbidden, NotAuthenticated
from helpdesk import service
from helpdesk.accounts import Principal
from helpdesk.models import MessageKind, TicketPriority, TicketStatus, User
from helpdesk.schemas import MessageCreate, TicketUpdate
from web.csrf import verify_csrf
from web.deps import AppSettings, DbSession, PagePrincipal
from web.pages.forms import field_errors
from web.templating import render

router = APIRouter(prefix="/agent", include_in_schema=False)
PAGE_SIZE = 25


def require_page_staff(principal: PagePrincipal) -> Principal:
    if principal.user is None:
        raise NotAuthenticated("sign in as an agent")
    if not principal.is_staff:
        raise Forbidden("agents only")
    return principal


PageStaff = Annotated[Principal, Depends(require_page_staff)]


def _agents(session) -> list[User]:
    return list(session.scalars(select(User).where(User.role.in_(["agent", "admin"]), User.is_active).order_by(User.name)))


@router.get("/tickets")
def inbox(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PageStaff,
    status: Annotated[str, Query(max_length=16)] = "",
    assignee: Annotated[str, Query(max_length=20)] = "",
    language: Annotated[str, Query(max_length=16)] = "",
    tag: Annotated[str, Query(max_length=64)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    filters = service.TicketFilters(
        status=TicketStatus(status) if status in set(TicketStatus) else None,
        assignee=assignee or None,
        language=language or None,
        tag=tag or None,
    )
    tickets, total = service.list_tickets(session, filters, principal, page=page, page_size=PAGE_SIZE)
    context = {
        "tickets": tickets, "total": total, "page": page, "page_size": PAGE_SIZE,
        "filters": {"status": status, "assignee": assignee, "language": language, "tag": tag},
        "statuses": list(TicketStatus), "languages": settings.languages,
    }
    return render(request, "agent/inbox.html", context, block="results")


def _ticket_page(request: Request, session, principal: Principal, ticket_id: int, **extra) -> Response:
    ticket = service.get_ticket_for(session, ticket_id, principal)
    context = {
        "ticket": ticket, "messages": service.visible_messages(ticket, principal), "agents": _agents(session),
        "statuses": list(TicketStatus), "priorities": list(TicketPriority), "errors": {}, "draft": "",
        **extra,
    }
    return render(request, "agent/ticket.html", context, status_code=422 if extra.get("errors") else 200)


@router.get("/tickets/{ticket_id}")
def ticket_page(ticket_id: int, request: Request, session: DbSession, principal: PageStaff) -> Response:
    return _ticket_page(request, session, principal, ticket_id)


@router.post("/tickets/{ticket_id}/messages", dependencies=[Depends(verify_csrf)])
def post_message(
    ticket_id: int, request: Request, session: DbSession, principal: PageStaff,
    body: Annotated[str, Form()] = "",
    kind: Annotated[MessageKind, Form()] = MessageKind.PUBLIC_REPLY,
    status: Annotated[str, Form()] = "",
) -> Response:
    ticket = service.get_ticket_for(session, ticket_id, principal)
    try:
        data = MessageCreate(body=body, kind=kind, status=status or None)
    except ValidationError as error:
        return _ticket_page(request, session, principal, ticket_id, errors=field_errors(error), draft=body)
    service.add_message(session, ticket, data, principal)
    return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)


@router.post("/tickets/{ticket_id}/update", dependencies=[Depends(verify_csrf)])
def update(
    ticket_id: int, request: Request, session: DbSession, principal: PageStaff,
    status: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "",
    assignee_id: Annotated[str, Form()] = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    ticket = service.get_ticket_for(session, ticket_id, principal)
    try:
        changes = TicketUpdate(
            status=status or None,
            priority=priority or None,
            assignee_id=int(assignee_id) if assignee_id.isdigit() else None,
            tags=[tag for tag in tags.replace(";", ",").split(",") if tag.strip()],
        )
    except ValidationError as error:
        return _ticket_page(request, session, principal, ticket_id, errors=field_errors(error))
    service.update_ticket(session, ticket, changes, principal)
    return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)
