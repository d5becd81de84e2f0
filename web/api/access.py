"""API tokens and ticket links in the JSON API.

- ``GET /api/v1/tokens``: the caller's tokens (admins: ``?all=true`` for everyone's), never a secret.
- ``POST /api/v1/tokens``: a new token for the caller, with an optional expiry; 201 with its secret,
  the only time it is shown.
- ``POST /api/v1/tokens/{id}/revoke``: the caller's own token, or anyone's for an admin; someone
  else's is a 404. Revoking the token the request came with is allowed (it is its last request).
- ``POST /api/v1/auth/email-link``: e-mail a sign-in link to an address (``helpdesk.email.account_link_mail``);
  202 with the same body whether or not the address is known. Rate limited per address and per client.
- ``POST /api/v1/tickets/{id}/links/revoke``: every signed link to the ticket issued so far stops
  working (agents, or the ticket's requester). ``send_new_link`` e-mails the requester a new one.

A revoked or expired token answers 401 everywhere with code ``token_revoked`` or ``token_expired``
(``web.deps``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request

from accounts import guards
from accounts.models import ApiToken, User
from accounts.schemas import ApiTokenCreate, ApiTokenCreated, ApiTokenRead, EmailLinkRequest, EmailLinkRequested
from accounts.service import (
    Principal,
    create_api_token,
    list_api_tokens,
    revoke_api_token,
    token_status,
)
from aftercare.db import utcnow
from aftercare.errors import ValidationFailed
from helpdesk import service
from helpdesk.email.account_link_mail import send_sign_in_link
from helpdesk.email.ticket_link_mail import send_new_ticket_link
from helpdesk.schemas import TicketLinksRevoked
from helpdesk.ticket_links import revoke_ticket_links
from web import ratelimit
from web.deps import API_READER_SIGN_IN, API_SIGN_IN, ApiPrincipal, AppSettings, DbSession, client_key
from web.openapi import error_responses

router = APIRouter(prefix="/api/v1", tags=["access"])
EMAIL_LINK_REQUESTED = "If the address can receive mail, a sign-in link is on its way."


def _token_user(principal: Principal) -> User:
    return guards.require_user(principal, API_SIGN_IN)


def _read(token: ApiToken) -> ApiTokenRead:
    fields = {name: getattr(token, name) for name in ApiTokenRead.model_fields if name != "state"}
    return ApiTokenRead(**fields, state=token_status(token))


@router.get("/tokens", response_model=list[ApiTokenRead], responses=error_responses(403))
def list_tokens(
    session: DbSession,
    principal: ApiPrincipal,
    all: Annotated[bool, Query(description="admins: everyone's tokens")] = False,
) -> list[ApiTokenRead]:
    """The caller's API tokens, newest first: name, prefix, created, last used, expiry, state."""
    user = _token_user(principal)
    if all:
        guards.require_admin(principal)
    return [_read(token) for token in list_api_tokens(session, None if all else user)]


@router.post("/tokens", status_code=201, response_model=ApiTokenCreated, responses=error_responses(409))
def create_token(data: ApiTokenCreate, session: DbSession, principal: ApiPrincipal) -> ApiTokenCreated:
    """A new token for the caller; the response holds its secret, which is never shown again."""
    user = _token_user(principal)
    if data.expires_in_days is not None and data.expires_at is not None:
        raise ValidationFailed("give expires_in_days or expires_at, not both")
    expires_at = data.expires_at
    if data.expires_in_days is not None:
        expires_at = utcnow() + timedelta(days=data.expires_in_days)
    token, plaintext = create_api_token(session, user, name=data.name, expires_at=expires_at)
    return ApiTokenCreated(**_read(token).model_dump(), token=plaintext)


@router.post("/tokens/{token_id}/revoke", response_model=ApiTokenRead)
def revoke_token(token_id: int, session: DbSession, principal: ApiPrincipal) -> ApiTokenRead:
    """Revoke a token: the caller's own, or anyone's for an admin (someone else's is a 404)."""
    return _read(revoke_api_token(session, token_id, _token_user(principal)))


@router.post("/tickets/{ticket_id}/links/revoke", response_model=TicketLinksRevoked)
def revoke_links(
    ticket_id: int,
    session: DbSession,
    principal: ApiPrincipal,
    send_new_link: Annotated[bool, Query(description="e-mail the requester a new link")] = False,
) -> TicketLinksRevoked:
    """Every signed link to the ticket issued so far stops working (agents; the ticket's requester)."""
    guards.require_credentials(principal, API_READER_SIGN_IN)
    ticket = service.get_ticket_for(session, ticket_id, principal)
    revoke_ticket_links(session, ticket, principal)
    sent = send_new_ticket_link(session, ticket) is not None if send_new_link else False
    return TicketLinksRevoked(ticket_id=ticket.id, new_link_sent=sent)


@router.post("/auth/email-link", status_code=202, response_model=EmailLinkRequested, responses=error_responses(429))
def request_email_link(
    data: EmailLinkRequest, request: Request, session: DbSession, settings: AppSettings
) -> EmailLinkRequested:
    """E-mail a sign-in link, valid once for a few minutes, to the address; the answer is the same
    whether or not the address is known (a new address gets an account when the link is followed)."""
    limit = settings.email_link_rate_limit
    ratelimit.hit(settings.rate_limit_storage_url, limit, "email-link", client_key(request))
    ratelimit.hit(settings.rate_limit_storage_url, limit, "email-link-email", ratelimit.email_key(data.email))
    send_sign_in_link(session, data.email)
    return EmailLinkRequested(detail=EMAIL_LINK_REQUESTED)
