"""E-mail pages: unsubscribing (``/unsubscribe/{token}``), the admins' preview of our e-mails, and
the admins' view of the outbox (``/admin/email/outbox``: what failed and why, what is waiting for
the mail server, and "Send again").

- ``GET /unsubscribe/{token}`` shows a confirm button and changes nothing: mail security
  scanners open every link in a message, and must not unsubscribe anyone by doing so.
- ``POST /unsubscribe/{token}/confirm`` is that button (a normal form, with the CSRF token).
- ``POST /unsubscribe/{token}`` with ``List-Unsubscribe=One-Click`` is RFC 8058's one-click
  unsubscribe, sent by the mail provider (Gmail, Yahoo, ...) from its own servers when the
  reader presses "Unsubscribe" in their interface. It carries no cookie and no CSRF token, and
  cannot: the standard defines the request. No CSRF check is needed either, because CSRF
  protects an action authorised by a *session*; this one is authorised by the signed token in
  the URL alone, which only the recipient of the message has, and unsubscribing is the only
  thing it can do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import (
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from aftercare.errors import NotFound
from helpdesk.email.models import OutboxStatus, SuppressionScope, SuppressionSource
from helpdesk.email.outbox import list_outbox, retry_message
from helpdesk.email.previews import PREVIEWS, render_preview
from helpdesk.email.strings import email_language, words
from helpdesk.email.unsubscribe import (
    ONE_CLICK_FIELD,
    ONE_CLICK_VALUE,
    mask_address,
    resolve_token,
    unsubscribe,
)
from web.csrf import verify_csrf
from web.deps import AppSettings, DbSession, PageAdmin, PagePrincipal
from web.templating import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, token: str, target, *, done: bool, status_code: int = 200) -> Response:
    language = email_language(target.message.language if target is not None else None)
    w = words(language)
    context = {"token": token, "language": language, "w": w, "done": done, "valid": target is not None}
    if target is not None:
        address = mask_address(target.address)
        key = "confirm_survey" if target.scope == SuppressionScope.SURVEY else "confirm_marketing"
        context["question"] = w[key].format(address=address)
        context["done_text"] = w["done"].format(address=address)
    return render(request, "email/unsubscribe.html", context, status_code=status_code)


@router.get("/unsubscribe/{token}")
def unsubscribe_page(
    token: str, request: Request, session: DbSession, settings: AppSettings, principal: PagePrincipal
) -> Response:
    target = resolve_token(session, settings, token)
    return _page(request, token, target, done=False, status_code=200 if target else 404)


@router.post("/unsubscribe/{token}/confirm", dependencies=[Depends(verify_csrf)])
def unsubscribe_confirm(
    token: str, request: Request, session: DbSession, settings: AppSettings, principal: PagePrincipal
) -> Response:
    target = resolve_token(session, settings, token)
    if target is None:
        return _page(request, token, None, done=False, status_code=404)
    unsubscribe(session, target, source=SuppressionSource.UNSUBSCRIBE_LINK)
    return _page(request, token, target, done=True)


@router.post("/unsubscribe/{token}")
def one_click_unsubscribe(
    token: str,
    session: DbSession,
    settings: AppSettings,
    list_unsubscribe: Annotated[str, Form(alias=ONE_CLICK_FIELD)] = "",
) -> Response:
    """RFC 8058 one-click: no CSRF token by design (see the module docstring)."""
    if list_unsubscribe != ONE_CLICK_VALUE:
        return PlainTextResponse(f"expected the form field {ONE_CLICK_FIELD}={ONE_CLICK_VALUE}\n", status_code=400)
    target = resolve_token(session, settings, token)
    if target is None:
        return PlainTextResponse("unknown unsubscribe link\n", status_code=404)
    unsubscribe(session, target, source=SuppressionSource.ONE_CLICK)
    return PlainTextResponse("unsubscribed\n")


# The rendered HTML of an e-mail, shown as is: its inline styles may apply, nothing may run.
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'"


@router.get("/admin/email")
def email_previews(
    request: Request,
    settings: AppSettings,
    principal: PageAdmin,
    language: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """Every e-mail the help desk itself sends, with sample content, in the chosen language."""
    language = language if language in settings.languages else settings.default_language
    previews = [(name, title, render_preview(name, language)) for name, title in PREVIEWS.items()]
    return render(
        request,
        "email/previews.html",
        {
            "previews": previews,
            "language": language,
            "languages": settings.languages,
        },
    )


@router.get("/admin/email/{name}.html")
def email_preview_html(
    name: str,
    settings: AppSettings,
    principal: PageAdmin,
    language: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    if name not in PREVIEWS:
        raise NotFound(f"no e-mail called {name}")
    language = language if language in settings.languages else settings.default_language
    return HTMLResponse(render_preview(name, language).html, headers={"Content-Security-Policy": PREVIEW_CSP})


OUTBOX_PAGE_SIZE = 50


@router.get("/admin/email/outbox")
def outbox_page(
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    status: Annotated[str, Query(max_length=16)] = OutboxStatus.FAILED.value,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Outgoing mail by status: failed (with the reason, and "Send again") by default."""
    chosen = OutboxStatus(status) if status in set(OutboxStatus) else OutboxStatus.FAILED
    rows, total = list_outbox(session, status=chosen, limit=OUTBOX_PAGE_SIZE, offset=(page - 1) * OUTBOX_PAGE_SIZE)
    return render(
        request,
        "email/outbox.html",
        {
            "rows": rows,
            "total": total,
            "status": chosen,
            "statuses": list(OutboxStatus),
            "page": page,
            "more": page * OUTBOX_PAGE_SIZE < total,
        },
    )


@router.post("/admin/email/outbox/{message_id}/retry", dependencies=[Depends(verify_csrf)])
def outbox_retry(message_id: int, session: DbSession, principal: PageAdmin) -> Response:
    """Send a failed message again, from now (a new retry horizon); back to the failed list."""
    retry_message(session, message_id)
    return RedirectResponse(
        f"/admin/email/outbox?status={OutboxStatus.FAILED.value}&retried={message_id}", status_code=303
    )
