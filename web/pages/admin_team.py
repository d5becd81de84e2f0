"""The team page, ``/admin/team`` (admins only): invite, change roles, deactivate, reactivate.

The page lists agents and admins (active, deactivated, invitation pending), has an invite form
and shows the latest audit entries about users. Every change is a POST with a CSRF token. With
htmx a form's answer is the ``team`` block of the same template, errors included (a 409 or 422
that ``/static/team.js`` lets htmx show); without JavaScript a change is redirected back to the
page (POST, redirect, GET) and a refused one answers the whole page with its message.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from accounts import guards, team
from accounts.audit import AuditAction
from accounts.models import LinkPurpose, Role, User
from accounts.schemas import UserInvite
from accounts.service import Principal
from aftercare.config import get_settings
from aftercare.errors import Conflict, DomainError
from helpdesk.email.account_link_mail import send_account_link
from web import i18n
from web.csrf import verify_csrf
from web.deps import PAGE_SIGN_IN_ADMIN, DbSession, PageAdmin
from web.i18n import N_
from web.pages.forms import localized_field_errors
from web.templating import is_htmx, render

router = APIRouter(prefix="/admin", include_in_schema=False)
Csrf = [Depends(verify_csrf)]
NO_STORE = {"Cache-Control": "no-store"}
ACTIVITY_SHOWN = 20

ROLE_LABELS = {str(Role.AGENT): N_("Agent"), str(Role.ADMIN): N_("Admin")}
# What each audit entry says: who did what to whom (the page adds when and what changed).
ACTIVITY_LABELS = {
    str(AuditAction.USER_INVITED): N_("%(actor)s invited %(target)s"),
    str(AuditAction.USER_ROLE_CHANGED): N_("%(actor)s changed the role of %(target)s"),
    str(AuditAction.USER_RENAMED): N_("%(actor)s renamed %(target)s"),
    str(AuditAction.USER_LANGUAGE_CHANGED): N_("%(actor)s changed the language of %(target)s"),
    str(AuditAction.USER_DEACTIVATED): N_("%(actor)s deactivated %(target)s"),
    str(AuditAction.USER_REACTIVATED): N_("%(actor)s reactivated %(target)s"),
    str(AuditAction.PASSWORD_SET): N_("%(actor)s set the password of %(target)s"),
}
# Shown after a change without JavaScript (POST, redirect, GET) and in the htmx answer.
DONE_NOTICES = {
    "invited": N_("Invitation sent."),
    "resent": N_("Invitation sent again."),
    "role": N_("Role changed."),
    "deactivated": N_("Deactivated: their sessions and API tokens have ended."),
    "reactivated": N_("Reactivated. They sign in again to continue."),
    "unchanged": N_("Nothing changed."),
}
LAST_ADMIN = N_("%(email)s is the last active admin. Make someone else an admin first.")
ALREADY_STAFF = N_("%(email)s is already on the team.")
CUSTOMER_ADDRESS = N_("%(email)s belongs to a customer account. Invite team members with another address.")


def _gettext(request: Request, message: str, **values: Any) -> str:
    text = i18n.translator(request).gettext(message)
    return text % values if values else text


def _error_message(request: Request, error: DomainError, email: str) -> str:
    if isinstance(error, team.LastAdmin):
        return _gettext(request, LAST_ADMIN, email=email)
    if isinstance(error, team.AddressTaken):
        return _gettext(request, ALREADY_STAFF if error.staff else CUSTOMER_ADDRESS, email=email)
    return error.message


def _empty_invite() -> dict[str, str]:
    return {"email": "", "name": "", "role": str(Role.AGENT), "language": ""}


def _page(
    request: Request,
    session: Session,
    *,
    notice: str | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The whole page, or its ``team`` block for htmx."""
    context = {
        "members": team.list_team(session),
        "pending_invitation": team.pending_invitation,
        "activity": team.team_activity(session, limit=ACTIVITY_SHOWN),
        "activity_labels": ACTIVITY_LABELS,
        "role_labels": ROLE_LABELS,
        "roles": [str(Role.AGENT), str(Role.ADMIN)],
        "languages": get_settings().languages,
        "values": values or _empty_invite(),
        "errors": errors or {},
        "notice": notice,
        "error": error,
    }
    return render(request, "admin/team.html", context, block="team", status_code=status_code, headers=NO_STORE)


