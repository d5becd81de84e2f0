"""Claim pages: the customer's claim form and claim page, and the claim panel on the agent's ticket page.

``/claims/new?purchase_id=N`` (a signed-in customer, their own purchase; else "not found"): first
the product's troubleshooting articles in the customer's language (``aftersales.claim_articles``),
each linked into the contact form's deflection funnel (``kb.feedback.service``: shown, opened,
"This solved it"), then the form. A claim sent ends the attempt as a ticket, as the contact form
does. On a refused form everything typed comes back. ``/claims/{id}`` shows the claim's status,
eligibility and history to its owner.

``/agent/tickets/{id}/claim`` is the panel the agent's ticket page loads for a ticket tagged
``claim``: status, eligibility, and a button per legal next state (``POST /agent/claims/{id}/status``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from accounts import guards
from accounts.service import Principal
from aftercare.errors import DomainError
from aftersales import claims
from aftersales.claim_articles import articles_for_claim
from aftersales.claim_models import Claim, ClaimKind, ClaimReason, ClaimStatus
from aftersales.claim_schemas import ClaimCreate
from aftersales.claim_strings import long_date
from aftersales.models import Purchase
from helpdesk.models import Ticket
from kb.feedback import service as feedback
from kb.urls import article_path
from web import i18n
from web.csrf import verify_csrf
from web.deps import DbSession, PagePrincipal, PageStaff, bookkeeping_session
from web.pages.forms import localized_field_errors
from web.pages.search import ATTEMPT_COOKIE, ATTEMPT_MAX_AGE, contact_attempt, record_contact_submitted
from web.templating import render

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
SIGN_IN = "sign in to request a repair or return"


def _customer(principal: Principal) -> Principal:
    guards.require_user(principal, SIGN_IN)
    guards.require_customer(principal, SIGN_IN)
    return principal


def _window_context(request: Request, claim_kind: ClaimKind, ends_on, eligible: bool) -> dict[str, Any]:
    return {
        "window": claims.window_of(claim_kind),
        "window_ends": long_date(ends_on, i18n.request_language(request)),
        "eligible": eligible,
    }


def _purchase_context(request: Request, purchase: Purchase) -> dict[str, Any]:
    return {"purchase": purchase, "bought_on": long_date(purchase.purchased_at.date(), i18n.request_language(request))}


def _form(
    request: Request,
    purchase: Purchase,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    context = {
        "step": "form",
        **_purchase_context(request, purchase),
        "values": values,
        "errors": errors,
        "kinds": list(ClaimKind),
        "reasons": list(ClaimReason),
        "articles": [],
    }
    return render(request, "claims/new.html", context, status_code=status_code, headers=NO_STORE)


@router.get("/claims/new")
def new_claim(
    request: Request,
    session: DbSession,
    principal: PagePrincipal,
    purchase_id: Annotated[int, Query(ge=1)],
    step: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    _customer(principal)
    purchase = claims.purchase_for(session, principal, purchase_id=purchase_id, external_order_id=None)
    empty = {"kind": "", "reason": "", "description": ""}
    if step == "form":
        return _form(request, purchase, empty, {})
    language = i18n.request_language(request)
    found = articles_for_claim(session, purchase.product, language)
    if not found:
        return _form(request, purchase, empty, {})
    attempt, new_attempt = contact_attempt(request, session)
    with bookkeeping_session(request) as record_session:
        feedback.record_suggestions_shown(record_session, attempt)
    articles = [
        {"id": item.article_id, "title": item.title, "url": article_path(item.slug, lang=item.locale, attempt=attempt)}
        for item in found
    ]
    response = render(
        request,
        "claims/new.html",
        {
            "step": "articles",
            **_purchase_context(request, purchase),
            "articles": articles,
            "values": empty,
            "errors": {},
        },
        headers=NO_STORE,
    )
    if new_attempt:
        response.set_cookie(
            ATTEMPT_COOKIE,
            attempt,
            max_age=ATTEMPT_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=request.app.state.settings.secure_cookies,
            path="/",
        )
    return response


@router.post("/claims/new/solved", dependencies=[Depends(verify_csrf)])
def solved_before_claim(
    request: Request,
    session: DbSession,
    principal: PagePrincipal,
    purchase_id: Annotated[int, Form(ge=1)],
    article_id: Annotated[int, Form(ge=1)],
) -> Response:
    """ "This solved it" beside an article: counted as the contact form counts it (an opened article)."""
    _customer(principal)
    purchase = claims.purchase_for(session, principal, purchase_id=purchase_id, external_order_id=None)
    feedback.confirm_deflection(session, request.cookies.get(ATTEMPT_COOKIE), article_id)
    return render(
        request, "claims/new.html", {"step": "solved", **_purchase_context(request, purchase)}, headers=NO_STORE
    )


@router.post("/claims/new", dependencies=[Depends(verify_csrf)])
def submit_claim(
    request: Request,
    session: DbSession,
    principal: PagePrincipal,
    purchase_id: Annotated[int, Form(ge=1)],
    kind: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=32)] = "",
    description: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    _customer(principal)
    purchase = claims.purchase_for(session, principal, purchase_id=purchase_id, external_order_id=None)
    values = {"kind": kind, "reason": reason, "description": description}
    translations = i18n.translator(request)
    try:
        data = ClaimCreate(purchase_id=purchase.id, kind=kind, reason=reason, description=description)
    except ValidationError as error:
        return _form(request, purchase, values, localized_field_errors(error, translations), status_code=422)
    try:
        with session.begin_nested():
            claim = claims.open_claim(session, data, principal)
    except DomainError as error:
        return _form(request, purchase, values, {"form": error.message}, status_code=error.status_code)
    ticket = session.get(Ticket, claim.ticket_id)
    if ticket is not None:
        record_contact_submitted(request, session, ticket)
    return RedirectResponse(f"/claims/{claim.id}?created=1", status_code=303)


def _owned_claim(session: Session, claim_id: int, principal: Principal) -> Claim:
    guards.require_user(principal, SIGN_IN)
    return claims.get_claim_for(session, claim_id, principal)


@router.get("/claims/{claim_id}")
def claim_page(claim_id: int, request: Request, session: DbSession, principal: PagePrincipal) -> Response:
    claim = _owned_claim(session, claim_id, principal)
    context = {
        "claim": claim,
        "created": request.query_params.get("created") == "1",
        **_window_context(request, ClaimKind(claim.kind), claim.window_ends_on, claim.eligible),
    }
    return render(request, "claims/claim.html", context, headers=NO_STORE)


# ---- the agent's ticket page -----------------------------------------------------------------


@router.get("/agent/tickets/{ticket_id}/claim")
def agent_claim_panel(ticket_id: int, request: Request, session: DbSession, principal: PageStaff) -> Response:
    claim = claims.claim_for_ticket(session, ticket_id)
    if claim is None:
        return HTMLResponse("")
    context = {
        "claim": claim,
        "next_statuses": claims.next_statuses(claim),
        **_window_context(request, ClaimKind(claim.kind), claim.window_ends_on, claim.eligible),
    }
    return render(request, "claims/_agent_panel.html", context)


@router.post("/agent/claims/{claim_id}/status", dependencies=[Depends(verify_csrf)])
def agent_change_status(
    claim_id: int,
    session: DbSession,
    principal: PageStaff,
    status: Annotated[ClaimStatus, Form()],
) -> Response:
    claim = claims.get_claim_for(session, claim_id, principal)
    claims.change_status(session, claim, status, principal)
    if claim.ticket_id is None:
        return RedirectResponse("/admin/claims", status_code=303)
    return RedirectResponse(f"/agent/tickets/{claim.ticket_id}#claim-panel", status_code=303)
