"""Sign-in and sign-out pages (argon2 passwords, server-side sessions, rate-limited).

A page opened with an expired or revoked ticket link is sent here (``?next=`` keeps the address
with the link); instead of the form, the reader learns what happened to the link and can have a
new one e-mailed (``web.pages.ticket_links``). Customers may instead have a sign-in link e-mailed
(the page's second form). The account's API token pages, the ticket-link pages and the e-mailed
sign-in link's pages are included from here (``web.pages.account_tokens``, ``web.pages.ticket_links``,
``web.pages.email_sign_in``, which also starts the session for both ways of signing in).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from accounts.service import (
    authenticate_password,
    end_login_session,
)
from aftercare.errors import RateLimited
from web import i18n, ratelimit
from web.csrf import verify_csrf
from web.deps import (
    TICKET_TOKEN_QUERY,
    AppSettings,
    DbSession,
    PagePrincipal,
    client_key,
)
from web.pages import account_tokens, email_sign_in, password_links, ticket_links
from web.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(account_tokens.router)
router.include_router(ticket_links.router)
router.include_router(email_sign_in.router)
router.include_router(password_links.router)


def safe_next(target: str | None, default: str) -> str:
    # Only same-site paths: an open redirect after login is a phishing tool.
    if not target:
        return default
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    # Browsers read "/\evil.example" as "//evil.example"; control characters can hide the same trick.
    if "\\" in target or any(ord(char) < 32 for char in target):
        return default
    return target


@router.get("/login")
def login_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PagePrincipal,
    next: str | None = None,
) -> Response:
    target = safe_next(next, "")
    stale = ticket_links.stale_link_in(session, settings, target) if target and principal.user is None else None
    if stale is not None:
        link = parse_qs(urlparse(target).query)[TICKET_TOKEN_QUERY][0]
        return ticket_links.expired_link_page(request, stale, link, urlparse(target).path)
    return render(request, "pages/login.html", {"next": target, "error": None, "email": ""})


@router.post("/login", dependencies=[Depends(verify_csrf)])
def login(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PagePrincipal,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    context = {"next": safe_next(next, ""), "email": email}
    try:
        ratelimit.hit(settings.rate_limit_storage_url, settings.login_rate_limit, "login", client_key(request))
        ratelimit.hit(
            settings.rate_limit_storage_url, settings.login_rate_limit, "login-email", ratelimit.email_key(email)
        )
    except RateLimited as error:
        message = i18n.translator(request).gettext(
            "Too many sign-in attempts. Please wait %(seconds)s seconds and try again."
        ) % {"seconds": error.retry_after}
        return render(
            request,
            "pages/login.html",
            {**context, "error": message},
            status_code=429,
            headers={"Retry-After": str(error.retry_after)},
        )
    user = authenticate_password(session, email, password)
    if user is None:
        message = i18n.translator(request).gettext("Wrong e-mail address or password.")
        return render(request, "pages/login.html", {**context, "error": message}, status_code=400)
    default = "/agent/tickets" if user.is_staff else "/tickets"
    return email_sign_in.browser_sign_in(request, session, settings, user, safe_next(next, default))


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request, session: DbSession, settings: AppSettings) -> Response:
    cookie = request.cookies.get(settings.session_cookie_name)
    if cookie:
        end_login_session(session, cookie)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(settings.session_cookie_name, path="/")
    return response
