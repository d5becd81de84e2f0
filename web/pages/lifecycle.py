"""Lifecycle and review pages: admins' lifecycle steps and review destinations; the customer's
win-back survey (``/winback/{signed}``) and review link (``/r/{signed}``, a 302 to the product's
review page).

The win-back page is reached from an e-mail by a signed link and speaks the customer's language
(its words come from ``aftersales.lifecycle_strings``); opening it (GET) only shows the question,
answering takes a POST with a CSRF token. Admin routes need a signed-in admin; every POST a CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from aftersales import lifecycle, purchases, reviews, winback
from aftersales.lifecycle_models import LifecycleKind, LifecycleMessage, WinbackReason
from aftersales.lifecycle_schemas import LifecycleStepUpdate, ReviewDestinationSet, WinbackAnswerCreate
from aftersales.lifecycle_strings import lifecycle_strings_for
from web.csrf import verify_csrf
from web.deps import DbSession, PageAdmin
from web.pages.forms import field_errors
from web.templating import render

router = APIRouter(include_in_schema=False)

# The private link's page: keep it out of caches, search engines and Referer headers.
_PRIVATE_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}


# --- admin: lifecycle steps ---------------------------------------------------------------------------


def _lifecycle_context(session, **extra) -> dict:
    return {
        "steps": list(lifecycle.step_settings(session).values()),
        "sent": lifecycle.sent_counts(session),
        "errors": {},
        "section": "lifecycle",
        **extra,
    }


@router.get("/admin/lifecycle")
def lifecycle_page(request: Request, session: DbSession, principal: PageAdmin, saved: str = "") -> Response:
    return render(request, "aftersales/lifecycle.html", _lifecycle_context(session, saved=saved))


@router.post("/admin/lifecycle/{kind}", dependencies=[Depends(verify_csrf)])
def update_lifecycle_step(
    kind: LifecycleKind,
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    enabled: Annotated[str, Form(max_length=3)] = "",
    days_before: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        changes = LifecycleStepUpdate(enabled=enabled == "1", days_before=days_before.strip() or None)
    except ValidationError as error:
        context = _lifecycle_context(session, saved="", errors={str(kind): "; ".join(field_errors(error).values())})
        return render(request, "aftersales/lifecycle.html", context, status_code=422)
    lifecycle.update_step(session, kind, changes)
    return RedirectResponse(f"/admin/lifecycle?saved={kind}", status_code=303)


# --- admin: review destinations -----------------------------------------------------------------------


def _reviews_context(session, **extra) -> dict:
    return {"rows": reviews.destination_stats(session), "errors": {}, "values": {}, "section": "reviews", **extra}


@router.get("/admin/reviews")
def reviews_page(request: Request, session: DbSession, principal: PageAdmin, saved: int = 0) -> Response:
    return render(request, "aftersales/reviews.html", _reviews_context(session, saved=saved))


@router.post("/admin/reviews/{product_id}", dependencies=[Depends(verify_csrf)])
def set_review_destination(
    product_id: int,
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    url: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    product = purchases.get_product(session, product_id)
    if not url.strip():
        reviews.remove_destination(session, product)
        return RedirectResponse(f"/admin/reviews?saved={product_id}", status_code=303)
    try:
        data = ReviewDestinationSet(url=url)
    except ValidationError as error:
        context = _reviews_context(
            session,
            saved=0,
            errors={product_id: "; ".join(field_errors(error).values())},
            values={product_id: url},
        )
        return render(request, "aftersales/reviews.html", context, status_code=422)
    reviews.set_destination(session, product, data)
    return RedirectResponse(f"/admin/reviews?saved={product_id}", status_code=303)


@router.get("/r/{token}")
def review_clicked(token: str, session: DbSession) -> Response:
    return RedirectResponse(reviews.follow_link(session, token), status_code=302)


# --- the customer's win-back survey -------------------------------------------------------------------


def _winback_page(
    request: Request,
    session,
    message: LifecycleMessage,
    token: str,
    *,
    reason: str = "",
    comment: str = "",
    saved: bool = False,
    error: str = "",
    status_code: int = 200,
) -> Response:
    language, words = lifecycle_strings_for(message.language)
    answer = winback.answer_of(session, message)
    if not reason and not error and answer is not None:
        reason, comment = str(answer.reason), answer.comment
    return render(
        request,
        "aftersales/winback.html",
        {
            "ui_language": language,
            "w": words,
            "token": token,
            "reasons": [(str(r), words[f"reason_{r}"]) for r in WinbackReason],
            "reason": reason,
            "comment": comment,
            "saved": saved,
            "error": error,
        },
        status_code=status_code,
        headers=_PRIVATE_HEADERS,
    )


@router.get("/winback/{token}")
def winback_page(token: str, request: Request, session: DbSession, saved: bool = False) -> Response:
    message = winback.message_from_token(session, token)
    return _winback_page(request, session, message, token, saved=saved)


@router.post("/winback/{token}", dependencies=[Depends(verify_csrf)])
def winback_answer(
    token: str,
    request: Request,
    session: DbSession,
    reason: Annotated[str, Form(max_length=32)] = "",
    comment: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    message = winback.message_from_token(session, token)
    if reason not in set(WinbackReason):
        _, words = lifecycle_strings_for(message.language)
        return _winback_page(
            request, session, message, token, comment=comment, error=words["winback_choose"], status_code=422
        )
    winback.submit_answer(session, message, WinbackAnswerCreate(reason=WinbackReason(reason), comment=comment))
    return RedirectResponse(f"/winback/{token}?saved=1", status_code=303)
