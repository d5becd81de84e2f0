"""Choosing a password by e-mailed link: "Forgot your password?" and accepting an invitation to the team.

- ``/login/forgot-password`` asks for an address and e-mails a reset link to it when it has an
  active account; the answer is the same either way (rate limited like sign-in links).
- ``/auth/reset-password/{token}`` and ``/auth/invitation/{token}`` show a form to choose a
  password; opening the link uses nothing (mail scanners open links). Posting a good password uses
  the link (once), sets the password, signs out every other browser of that account and signs this
  one in. A password that is too short or does not match the repetition is said at once and the
  link stays usable.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from accounts.audit import AuditAction, AuditTarget, record_audit
from accounts.email_links import EmailLinkState, check_email_link, redeem_email_link
from accounts.models import LinkPurpose
from accounts.service import MIN_PASSWORD_CHARS, change_password
from web import i18n
from web.csrf import verify_csrf
from web.deps import AppSettings, DbSession, PagePrincipal
from web.pages.email_sign_in import NO_STORE, STATUS_FOR_STATE, browser_sign_in, email_a_link
from web.templating import render

router = APIRouter(include_in_schema=False)
TEMPLATE = "pages/set_password.html"
# Where each purpose's form posts; the purpose is in the path, so a reset link cannot accept an invitation.
PURPOSE_BY_PATH = {"reset-password": LinkPurpose.PASSWORD_RESET, "invitation": LinkPurpose.INVITATION}


def _page(request: Request, mode: str, *, status_code: int = 200, **context: object) -> Response:
    values = {"mode": mode, "email": "", "error": None, "token": "", "kind": "", "min_chars": MIN_PASSWORD_CHARS}
    return render(request, TEMPLATE, {**values, **context}, status_code=status_code, headers=NO_STORE)


@router.get("/login/forgot-password")
def forgot_password_page(request: Request, principal: PagePrincipal) -> Response:
    return _page(request, "forgot")


@router.post("/login/forgot-password", dependencies=[Depends(verify_csrf)])
def ask_for_reset_link(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PagePrincipal,
    email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    return email_a_link(request, session, settings, email, LinkPurpose.PASSWORD_RESET, _page, "forgot")


@router.get("/auth/{kind}/{token}")
def open_password_link(
    kind: str, token: str, request: Request, session: DbSession, principal: PagePrincipal
) -> Response:
    purpose = PURPOSE_BY_PATH.get(kind)
    if purpose is None:
        return _page(request, "unknown", status_code=404, kind="reset-password")
    check = check_email_link(session, token, purpose=purpose)
    if check.state is not EmailLinkState.VALID or check.link is None:
        return _page(request, str(check.state), status_code=STATUS_FOR_STATE[check.state], kind=kind)
    return _page(request, "choose", token=token, kind=kind, email=check.link.email)


@router.post("/auth/{kind}/{token}", dependencies=[Depends(verify_csrf)])
def choose_password(
    kind: str,
    token: str,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    password: Annotated[str, Form(max_length=1000)] = "",
    password_again: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    purpose = PURPOSE_BY_PATH.get(kind)
    if purpose is None:
        return _page(request, "unknown", status_code=404, kind="reset-password")
    translations = i18n.translator(request)
    check = check_email_link(session, token, purpose=purpose)
    if check.state is not EmailLinkState.VALID or check.link is None:
        return _page(request, str(check.state), status_code=STATUS_FOR_STATE[check.state], kind=kind)
    # Judged before the link is used, so that a typo does not cost the link.
    error = None
    if len(password) < MIN_PASSWORD_CHARS:
        error = translations.gettext("The password must be at least %(count)s characters long.") % {
            "count": MIN_PASSWORD_CHARS
        }
    elif password != password_again:
        error = translations.gettext("The two passwords are not the same.")
    if error is not None:
        return _page(request, "choose", status_code=422, token=token, kind=kind, email=check.link.email, error=error)
    state, user = redeem_email_link(session, token, purpose=purpose)
    if user is None:
        return _page(request, str(state), status_code=STATUS_FOR_STATE[state], kind=kind)
    change_password(session, user, password)
    record_audit(session, AuditAction.PASSWORD_SET, AuditTarget.USER, user.id, actor=user, details={"by": str(purpose)})
    return browser_sign_in(request, session, settings, user, "/agent/tickets" if user.is_staff else "/account")
