"""Signing in by e-mailed link on pages (customers; ``accounts.email_links`` does the work).

- ``POST /login/email-link`` (the second form on the sign-in page) e-mails a link to the address and
  answers the same whether or not the address is known. Rate limited per address and per client.
- ``GET /auth/email-link/{token}`` only shows a button: mail scanners open links, so opening one
  must not use it. The button POSTs (CSRF) and signs in with a server-side session, as the password
  does (``browser_sign_in``), then goes to "My tickets". An expired, used or unknown link gets a page
  that says so and offers a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from accounts.email_links import EmailLinkState, check_email_link, redeem_email_link
from accounts.models import LinkPurpose, User
from accounts.schemas import EmailLinkRequest
from accounts.service import start_login_session
from aftercare.config import Settings
from aftercare.errors import RateLimited
from helpdesk.email.account_link_mail import send_account_link
from web import i18n, ratelimit
from web.csrf import verify_csrf
from web.deps import AppSettings, DbSession, PagePrincipal, client_key
from web.templating import render

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
# Where a customer lands once signed in by link.
MY_TICKETS = "/tickets"
# A link that can never work again is gone (410); one that never existed is a bad request (400).
STATUS_FOR_STATE = {EmailLinkState.EXPIRED: 410, EmailLinkState.USED: 410, EmailLinkState.UNKNOWN: 400}


def browser_sign_in(request: Request, session: Session, settings: Settings, user: User, target: str) -> Response:
    """Start a login session for ``user`` and send the browser to ``target`` with its cookie."""
    plaintext = start_login_session(
        session,
        user,
        lifetime=timedelta(seconds=settings.session_max_age_seconds),
        user_agent=request.headers.get("user-agent", ""),
    )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        settings.session_cookie_name,
        plaintext,
        max_age=settings.session_max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


def _page(request: Request, mode: str, *, status_code: int = 200, **context: object) -> Response:
    values = {"mode": mode, "email": "", "error": None, "token": "", **context}
    return render(request, "pages/email_link.html", values, status_code=status_code, headers=NO_STORE)


# Each purpose's rate-limit names (per client, per address); sign-in keeps the names it always had.
LIMIT_NAMES = {LinkPurpose.SIGN_IN: "email-link", LinkPurpose.PASSWORD_RESET: "password-reset"}


def email_a_link(
    request: Request,
    session: Session,
    settings: Settings,
    email: str,
    purpose: LinkPurpose,
    page: Callable[..., Response],
    form_mode: str,
) -> Response:
    """A form asked for a link to ``email``: check the address and the rate limits, queue the
    e-mail, and answer with ``page`` ("sent", the same whether or not the address is known; or
    ``form_mode`` with the error and what was typed)."""
    translations = i18n.translator(request)
    try:
        address = str(EmailLinkRequest(email=email.strip()).email)
    except ValidationError:
        message = translations.gettext("Enter your e-mail address, e.g. name@example.com.")
        return page(request, form_mode, status_code=422, email=email, error=message)
    limit, name = settings.email_link_rate_limit, LIMIT_NAMES[purpose]
    try:
        ratelimit.hit(settings.rate_limit_storage_url, limit, name, client_key(request))
        ratelimit.hit(settings.rate_limit_storage_url, limit, f"{name}-email", ratelimit.email_key(address))
    except RateLimited as error:
        message = translations.gettext(
            "You have sent many requests in a short time. Please try again in %(seconds)s seconds."
        ) % {"seconds": error.retry_after}
        response = page(request, form_mode, status_code=429, email=email, error=message)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    send_account_link(session, address, purpose)
    return page(request, "sent")


@router.post("/login/email-link", dependencies=[Depends(verify_csrf)])
def ask_for_link(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PagePrincipal,
    email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    return email_a_link(request, session, settings, email, LinkPurpose.SIGN_IN, _page, "form")


@router.get("/auth/email-link/{token}")
def open_link(token: str, request: Request, session: DbSession, principal: PagePrincipal) -> Response:
    check = check_email_link(session, token)
    if check.state is not EmailLinkState.VALID:
        return _page(request, str(check.state), status_code=STATUS_FOR_STATE[check.state])
    return _page(request, "confirm", token=token)


@router.post("/auth/email-link/{token}", dependencies=[Depends(verify_csrf)])
def follow_link(token: str, request: Request, session: DbSession, settings: AppSettings) -> Response:
    state, user = redeem_email_link(session, token)
    if user is None:
        return _page(request, str(state), status_code=STATUS_FOR_STATE[state])
    return browser_sign_in(request, session, settings, user, MY_TICKETS)
