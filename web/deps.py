"""Request dependencies: the unit of work, settings, and who is asking."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from accounts import guards
from accounts.service import (
    Principal,
    principal_for_user,
    require_token_user,
    resolve_login_session,
)
from aftercare.config import Settings
from aftercare.db import Database
from helpdesk.ticket_links import check_ticket_link, ticket_link_max_age
from web.client_address import client_address

TICKET_TOKEN_HEADER = "X-Ticket-Token"
TICKET_TOKEN_QUERY = "access_token"


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


# Methods that do not change anything by HTTP's contract (RFC 9110 9.2.1). Their requests read
# without the write lock; a few still write a little (search logs, suggestions computed on first
# view), and one that loses the race for the lock is retried whole (web.errors).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Set on a request's scope when it must open its transaction ready to write (a retried GET).
WRITE_SESSION_SCOPE_KEY = "aftercare.write_session"


def request_writes(request: Request) -> bool:
    """Whether this request's unit of work should take the write lock up front (SQLite)."""
    return request.method not in SAFE_METHODS or bool(request.scope.get(WRITE_SESSION_SCOPE_KEY))


def bookkeeping_session(request: Request) -> AbstractContextManager[Session]:
    """A short unit of work of its own, holding the write lock from its start, for the little a
    reading request records (a search's log row, suggestions shown).

    Written in the request's own read transaction, that row would have to turn the read into a
    write; on SQLite that fails at once whenever another writer committed since the read began
    (an import posting articles), and the whole request, search included, is run again. Apart,
    the row waits only for the current writer's commit.
    """
    return request.app.state.database.session(write=True)


def get_session(request: Request) -> Iterator[Session]:
    """The request owns the transaction: commit when the route returns, roll back on error."""
    database: Database = request.app.state.database
    with database.session(write=request_writes(request)) as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit is never a 201.
DbSession = Annotated[Session, Depends(get_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _ticket_link_principal(request: Request, session: Session, settings: Settings) -> Principal | None:
    """The holder of a live ticket link; an expired or revoked one is a 401 that says so (pages
    send it to the sign-in page, which offers a new link); a link that is not ours is no credential."""
    link = request.headers.get(TICKET_TOKEN_HEADER) or request.query_params.get(TICKET_TOKEN_QUERY)
    if not link:
        return None
    check = check_ticket_link(session, settings.secret_key, link, max_age=ticket_link_max_age(settings))
    check.raise_unless_valid()
    return check.principal


def get_api_principal(request: Request, session: DbSession, settings: AppSettings) -> Principal:
    """Bearer token, else a signed ticket link, else anonymous.

    The API never honours the login cookie: a cookie rides along on cross-site requests,
    a bearer token does not, so the JSON API needs no CSRF token.
    """
    token = _bearer_token(request)
    if token is not None:
        # 401 with code token_expired, token_revoked or invalid_token: a client can tell which.
        return principal_for_user(require_token_user(session, token))
    return _ticket_link_principal(request, session, settings) or Principal()


def get_page_principal(request: Request, session: DbSession, settings: AppSettings) -> Principal:
    """Login cookie, else a signed ticket link, else anonymous (pages; forms carry CSRF tokens)."""
    cookie = request.cookies.get(settings.session_cookie_name)
    principal: Principal | None = None
    if cookie:
        user = resolve_login_session(session, cookie)
        if user is not None:
            principal = principal_for_user(user)
    if principal is None:
        principal = _ticket_link_principal(request, session, settings) or Principal()
    request.state.principal = principal
    return principal


ApiPrincipal = Annotated[Principal, Depends(get_api_principal)]
PagePrincipal = Annotated[Principal, Depends(get_page_principal)]


# What each channel says to someone who is not signed in: the API names its credentials, pages
# send GETs to the sign-in form (web.errors) and show the words only after a refused POST.
API_SIGN_IN = "authentication required: send 'Authorization: Bearer <token>'"
PAGE_SIGN_IN_AGENT = "sign in as an agent"
PAGE_SIGN_IN_ADMIN = "sign in as an admin"
# A customer's ticket pages open with their account or with the link from the e-mail.
PAGE_SIGN_IN_REQUESTER = "sign in, or open the link from your confirmation e-mail"
# A ticket is read over the API with an account's token or with the ticket's own signed link.
API_READER_SIGN_IN = "authentication required: 'Authorization: Bearer <token>' or the ticket's signed access token"


def require_api_staff(principal: ApiPrincipal) -> Principal:
    # Any credential passes the first check: a ticket link or customer is "forbidden", not "who are you?".
    guards.require_credentials(principal, API_SIGN_IN)
    return guards.require_staff(principal)


def require_api_admin(principal: ApiPrincipal) -> Principal:
    require_api_staff(principal)
    return guards.require_admin(principal)


def require_page_staff(principal: PagePrincipal) -> Principal:
    guards.require_user(principal, PAGE_SIGN_IN_AGENT)
    return guards.require_staff(principal)


def require_page_admin(principal: PagePrincipal, session: DbSession) -> Principal:
    user = guards.require_user(principal, PAGE_SIGN_IN_ADMIN)
    if not principal.is_admin:
        # The error unwinds the request's session (rollback expires every object in it) before
        # the error page renders the signed-in user; keep the user readable by detaching it first.
        session.expunge(user)
    return guards.require_admin(principal)


StaffPrincipal = Annotated[Principal, Depends(require_api_staff)]
AdminPrincipal = Annotated[Principal, Depends(require_api_admin)]
PageStaff = Annotated[Principal, Depends(require_page_staff)]
PageAdmin = Annotated[Principal, Depends(require_page_admin)]


def client_key(request: Request) -> str:
    # X-Forwarded-For is believed only from AFTERCARE_TRUSTED_PROXIES (web.client_address).
    return client_address(request)
