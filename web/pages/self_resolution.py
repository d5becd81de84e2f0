""" "This solved it": the customer closes their request with an article offered on intake.

``GET /tickets/{id}/solved/{article_id}`` is where the confirmation e-mail's link lands: it only
asks (mail scanners and link previews follow links, so a GET changes nothing). Its button, and
the one beside each article on the ticket page, ``POST`` the same address with a CSRF token.

Who: the ticket's requester, signed in or through the ticket's signed link. Someone else's ticket
is "not found"; an agent is refused (agents close tickets in their own workspace). A request that
is already solved or closed gets a clear message, not an error page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from accounts import guards
from accounts.service import Principal
from aftercare.config import Settings
from aftercare.errors import InvalidTransition
from helpdesk import service
from helpdesk.models import Ticket
from helpdesk.ticket_links import sign_ticket_link
from kb.feedback import self_resolution
from kb.feedback.models import SolvedVia
from web import i18n
from web.csrf import verify_csrf
from web.deps import PAGE_SIGN_IN_REQUESTER, AppSettings, DbSession, PagePrincipal
from web.templating import render

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}


def _requesters_ticket(session: Session, ticket_id: int, principal: Principal) -> Ticket:
    guards.require_credentials(principal, PAGE_SIGN_IN_REQUESTER)
    ticket = service.get_ticket_for(session, ticket_id, principal)
    self_resolution.require_requester(ticket, principal)
    return ticket


def _link_suffix(settings: Settings, ticket: Ticket, principal: Principal) -> str:
    """Keep the signed link on the next address for a customer who came without signing in."""
    return f"?access_token={sign_ticket_link(settings.secret_key, ticket)}" if principal.ticket_link_id else ""


def solved_note(ticket: Ticket, title: str) -> str:
    """The line left on the thread, in the ticket's language (agents and the customer read it)."""
    gettext = i18n.translations(
        ticket.language if i18n.has_catalogue(ticket.language) else i18n.SOURCE_LANGUAGE
    ).gettext
    return gettext("Solved by the customer with the article “%(title)s”.") % {"title": title}


@router.get("/tickets/{ticket_id}/solved/{article_id}")
def confirm_solved(
    ticket_id: int,
    article_id: int,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PagePrincipal,
) -> Response:
    ticket = _requesters_ticket(session, ticket_id, principal)
    article = self_resolution.offered_article(session, ticket, article_id)
    return render(
        request,
        "pages/solved.html",
        {
            "ticket": ticket,
            "article": article,
            "suffix": _link_suffix(settings, ticket, principal),
            "finished": ticket.status not in self_resolution.OPEN_STATUSES,
        },
        headers=NO_STORE,
    )


@router.post("/tickets/{ticket_id}/solved/{article_id}", dependencies=[Depends(verify_csrf)])
def mark_solved(
    ticket_id: int,
    article_id: int,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PagePrincipal,
    via: Annotated[str, Form(max_length=16)] = SolvedVia.PAGE,
) -> Response:
    ticket = _requesters_ticket(session, ticket_id, principal)
    article = self_resolution.offered_article(session, ticket, article_id)
    suffix = _link_suffix(settings, ticket, principal)
    channel = SolvedVia.EMAIL if via == SolvedVia.EMAIL else SolvedVia.PAGE
    try:
        self_resolution.solve_with_article(
            session, ticket, article_id, principal, via=channel, note=solved_note(ticket, article.title)
        )
    except InvalidTransition:
        # Solved or closed meanwhile (by an agent, or on another tab): say so where they are.
        return render(
            request,
            "pages/solved.html",
            {
                "ticket": ticket,
                "article": article,
                "suffix": suffix,
                "finished": True,
            },
            status_code=409,
            headers=NO_STORE,
        )
    joiner = "&" if suffix else "?"
    return RedirectResponse(f"/tickets/{ticket.id}{suffix}{joiner}solved=1", status_code=303)
