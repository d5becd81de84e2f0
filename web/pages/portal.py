"""Customer portal pages: home, contact form, my tickets, one ticket's thread, language choice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from accounts import guards
from accounts.models import User
from accounts.service import Principal, principal_for_user
from aftercare.db import is_database_busy
from aftercare.errors import (
    DomainError,
    InvalidTransition,
    RateLimited,
)
from helpdesk import service
from helpdesk.attachments import service as attachments
from helpdesk.models import TicketChannel, TicketStatus
from helpdesk.receipts import sign_receipt, ticket_for_receipt
from helpdesk.schemas import MessageCreate, TicketCreate
from helpdesk.ticket_links import sign_ticket_link
from kb.feedback import self_resolution
from kb.feedback.models import SolvedVia
from web import i18n, ratelimit
from web.api.tickets import limit_customer_replies
from web.csrf import verify_csrf
from web.deps import (
    PAGE_SIGN_IN_REQUESTER,
    AppSettings,
    DbSession,
    PagePrincipal,
    client_key,
    get_page_principal,
)
from web.errors import BUSY_RETRY_AFTER_SECONDS
from web.pages import intake_text
from web.pages.auth import safe_next
from web.pages.forms import localized_field_errors
from web.pages.search import record_contact_submitted
from web.pages.self_resolution import solved_note
from web.templating import render
from web.uploads import read_uploads, refusal_text

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
            i18n.LANGUAGE_COOKIE,
            chosen,
            max_age=i18n.LANGUAGE_COOKIE_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            path="/",
        )
    return response


@router.get("/contact")
def contact_page(request: Request, principal: PagePrincipal) -> Response:
    customer = principal.customer
    values = {"customer_email": customer.email if customer else "", "customer_name": customer.name if customer else ""}
    return render(request, "pages/contact.html", {"values": values, "errors": {}})


def _contact_form(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int,
    headers: dict[str, str] | None = None,
) -> Response:
    return render(
        request, "pages/contact.html", {"values": values, "errors": errors}, status_code=status_code, headers=headers
    )


def _signed_in_principal_again(request: Request) -> None:
    """After a rollback the signed-in user is detached; reload them for the page chrome (or forget)."""
    principal = getattr(request.state, "principal", None)
    user_id = getattr(getattr(principal, "user", None), "id", None) if principal is not None else None
    request.state.principal = None
    if user_id is None:
        return
    try:
        with request.app.state.database.session() as session:
            user = session.get(User, user_id)
            request.state.principal = principal_for_user(user) if user is not None else None
    except Exception:  # the page must render even while the database is the problem
        request.state.principal = None


@router.post("/contact", dependencies=[Depends(verify_csrf)])
def contact_submit(
    request: Request,
    settings: AppSettings,
    customer_email: Annotated[str, Form()] = "",
    customer_name: Annotated[str, Form()] = "",
    subject: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    files: Annotated[list[UploadFile | str], File()] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    """Open a ticket from the form; on any error the form comes back with everything typed in it.

    This route owns its transaction (no ``DbSession``), so that a database still busy after the
    busy timeout, at any point up to the commit, is answered with the filled-in form (503), not a
    bare error page. Someone not signed in as the address's customer gets a receipt page (the
    number, the status, the offered articles); the ticket's link goes to that address by e-mail.
    """
    values = {"customer_email": customer_email, "customer_name": customer_name, "subject": subject, "body": body}
    translations = i18n.translator(request)
    database = request.app.state.database
    try:
        with database.session(write=True) as session:
            principal = get_page_principal(request, session, settings)
            try:
                ratelimit.hit(
                    settings.rate_limit_storage_url, settings.public_rate_limit, "tickets:create", client_key(request)
                )
                data = TicketCreate(
                    customer_email=customer_email, customer_name=customer_name or None, subject=subject, body=body
                )
                uploads = attachments.check_uploads(read_uploads(files, settings), settings)
                verified = service.requester_verified(principal, data.customer_email)
                ticket = service.create_ticket(
                    session, data, channel=TicketChannel.WEB, author=principal.user, requester_verified=verified
                )
                # The files belong to the request's first message; the uploader is its author.
                uploader = Principal(user=principal.user, customer=ticket.requester)
                attachments.attach_uploads(session, ticket, ticket.messages[0], uploads, uploader, settings)
            except attachments.AttachmentRefused as error:
                return _contact_form(request, values, {"files": refusal_text(error, translations)}, error.status_code)
            except ValidationError as error:
                # Nothing was written: the form again with everything the person typed.
                return _contact_form(request, values, localized_field_errors(error, translations), 422)
            except RateLimited as error:
                message = translations.gettext(
                    "You have sent many requests in a short time. Please try again in %(seconds)s seconds."
                ) % {"seconds": error.retry_after}
                return _contact_form(request, values, {"form": message}, 429, {"Retry-After": str(error.retry_after)})
            except DomainError as error:
                return _contact_form(request, values, {"form": error.message}, error.status_code)
            record_contact_submitted(request, session, ticket)
            if verified:
                target = f"/tickets/{ticket.id}?created=1"
            else:
                target = f"/contact/sent?receipt={sign_receipt(settings.secret_key, ticket)}"
    except OperationalError as error:
        if not is_database_busy(error):
            raise
        _signed_in_principal_again(request)
        message = translations.gettext(intake_text.DATABASE_BUSY) % {"seconds": BUSY_RETRY_AFTER_SECONDS}
        return _contact_form(request, values, {"form": message}, 503, {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)})
    return RedirectResponse(target, status_code=303)


@router.get("/contact/sent")
def contact_sent(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PagePrincipal,
    receipt: Annotated[str, Query(max_length=500)] = "",
    solved: bool = False,
) -> Response:
    """The receipt of an intake (``helpdesk.receipts``): never the thread, the customer or the link."""
    ticket = ticket_for_receipt(session, settings.secret_key, receipt)
    if ticket is None:
        return render(
            request,
            "pages/intake_receipt.html",
            {"ticket": None},
            status_code=404,
            headers={"Cache-Control": "no-store"},
        )
    return render(
        request,
        "pages/intake_receipt.html",
        {
            "ticket": ticket,
            "receipt": receipt,
            "sent_to": ticket.requester.email if service.confirmation_queued(session, ticket) else None,
            "offered": self_resolution.offer_articles(session, ticket),
            "can_self_solve": ticket.status in self_resolution.OPEN_STATUSES,
            "solved": solved,
        },
        headers={"Cache-Control": "no-store"},
    )


@router.post("/contact/sent/solved/{article_id}", dependencies=[Depends(verify_csrf)])
def contact_sent_solved(
    article_id: int,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    receipt: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """ "This solved it" from the receipt: the one thing a receipt may change on its ticket."""
    ticket = ticket_for_receipt(session, settings.secret_key, receipt)
    if ticket is None:
        return render(
            request,
            "pages/intake_receipt.html",
            {"ticket": None},
            status_code=404,
            headers={"Cache-Control": "no-store"},
        )
    article = self_resolution.offered_article(session, ticket, article_id)
    # The requester's own act, with no more than the receipt grants (this ticket only).
    requester = Principal(customer=ticket.requester, ticket_link_id=ticket.id)
    try:
        self_resolution.solve_with_article(
            session, ticket, article_id, requester, via=SolvedVia.PAGE, note=solved_note(ticket, article.title)
        )
    except InvalidTransition:
        pass  # solved or closed meanwhile: the receipt shows its status
    return RedirectResponse(f"/contact/sent?receipt={receipt}&solved=1", status_code=303)


@router.get("/tickets")
def my_tickets(request: Request, session: DbSession, principal: PagePrincipal) -> Response:
    guards.require_user(principal, "sign in to see your tickets")
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
        "message_files": attachments.attachments_by_message(session, ticket, principal),
        "access_token": sign_ticket_link(settings.secret_key, ticket) if principal.ticket_link_id else "",
        "can_close": ticket.status in CLOSABLE,
        "offered": offered,
        "can_self_solve": ticket.status in self_resolution.OPEN_STATUSES,
        "errors": {},
        "draft": "",
    }


@router.get("/tickets/{ticket_id}")
def customer_ticket(
    ticket_id: int,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PagePrincipal,
    created: bool = False,
    solved: bool = False,
) -> Response:
    guards.require_credentials(principal, PAGE_SIGN_IN_REQUESTER)
    context = _ticket_context(session, ticket_id, principal, settings)
    # No-store: the page's address may carry the ticket's signed link; keep it out of shared caches.
    return render(
        request,
        "pages/ticket.html",
        {**context, "created": created, "solved": solved},
        headers={"Cache-Control": "no-store"},
    )


@router.post("/tickets/{ticket_id}/reply", dependencies=[Depends(verify_csrf)])
def customer_reply(
    ticket_id: int,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PagePrincipal,
    body: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "reply",
    files: Annotated[list[UploadFile | str], File()] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    guards.require_credentials(principal, PAGE_SIGN_IN_REQUESTER)
    ticket = service.get_ticket_for(session, ticket_id, principal)
    translations = i18n.translator(request)
    try:
        uploads = attachments.check_uploads(read_uploads(files, settings), settings)
        if body.strip():
            limit_customer_replies(settings, principal)
        if action == "close":
            target = TicketStatus.CLOSED if ticket.status == TicketStatus.SOLVED else TicketStatus.SOLVED
            if body.strip():
                message = service.add_message(session, ticket, MessageCreate(body=body), principal)
                attachments.attach_uploads(session, ticket, message, uploads, principal, settings)
            service.change_status(ticket, target, principal)
        else:
            message = service.add_message(session, ticket, MessageCreate(body=body), principal)
            attachments.attach_uploads(session, ticket, message, uploads, principal, settings)
    except attachments.AttachmentRefused as error:
        # Checked before anything is written: the reply stays in the box with the reason.
        context = _ticket_context(session, ticket_id, principal, settings)
        return render(
            request,
            "pages/ticket.html",
            {**context, "created": False, "errors": {"files": refusal_text(error, translations)}, "draft": body},
            status_code=error.status_code,
            headers={"Cache-Control": "no-store"},
        )
    except ValidationError as error:
        context = _ticket_context(session, ticket_id, principal, settings)
        errors = localized_field_errors(error, translations)
        return render(
            request,
            "pages/ticket.html",
            {**context, "created": False, "errors": errors, "draft": body},
            status_code=422,
            headers={"Cache-Control": "no-store"},
        )
    except RateLimited as error:
        # Counted before anything is written: nothing was stored, and the reply stays in the box.
        context = _ticket_context(session, ticket_id, principal, settings)
        message = translations.gettext(intake_text.REPLY_RATE_LIMITED) % {"seconds": error.retry_after}
        return render(
            request,
            "pages/ticket.html",
            {**context, "created": False, "errors": {"body": message}, "draft": body},
            status_code=429,
            headers={"Cache-Control": "no-store", "Retry-After": str(error.retry_after)},
        )
    except DomainError as error:
        # Refused (a closed ticket, a status change not allowed): undo any part already done, and
        # show the reason beside the reply, which stays in the box.
        session.rollback()
        context = _ticket_context(session, ticket_id, principal, settings)
        return render(
            request,
            "pages/ticket.html",
            {**context, "created": False, "errors": {"body": error.message}, "draft": body},
            status_code=error.status_code,
            headers={"Cache-Control": "no-store"},
        )
    suffix = f"?access_token={sign_ticket_link(settings.secret_key, ticket)}" if principal.ticket_link_id else ""
    return RedirectResponse(f"/tickets/{ticket_id}{suffix}", status_code=303)
