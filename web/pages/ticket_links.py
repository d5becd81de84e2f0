"""Ticket links on pages: asking for a new one, the expired-link page, and revoking a ticket's links.

- ``GET /tickets/link`` is a form: the request's number and its e-mail address. ``POST`` e-mails a
  fresh link to the ticket's own address when both match, and answers exactly the same when they
  do not, so the form tells nobody which addresses or requests exist. Rate limited per client.
- An expired or revoked link lands on the sign-in page (every page answers a stale link with 401,
  which sends browsers there); ``expired_link_page`` is what it shows instead of the form: that the
  link expired or was revoked, a button that e-mails a new link to the ticket's address (the stale
  link is kept in the form: it names the ticket), and sign-in for customers with an account.
- ``POST /tickets/{id}/links/revoke`` (the requester: signed in, or with a live link) and
  ``POST /agent/tickets/{id}/links/revoke`` (agents) make every link to the ticket issued so far
  stop working. A requester without an account, whose own link just died with the others, is
  e-mailed a new one at the ticket's address; an agent may send one too. All carry CSRF tokens.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from accounts import guards
from accounts.service import normalize_email
from aftercare.config import Settings
from aftercare.errors import RateLimited
from helpdesk import service
from helpdesk.email.ticket_link_mail import send_new_ticket_link
from helpdesk.models import Ticket
from helpdesk.ticket_links import (
    LinkState,
    TicketLinkCheck,
    check_ticket_link,
    revoke_ticket_links,
    ticket_link_max_age,
)
from web import i18n, ratelimit
from web.csrf import verify_csrf
from web.deps import (
    PAGE_SIGN_IN_REQUESTER,
    TICKET_TOKEN_QUERY,
    AppSettings,
    DbSession,
    PagePrincipal,
    PageStaff,
    client_key,
)
from web.templating import render

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
# Ids above this name nothing (the smallest id column, PostgreSQL INTEGER); never sent to the database.
MAX_TICKET_ID = 2**31 - 1
MAX_LINK_CHARS = 1000


def stale_link_in(session: Session, settings: Settings, target: str) -> TicketLinkCheck | None:
    """The expired or revoked ticket link inside a same-site address (the sign-in page's ``next``)."""
    link = parse_qs(urlparse(target).query).get(TICKET_TOKEN_QUERY, [""])[0]
    if not link or len(link) > MAX_LINK_CHARS:
        return None
    check = check_ticket_link(session, settings.secret_key, link, max_age=ticket_link_max_age(settings))
    return check if check.state in (LinkState.EXPIRED, LinkState.REVOKED) else None


def expired_link_page(request: Request, check: TicketLinkCheck, link: str, next_path: str) -> Response:
    context = {
        "mode": str(check.state),
        "link": link,
        "ticket_id": check.ticket.id if check.ticket else None,
        "next_path": next_path,
        "values": {},
        "errors": {},
    }
    return render(request, "access/ticket_link.html", context, headers=NO_STORE)


@router.get("/tickets/link")
def new_link_form(request: Request, principal: PagePrincipal) -> Response:
    return render(request, "access/ticket_link.html", {"mode": "form", "values": {}, "errors": {}}, headers=NO_STORE)


def _parse_ticket_number(text: str) -> int | None:
    digits = text.strip().lstrip("#")
    return int(digits) if digits.isascii() and digits.isdigit() and 0 < int(digits) <= MAX_TICKET_ID else None


def _matching_ticket(
    session: Session, settings: Settings, *, link: str, email: str, number: int | None
) -> Ticket | None:
    if link:
        return check_ticket_link(session, settings.secret_key, link, max_age=ticket_link_max_age(settings)).ticket
    ticket = session.get(Ticket, number) if number is not None else None
    if ticket is None or ticket.requester.email != normalize_email(email):
        return None
    return ticket


@router.post("/tickets/link", dependencies=[Depends(verify_csrf)])
def new_link_send(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PagePrincipal,
    email: Annotated[str, Form(max_length=320)] = "",
    ticket: Annotated[str, Form(max_length=40)] = "",
    link: Annotated[str, Form(max_length=MAX_LINK_CHARS)] = "",
) -> Response:
    translations = i18n.translator(request)
    values = {"email": email, "ticket": ticket}
    number = _parse_ticket_number(ticket)
    errors: dict[str, str] = {}
    if not link:
        if "@" not in email:
            errors["email"] = translations.gettext("Enter the e-mail address you wrote to us from.")
        if number is None:
            errors["ticket"] = translations.gettext(
                "Enter the request's number, e.g. 1234 (it is in our e-mails' subject)."
            )
    if errors:
        return render(
            request,
            "access/ticket_link.html",
            {"mode": "form", "values": values, "errors": errors},
            status_code=422,
            headers=NO_STORE,
        )
    try:
        ratelimit.hit(settings.rate_limit_storage_url, settings.public_rate_limit, "tickets:link", client_key(request))
    except RateLimited as error:
        message = translations.gettext(
            "You have sent many requests in a short time. Please try again in %(seconds)s seconds."
        ) % {"seconds": error.retry_after}
        return render(
            request,
            "access/ticket_link.html",
            {"mode": "form", "values": values, "errors": {"form": message}},
            status_code=429,
            headers={"Retry-After": str(error.retry_after), **NO_STORE},
        )
    found = _matching_ticket(session, settings, link=link, email=email, number=number)
    if found is not None:
        send_new_ticket_link(session, found)
    # The same answer whether or not anything matched.
    return render(request, "access/ticket_link.html", {"mode": "sent", "values": {}, "errors": {}}, headers=NO_STORE)


@router.post("/tickets/{ticket_id}/links/revoke", dependencies=[Depends(verify_csrf)])
def revoke_links_as_requester(
    ticket_id: int,
    request: Request,
    session: DbSession,
    principal: PagePrincipal,
) -> Response:
    guards.require_credentials(principal, PAGE_SIGN_IN_REQUESTER)
    ticket = service.get_ticket_for(session, ticket_id, principal)
    revoke_ticket_links(session, ticket, principal)
    # Signed in, the requester still reaches the ticket; with only a link, their way in just closed.
    mailed = principal.user is None
    if mailed:
        send_new_ticket_link(session, ticket)
    return render(
        request,
        "access/ticket_link.html",
        {"mode": "revoked_done", "ticket_id": ticket.id, "mailed": mailed, "values": {}, "errors": {}},
        headers=NO_STORE,
    )


@router.post("/agent/tickets/{ticket_id}/links/revoke", dependencies=[Depends(verify_csrf)])
def revoke_links_as_agent(
    ticket_id: int,
    session: DbSession,
    principal: PageStaff,
    send_new_link: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    ticket = service.get_ticket_for(session, ticket_id, principal)
    revoke_ticket_links(session, ticket, principal)
    if send_new_link:
        send_new_ticket_link(session, ticket)
    return RedirectResponse(f"/agent/tickets/{ticket.id}?links_revoked=1", status_code=303)
