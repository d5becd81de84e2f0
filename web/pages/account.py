"""The signed-in person's own account page: ``/account``.

- Profile: name and language (a customer's record follows, so e-mail to them is in that language).
- For customers: e-mail preferences (tips and news, surveys: the consents the after-sales engine
  checks), their latest tickets and forum posts, "Download my data" (the same JSON document as the
  admins' export, ``privacy.export``) and "Delete my account".
- Deleting is confirmed by e-mail link (``/account/delete/{token}``): whoever sits at a signed-in
  browser cannot erase someone's history alone. Opening the link only shows what will happen and a
  button; the button erases the customer (``privacy.erasure``) and signs them out everywhere.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from accounts import guards
from accounts.audit import AuditAction, AuditTarget, record_audit
from accounts.email_links import EmailLinkState, check_email_link, redeem_email_link
from accounts.models import LinkPurpose, User
from accounts.service import Principal, update_profile
from aftercare.errors import RateLimited, ValidationFailed
from aftersales import claims
from helpdesk import service as tickets
from helpdesk.email.account_link_mail import send_account_link
from helpdesk.email.preferences import MailPreferences, mail_preferences, set_mail_preferences
from kb.forum.reading import posts_by
from privacy.erasure import erase_customer
from privacy.export import export_customer
from web import i18n, ratelimit
from web.csrf import verify_csrf
from web.deps import AppSettings, DbSession, PagePrincipal, client_key
from web.pages.email_sign_in import NO_STORE, STATUS_FOR_STATE
from web.templating import render

router = APIRouter(include_in_schema=False)
Csrf = [Depends(verify_csrf)]
TEMPLATE = "pages/account.html"
DELETION_TEMPLATE = "pages/account_deletion.html"
SHOWN_TICKETS = 10
SHOWN_POSTS = 10


def _signed_in(principal: Principal) -> User:
    return guards.require_user(principal, "sign in to see your account")


def _page(
    request: Request,
    session: Session,
    user: User,
    *,
    status_code: int = 200,
    notice: str | None = None,
    error: str | None = None,
    **context: object,
) -> Response:
    principal = Principal(user=user, customer=user.customer)
    values: dict[str, object] = {
        "account": user,
        "notice": notice,
        "error": error,
        "name": user.name,
        "language": user.language or "",
        "languages": i18n.language_choices(request),
        "preferences": None,
        "tickets": [],
        "ticket_total": 0,
        "posts": posts_by(session, user, limit=SHOWN_POSTS),
    }
    if user.customer is not None:
        values["preferences"] = mail_preferences(session, user.customer)
        shown, total = tickets.list_tickets(
            session, tickets.TicketFilters(), principal, page=1, page_size=SHOWN_TICKETS
        )
        values["tickets"], values["ticket_total"] = shown, total
        values["purchases"] = claims.customer_purchases(session, user.customer)
        values["claims"] = claims.customer_claims(session, user.customer)
    values.update(context)
    return render(request, TEMPLATE, values, status_code=status_code, headers=NO_STORE)


@router.get("/account")
def account_page(request: Request, session: DbSession, principal: PagePrincipal) -> Response:
    return _page(request, session, _signed_in(principal))


@router.post("/account/profile", dependencies=Csrf)
def save_profile(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PagePrincipal,
    name: Annotated[str, Form(max_length=1000)] = "",
    language: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    user = _signed_in(principal)
    translations = i18n.translator(request)
    if language and language not in settings.languages:
        error = translations.gettext("Choose one of the languages in the list.")
        return _page(request, session, user, status_code=422, error=error, name=name, language=language)
    try:
        update_profile(session, user, name=name, language=language or None)
    except ValidationFailed:
        error = translations.gettext("Enter your name (up to 200 characters).")
        return _page(request, session, user, status_code=422, error=error, name=name, language=language)
    if user.customer_id is not None:
        record_audit(session, AuditAction.CUSTOMER_UPDATED, AuditTarget.CUSTOMER, user.customer_id, actor=user)
    return RedirectResponse("/account?saved=profile", status_code=303)


@router.post("/account/preferences", dependencies=Csrf)
def save_preferences(
    request: Request,
    session: DbSession,
    principal: PagePrincipal,
    tips_and_news: Annotated[str, Form(max_length=3)] = "",
    surveys: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    user = _signed_in(principal)
    customer = guards.require_customer(principal, "only customers have e-mail preferences")
    set_mail_preferences(session, customer, MailPreferences(tips_and_news=bool(tips_and_news), surveys=bool(surveys)))
    record_audit(
        session,
        AuditAction.CUSTOMER_UPDATED,
        AuditTarget.CUSTOMER,
        customer.id,
        actor=user,
        details={"tips_and_news": bool(tips_and_news), "surveys": bool(surveys)},
    )
    return RedirectResponse("/account?saved=preferences", status_code=303)


@router.get("/account/export")
def download_my_data(session: DbSession, principal: PagePrincipal) -> Response:
    user = _signed_in(principal)
    customer = guards.require_customer(principal, "only customers have data to download here")
    document = export_customer(session, customer.id, actor=user)
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="my-data-{customer.id}.json"'},
    )


@router.post("/account/delete", dependencies=Csrf)
def ask_to_delete(request: Request, session: DbSession, settings: AppSettings, principal: PagePrincipal) -> Response:
    user = _signed_in(principal)
    customer = guards.require_customer(principal, "only customer accounts can be deleted here")
    try:
        ratelimit.hit(
            settings.rate_limit_storage_url, settings.email_link_rate_limit, "account-deletion", client_key(request)
        )
    except RateLimited as error:
        message = i18n.translator(request).gettext(
            "You have sent many requests in a short time. Please try again in %(seconds)s seconds."
        ) % {"seconds": error.retry_after}
        response = _page(request, session, user, status_code=429, error=message)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    send_account_link(session, user.email, LinkPurpose.ACCOUNT_DELETION)
    record_audit(session, AuditAction.CUSTOMER_ERASURE_REQUESTED, AuditTarget.CUSTOMER, customer.id, actor=user)
    return render(request, DELETION_TEMPLATE, {"mode": "sent", "token": ""}, headers=NO_STORE)


@router.get("/account/delete/{token}")
def open_deletion_link(token: str, request: Request, session: DbSession, principal: PagePrincipal) -> Response:
    check = check_email_link(session, token, purpose=LinkPurpose.ACCOUNT_DELETION)
    if check.state is not EmailLinkState.VALID or check.link is None:
        return render(
            request,
            DELETION_TEMPLATE,
            {"mode": str(check.state), "token": ""},
            status_code=STATUS_FOR_STATE[check.state],
            headers=NO_STORE,
        )
    return render(
        request, DELETION_TEMPLATE, {"mode": "confirm", "token": token, "email": check.link.email}, headers=NO_STORE
    )


@router.post("/account/delete/{token}", dependencies=Csrf)
def delete_account(token: str, request: Request, session: DbSession, settings: AppSettings) -> Response:
    state, user = redeem_email_link(session, token, purpose=LinkPurpose.ACCOUNT_DELETION)
    if user is None or user.customer_id is None:
        return render(
            request,
            DELETION_TEMPLATE,
            {"mode": str(state), "token": ""},
            status_code=STATUS_FOR_STATE[state],
            headers=NO_STORE,
        )
    erase_customer(session, user.customer_id, actor=None)
    response = render(request, DELETION_TEMPLATE, {"mode": "deleted", "token": ""}, headers=NO_STORE)
    response.delete_cookie(settings.session_cookie_name, path="/")
    return response
