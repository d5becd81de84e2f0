"""API tokens on pages: ``/account/tokens`` lists the signed-in user's tokens and creates and revokes them.

A new token's secret is shown once, on the page that answers its creation (never stored, never
shown again); lists show its name, prefix, creation, last use, expiry and state. Admins also see
everyone's tokens there and may revoke any. Every change is a POST with a CSRF token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from accounts import guards
from accounts.models import Role, User
from accounts.service import (
    Principal,
    create_api_token,
    list_api_tokens,
    revoke_api_token,
    token_status,
)
from aftercare.db import utcnow
from aftercare.errors import Conflict, ValidationFailed
from web import i18n
from web.csrf import verify_csrf
from web.deps import DbSession, PagePrincipal
from web.templating import render

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
# The lifetimes offered when creating a token (days; 0 = no expiry).
EXPIRY_CHOICES = (30, 90, 365, 0)
DEFAULT_EXPIRY_DAYS = 90


def _signed_in(principal: Principal) -> User:
    return guards.require_user(principal, "sign in to manage your API tokens")


def _page(
    request: Request,
    session: Session,
    user: User,
    *,
    created: str | None = None,
    values: dict | None = None,
    errors: dict | None = None,
    status_code: int = 200,
) -> Response:
    now = utcnow()
    everyone = list_api_tokens(session) if user.role == Role.ADMIN else []
    context = {
        "tokens": [(token, str(token_status(token, now=now))) for token in list_api_tokens(session, user)],
        "all_tokens": [(token, str(token_status(token, now=now))) for token in everyone if token.user_id != user.id],
        "created": created,
        "expiry_choices": EXPIRY_CHOICES,
        "values": values or {"name": "", "expires_days": str(DEFAULT_EXPIRY_DAYS)},
        "errors": errors or {},
    }
    return render(request, "access/api_tokens.html", context, status_code=status_code, headers=NO_STORE)


@router.get("/account/tokens")
def tokens_page(request: Request, session: DbSession, principal: PagePrincipal) -> Response:
    return _page(request, session, _signed_in(principal))


@router.post("/account/tokens", dependencies=[Depends(verify_csrf)])
def create_token(
    request: Request,
    session: DbSession,
    principal: PagePrincipal,
    name: Annotated[str, Form(max_length=200)] = "",
    expires_days: Annotated[str, Form(max_length=10)] = str(DEFAULT_EXPIRY_DAYS),
) -> Response:
    user = _signed_in(principal)
    values = {"name": name, "expires_days": expires_days}
    translations = i18n.translator(request)
    if not expires_days.isdigit() or int(expires_days) not in EXPIRY_CHOICES:
        return _page(
            request,
            session,
            user,
            values=values,
            status_code=422,
            errors={"expires_days": translations.gettext("Choose one of the offered lifetimes.")},
        )
    days = int(expires_days)
    try:
        _, plaintext = create_api_token(
            session, user, name=name, expires_at=utcnow() + timedelta(days=days) if days else None
        )
    except ValidationFailed:
        return _page(
            request,
            session,
            user,
            values=values,
            status_code=422,
            errors={"name": translations.gettext("Give the token a name of 1 to 100 characters.")},
        )
    except Conflict:
        return _page(
            request,
            session,
            user,
            values=values,
            status_code=409,
            errors={
                "form": translations.gettext("You have as many API tokens as one account may hold; revoke some first.")
            },
        )
    return _page(request, session, user, created=plaintext, status_code=201)


@router.post("/account/tokens/{token_id}/revoke", dependencies=[Depends(verify_csrf)])
def revoke_token(token_id: int, session: DbSession, principal: PagePrincipal) -> Response:
    revoke_api_token(session, token_id, _signed_in(principal))
    return RedirectResponse("/account/tokens", status_code=303)