def _done(request: Request, session: Session, done: str) -> Response:
    if not is_htmx(request):
        return RedirectResponse(f"/admin/team?done={done}", status_code=303)
    return _page(request, session, notice=_gettext(request, DONE_NOTICES[done]))


def _actor(principal: Principal) -> User:
    return guards.require_user(principal, PAGE_SIGN_IN_ADMIN)


@router.get("/team")
def team_page(
    request: Request, session: DbSession, principal: PageAdmin, done: Annotated[str, Query(max_length=16)] = ""
) -> Response:
    notice = _gettext(request, DONE_NOTICES[done]) if done in DONE_NOTICES else None
    return _page(request, session, notice=notice)


@router.post("/team/invite", dependencies=Csrf)
def invite_submit(
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    email: Annotated[str, Form(max_length=1000)] = "",
    name: Annotated[str, Form(max_length=1000)] = "",
    role: Annotated[str, Form(max_length=16)] = str(Role.AGENT),
    language: Annotated[str, Form(max_length=35)] = "",
) -> Response:
    values = {"email": email, "name": name, "role": role, "language": language}
    try:
        data = UserInvite.model_validate(
            {"email": email.strip(), "name": name, "role": role, "language": language or None}
        )
        user = team.invite_user(
            session, email=data.email, name=data.name, role=data.role, language=data.language, actor=_actor(principal)
        )
    except ValidationError as error:
        errors = localized_field_errors(error, i18n.translator(request))
        return _page(request, session, values=values, errors=errors, status_code=422)
    except DomainError as error:
        message = _error_message(request, error, email.strip().lower())
        field = "email" if isinstance(error, Conflict) else "form"
        return _page(request, session, values=values, errors={field: message}, status_code=error.status_code)
    send_account_link(session, user.email, LinkPurpose.INVITATION)
    return _done(request, session, "invited")


def _change(
    request: Request, session: Session, principal: Principal, user_id: int, done: str, **change: Any
) -> Response:
    """Apply one change to a member and answer the page (or its block), with the refusal if refused."""
    user = team.get_user(session, user_id)
    before = (user.role, user.is_active)
    try:
        team.update_user(session, user_id, actor=_actor(principal), **change)
    except Conflict as error:
        status = error.status_code
        return _page(request, session, error=_error_message(request, error, user.email), status_code=status)
    return _done(request, session, done if (user.role, user.is_active) != before else "unchanged")


@router.post("/team/{user_id}/role", dependencies=Csrf)
def role_submit(
    user_id: int,
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    role: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    if role not in ROLE_LABELS:
        return _page(request, session, error=_gettext(request, N_("Choose agent or admin.")), status_code=422)
    return _change(request, session, principal, user_id, "role", role=Role(role))


@router.post("/team/{user_id}/deactivate", dependencies=Csrf)
def deactivate_submit(user_id: int, request: Request, session: DbSession, principal: PageAdmin) -> Response:
    return _change(request, session, principal, user_id, "deactivated", is_active=False)


@router.post("/team/{user_id}/reactivate", dependencies=Csrf)
def reactivate_submit(user_id: int, request: Request, session: DbSession, principal: PageAdmin) -> Response:
    return _change(request, session, principal, user_id, "reactivated", is_active=True)


@router.post("/team/{user_id}/invitation", dependencies=Csrf)
def resend_submit(user_id: int, request: Request, session: DbSession, principal: PageAdmin) -> Response:
    try:
        user = team.resend_invitation(session, user_id, actor=_actor(principal))
    except Conflict as error:
        return _page(request, session, error=error.message, status_code=error.status_code)
    send_account_link(session, user.email, LinkPurpose.INVITATION)
    return _done(request, session, "resent")
