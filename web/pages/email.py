"""E-mail pages: unsubscribing from tips, news and surveys (``/unsubscribe/{token}``).

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

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import PlainTextResponse, Response

from web.csrf import verify_csrf
from web.deps import AppSettings, DbSession, PagePrincipal
from web.templating import render
from workers.models import SuppressionScope, SuppressionSource
from workers.strings import email_language, words
from workers.unsubscribe import ONE_CLICK_FIELD, ONE_CLICK_VALUE, mask_address, resolve_token, unsubscribe

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
def unsubscribe_page(token: str, request: Request, session: DbSession, settings: AppSettings,
                     principal: PagePrincipal) -> Response:
    target = resolve_token(session, settings, token)
    return _page(request, token, target, done=False, status_code=200 if target else 404)


@router.post("/unsubscribe/{token}/confirm", dependencies=[Depends(verify_csrf)])
def unsubscribe_confirm(token: str, request: Request, session: DbSession, settings: AppSettings,
                        principal: PagePrincipal) -> Response:
    target = resolve_token(session, settings, token)
    if target is None:
        return _page(request, token, None, done=False, status_code=404)
    unsubscribe(session, target, source=SuppressionSource.UNSUBSCRIBE_LINK)
    return _page(request, token, target, done=True)


@router.post("/unsubscribe/{token}")
def one_click_unsubscribe(
    token: str, session: DbSession, settings: AppSettings,
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
