"""Agent workspace pages: the inbox (views, filters, keyset pages) and one ticket.

The ticket's forms offer only the status changes the state machine allows
(``helpdesk.transitions``), and the reply form never loses what the agent typed: a reply that is
refused (invalid, an illegal status, any domain error) comes back in the editor with the reason
beside it, and nothing of it is stored. (Errors outside the route, such as a busy database, are
covered in the browser by ``static/reply_draft.js``.)
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.service import Principal
from aftercare.errors import DomainError
from aftersales.customer_story import PANEL_LIMITS, customer_story
from helpdesk import inbox, macros, presence, service, ticket_search
from helpdesk.attachments import service as attachments
from helpdesk.models import MessageKind, TicketPriority, TicketStatus, TicketTag
from helpdesk.schemas import MessageCreate, TicketUpdate
from helpdesk.transitions import can_reply_publicly, check_reply, next_statuses
from web.csrf import verify_csrf
from web.deps import AppSettings, DbSession
from web.i18n import N_
from web.pages.agent_access import PageStaff, require_page_staff  # noqa: F401 - imported by other page modules
from web.pages.agent_macros import router as macros_router
from web.pages.agent_suggestions import router as suggestions_router
from web.pages.forms import field_errors
from web.templating import render
from web.uploads import read_uploads

router = APIRouter(prefix="/agent", include_in_schema=False)
router.include_router(macros_router)
router.include_router(suggestions_router)
PAGE_SIZE = 25
MAX_TAG_CHOICES = 200

VIEW_LABELS = {
    inbox.InboxView.MINE: N_("My open"),
    inbox.InboxView.UNASSIGNED: N_("Unassigned"),
    inbox.InboxView.OPEN: N_("All open"),
    inbox.InboxView.PENDING: N_("Pending"),
    inbox.InboxView.SOLVED: N_("Solved"),
    inbox.InboxView.ALL: N_("All tickets"),
    inbox.InboxView.AT_RISK: N_("At risk"),
}


def _agents(session: Session) -> list[User]:
    return list(
        session.scalars(select(User).where(User.role.in_(["agent", "admin"]), User.is_active).order_by(User.name))
    )


def _known_tags(session: Session) -> list[str]:
    return list(session.scalars(select(TicketTag.tag).distinct().order_by(TicketTag.tag).limit(MAX_TAG_CHOICES)))


@router.get("")
def workspace_home() -> Response:
    return RedirectResponse("/agent/tickets", status_code=303)


@router.get("/tickets")
def inbox_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PageStaff,
    view: Annotated[str, Query(max_length=16)] = "",
    status: Annotated[str, Query(max_length=16)] = "",
    assignee: Annotated[str, Query(max_length=20)] = "",
    language: Annotated[str, Query(max_length=16)] = "",
    tag: Annotated[str, Query(max_length=64)] = "",
    q: Annotated[str, Query(max_length=inbox.MAX_SEARCH_CHARS)] = "",
    older: Annotated[str, Query(max_length=48)] = "",
    newer: Annotated[str, Query(max_length=48)] = "",
    after: Annotated[str, Query(max_length=64)] = "",
    sort: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    chosen_sort = inbox.InboxSort(sort) if sort in set(inbox.InboxSort) else inbox.InboxSort.UPDATED
    chosen_status = TicketStatus(status) if status in set(TicketStatus) else None
    # A status asked for without a view means "whatever view holds it".
    default_view = inbox.InboxView.ALL if chosen_status is not None else inbox.InboxView.OPEN
    chosen_view = inbox.InboxView(view) if view in set(inbox.InboxView) else default_view
    query = inbox.InboxQuery(
        view=chosen_view,
        status=chosen_status,
        assignee=assignee or None,
        language=language if language in settings.languages else None,
        tag=tag.strip() or None,
        text=q.strip() or None,
        sort=chosen_sort,
    )
    # Words in the box search every ticket, in every status; the filters narrow it (facets).
    search = (
        ticket_search.search(
            session,
            ticket_search.SearchQuery(
                text=query.text, status=query.status, assignee=query.assignee, language=query.language, tag=query.tag
            ),
            principal,
            after=ticket_search.SearchCursor.decode(after) if after else None,
            size=PAGE_SIZE,
        )
        if query.text
        else None
    )
    page = (
        inbox.InboxPage(tickets=[], total=0)
        if search is not None
        else inbox.inbox_page(
            session,
            query,
            principal,
            older_than=inbox.Cursor.decode(older) if older else None,
            newer_than=inbox.Cursor.decode(newer) if newer else None,
            size=PAGE_SIZE,
        )
    )
    filters = {
        "view": chosen_view.value,
        "status": status if chosen_status else "",
        "assignee": assignee,
        "language": query.language or "",
        "tag": tag.strip(),
        "q": q.strip(),
        "sort": chosen_sort.value if chosen_sort is not inbox.InboxSort.UPDATED else "",
    }
    kept = {key: value for key, value in filters.items() if value}

    def page_url(**cursor: str) -> str:
        return "/agent/tickets?" + urlencode({**kept, **cursor})

    context = {
        "page": page,
        "filters": filters,
        "views": [(view_, VIEW_LABELS[view_]) for view_ in inbox.InboxView],
        "counts": inbox.view_counts(session, principal),
        "older_url": page_url(older=page.older.encode()) if page.older else None,
        "newer_url": page_url(newer=page.newer.encode()) if page.newer else None,
        "first_url": page_url() if (older or newer or after) else None,
        "search": search,
        "more_url": page_url(after=search.next.encode()) if search is not None and search.next else None,
        "facet_url": lambda status_="": (
            "/agent/tickets?"
            + urlencode(
                {**{k: v for k, v in kept.items() if k != "status"}, **({"status": status_} if status_ else {})}
            )
        ),
        "highlight": ticket_search.to_html,
        "view_url": lambda view_: "/agent/tickets?" + urlencode({"view": view_.value}),
        "statuses": list(TicketStatus),
        "languages": settings.languages,
        "agents": _agents(session),
        "tags": _known_tags(session),
    }
    return render(request, "agent/inbox.html", context, block="results")


def _ticket_page(
    request: Request, session: Session, principal: Principal, ticket_id: int, *, status_code: int = 200, **extra
) -> Response:
    ticket = service.get_ticket_for(session, ticket_id, principal)
    other_tickets, other_total = inbox.customer_tickets(session, ticket)
    story = customer_story(
        session,
        ticket.requester_id,
        warranty_months=request.app.state.settings.default_warranty_months,
        exclude_ticket_id=ticket.id,
        limits=PANEL_LIMITS,
    )
    agents = _agents(session)
    public = can_reply_publicly(ticket)
    context = {
        "ticket": ticket,
        "messages": service.visible_messages(ticket, principal),
        "message_files": attachments.attachments_by_message(session, ticket, principal),
        "agents": agents,
        "agent_names": {str(agent.id): agent.name for agent in agents},
        # The menus offer only what the state machine allows from the ticket's status.
        "next_statuses": next_statuses(ticket.status, principal),
        "can_reply_publicly": public,
        "priorities": list(TicketPriority),
        "errors": {},
        "reply_errors": {},
        "draft": "",
        "properties": None,
        "kind": (MessageKind.PUBLIC_REPLY if public else MessageKind.INTERNAL_NOTE).value,
        "reply_status": "",
        "other_tickets": other_tickets,
        "other_total": other_total,
        "story": story,
        "macros": macros.list_macros(session, language=ticket.language),
        **extra,
    }
    return render(request, "agent/ticket.html", context, status_code=status_code)


@router.get("/tickets/{ticket_id}")
def ticket_page(
    ticket_id: int,
    request: Request,
    session: DbSession,
    principal: PageStaff,
    macro: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    # Without JavaScript, "Insert" reloads the page with the canned reply in the editor.
    draft = ""
    if macro is not None:
        ticket = service.get_ticket_for(session, ticket_id, principal)
        draft = macros.render_macro(macros.get_macro(session, macro), ticket, principal.user)
    return _ticket_page(request, session, principal, ticket_id, draft=draft)


@router.get("/tickets/{ticket_id}/macros/{macro_id}")
def rendered_macro(ticket_id: int, macro_id: int, session: DbSession, principal: PageStaff) -> Response:
    """A canned reply filled in for this ticket, as plain text for the reply editor."""
    ticket = service.get_ticket_for(session, ticket_id, principal)
    text = macros.render_macro(macros.get_macro(session, macro_id), ticket, principal.user)
    return PlainTextResponse(text, headers={"Cache-Control": "no-store"})


@router.post("/tickets/{ticket_id}/messages", dependencies=[Depends(verify_csrf)])
def post_message(
    ticket_id: int,
    request: Request,
    session: DbSession,
    principal: PageStaff,
    settings: AppSettings,
    body: Annotated[str, Form()] = "",
    # Plain strings, checked by MessageCreate: a bad value is an error beside the kept reply,
    # not a bare 422 page.
    kind: Annotated[str, Form()] = MessageKind.PUBLIC_REPLY.value,
    status: Annotated[str, Form()] = "",
    # The newest message on the page the agent wrote on (helpdesk.presence); absent: no check.
    seen_message_id: Annotated[str, Form(max_length=20)] = "",
    files: Annotated[list[UploadFile | str], File()] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    ticket = service.get_ticket_for(session, ticket_id, principal)
    kept = {"draft": body, "kind": kind, "reply_status": status}
    try:
        data = MessageCreate(body=body, kind=kind, status=status or None)
    except ValidationError as error:
        return _ticket_page(
            request, session, principal, ticket_id, status_code=422, reply_errors=field_errors(error), **kept
        )
    try:
        # Checked before anything is written; stored with the message below, in its savepoint.
        uploads = attachments.check_uploads(read_uploads(files, settings), settings)
    except attachments.AttachmentRefused as error:
        return _ticket_page(
            request,
            session,
            principal,
            ticket_id,
            status_code=error.status_code,
            reply_errors={"files": error.message},
            **kept,
        )
    if seen_message_id.isdigit():
        newer = presence.newer_messages(
            session, ticket.id, int(seen_message_id), principal.user.id if principal.user else None
        )
        if newer:
            # Someone wrote meanwhile: show it highlighted, the reply kept, and "Send anyway".
            return _ticket_page(
                request, session, principal, ticket_id, status_code=409, newer_ids=[m.id for m in newer], **kept
            )
    status_refused = (
        data.status is not None
        and data.status != ticket.status
        and (data.status not in next_statuses(ticket.status, principal))
    )
    try:
        # Checked first for a clear message; the savepoint undoes a refusal the check did not
        # foresee (a status changed meanwhile), so that a refused reply stores nothing at all.
        check_reply(ticket, data.kind, data.status, principal)
        with session.begin_nested():
            # Suggestion outcomes follow the commit (kb.search.subscribers), as for API replies.
            message = service.add_message(session, ticket, data, principal)
            attachments.attach_uploads(session, ticket, message, uploads, principal, settings)
    except DomainError as error:
        session.expire_all()
        return _ticket_page(
            request,
            session,
            principal,
            ticket_id,
            status_code=error.status_code,
            reply_errors={"status" if status_refused else "reply": error.message},
            **kept,
        )
    return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)


@router.post("/tickets/{ticket_id}/update", dependencies=[Depends(verify_csrf)])
def update(
    ticket_id: int,
    request: Request,
    session: DbSession,
    principal: PageStaff,
    status: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "",
    assignee_id: Annotated[str, Form()] = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    ticket = service.get_ticket_for(session, ticket_id, principal)
    # What the agent chose, shown again if the change is refused.
    chosen = {"priority": priority, "assignee_id": assignee_id, "tags": tags}
    try:
        changes = TicketUpdate(
            status=status or None,
            priority=priority or None,
            assignee_id=int(assignee_id) if assignee_id.isdigit() else None,
            tags=[tag for tag in tags.replace(";", ",").split(",") if tag.strip()],
        )
    except ValidationError as error:
        return _ticket_page(
            request, session, principal, ticket_id, status_code=422, errors=field_errors(error), properties=chosen
        )
    status_refused = (
        changes.status is not None
        and changes.status != ticket.status
        and (changes.status not in next_statuses(ticket.status, principal))
    )
    try:
        with session.begin_nested():
            service.update_ticket(session, ticket, changes, principal)
    except DomainError as error:
        session.expire_all()
        return _ticket_page(
            request,
            session,
            principal,
            ticket_id,
            status_code=error.status_code,
            errors={"status" if status_refused else "form": error.message},
            properties=chosen,
        )
    return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)
