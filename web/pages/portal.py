"""Customer portal pages: home, contact form, my tickets, one ticket's thread, language choice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from aftercare.errors import DomainError, NotAuthenticated, RateLimited
from helpdesk import service
from helpdesk.accounts import Principal, sign_ticket_link
from helpdesk.models import TicketChannel, TicketStatus
from helpdesk.schemas import MessageCreate, TicketCreate
from kb.feedback import self_resolution
from web import i18n, ratelimit
from web.csrf import verify_csrf
from web.deps import AppSettings, DbSession, PagePrincipal, client_key
from web.pages.auth import safe_next
from web.pages.forms import localized_field_errors
from web.pages.search import record_contact_submitted
from web.templating import render

router = APIRouter(include_in_schema=False)
MY_TICKETS_LIMIT = 100
# A customer may mark an unfinished ticket solved, or close one we marked solved.
CLOSABLE = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.SOLVED)


@router.get("/")
def home(request: Request, principal: PagePrincipal) -> Response:
    return render(request, "pages/home.html")


@router.post("/language", dependencies=[Depends(verify_csrf)])
def choose_language(
    request: Request,
    settings: AppSettings,
    language: Annotated[str, Form(max_length=35)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    chosen = i18n.match_language(language, i18n.interface_languages(settings.languages))
    if chosen is not None:
        response.set_cookie(
            i18n.LANGUAGE_COOKIE, chosen, max_age=i18n.LANGUAGE_COOKIE_MAX_AGE,
            httponly=True, samesite="lax", secure=settings.secure_cookies, path="/",
        )
    return response


@router.get("/contact")
def contact_page(request: Request, principal: PagePrincipal) -> Response:
    customer = principal.customer
    values = {"customer_email": customer.email if customer else "", "customer_name": customer.name if customer else ""}
    return render(request, "pages/contact.html", {"values": values, "errors": {}})


@router.post("/contact", dependencies=[Depends(verify_csrf)])
def contact_submit(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PagePrincipal,
    customer_email: Annotated[str, Form()] = "",
    customer_name: Annotated[str, Form()] = "",
    subject: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
) -> Response:
    values = {"customer_email": customer_email, "customer_name": customer_name, "subject": subject, "body": body}
    translations = i18n.translator(request)
    try:
        ratelimit.hit(settings.rate_limit_storage_url, settings.public_rate_limit, "tickets:create", client_key(request))
        data = TicketCreate(
            customer_email=customer_email, customer_name=customer_name or None, subject=subject, body=body
        )
        ticket = service.create_ticket(session, data, channel=TicketChannel.WEB, author=principal.user)
    except ValidationError as error:
        # Re-show the form with everything the customer typed: nothing is lost.
        errors = localized_field_errors(error, translations)
        return render(request, "pages/contact.html", {"values": values, "errors": errors}, status_code=422)
    except RateLimited as error:
        message = translations.gettext("You have sent many requests in a short time. Please try again in "
                                       "%(seconds)s seconds.") % {"seconds": error.retry_after}
        return render(request, "pages/contact.html", {"values": values, "errors": {"form": message}},
                      status_code=429, headers={"Retry-After": str(error.retry_after)})
    except DomainError as error:
        return render(request, "pages/contact.html", {"values": values, "errors": {"form": error.message}},
                      status_code=error.status_code)
    record_contact_submitted(request, session, ticket)
    link = sign_ticket_link(settings.secret_key, ticket)
    return RedirectResponse(f"/tickets/{ticket.id}?access_token={link}&created=1", status_code=303)


@router.get("/tickets")
def my_tickets(request: Request, session: DbSession, principal: PagePrincipal) -> Response:
    if principal.user is None:
        raise NotAuthenticated("sign in to see your tickets")
    tickets, total = service.list_tickets(
        session, service.TicketFilters(), principal, page=1, page_size=MY_TICKETS_LIMIT
    )
    return render(request, "pages/my_tickets.html", {"tickets": tickets, "total": total})


def _ticket_context(session, ticket_id: int, principal: Principal, settings) -> dict:
    ticket = service.get_ticket_for(session, ticket_id, principal)
    # The articles offered on intake (searched now if the confirmation did not), only to the requester.
    offered = self_resolution.offer_articles(session, ticket) if self_resolution.is_requester(ticket, principal) else []
    return {
        "ticket": ticket,
        "messages": service.visible_messages(ticket, principal),
        "access_token": sign_ticket_link(settings.secret_key, ticket) if principal.ticket_link_id else "",
        "can_close": ticket.status in CLOSABLE,
        "offered": offered,
        "can_self_solve": ticket.status in self_resolution.OPEN_STATUSES,
        "errors": {},
        "draft": "",
    }


@router.get("/tickets/{ticket_id}")
def customer_ticket(
    ticket_id: int, request: Request, session: DbSession, settings: AppSettings, principal: PagePrincipal,
    created: bool = False, solved: bool = False,
) -> Response:
    if principal.is_anonymous:
        raise NotAuthenticated("sign in, or open the link from your confirmation e-mail")
    context = _ticket_context(session, ticket_id, principal, settings)
    # No-store: the page's address may carry the ticket's signed link; keep it out of shared caches.
    return render(request, "pages/ticket.html", {**context, "created": created, "solved": solved},
                  headers={"Cache-Control": "no-store"})


@router.post("/tickets/{ticket_id}/reply", dependencies=[Depends(verify_csrf)])
def customer_reply(
    ticket_id: int, request: Request, session: DbSession, settings: AppSettings, principal: PagePrincipal,
    body: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "reply",
) -> Response:
    if principal.is_anonymous:
        raise NotAuthenticated("sign in, or open the link from your confirmation e-mail")
    ticket = service.get_ticket_for(session, ticket_id, principal)
    try:
        if action == "close":
            target = TicketStatus.CLOSED if ticket.status == TicketStatus.SOLVED else TicketStatus.SOLVED
            if body.strip():
                service.add_message(session, ticket, MessageCreate(body=body), principal)
            service.change_status(ticket, target, principal)
        else:
            service.add_message(session, ticket, MessageCreate(body=body), principal)
    except ValidationError as error:
        context = _ticket_context(session, ticket_id, principal, settings)
        errors = localized_field_errors(error, i18n.translator(request))
        return render(request, "pages/ticket.html", {**context, "created": False, "errors": errors, "draft": body},
                      status_code=422, headers={"Cache-Control": "no-store"})
    suffix = f"?access_token={sign_ticket_link(settings.secret_key, ticket)}" if principal.ticket_link_id else ""
    return RedirectResponse(f"/tickets/{ticket_id}{suffix}", status_code=303)
