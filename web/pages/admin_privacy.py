"""The admin's privacy page, ``/admin/privacy``: one customer's data downloaded or erased, retention, and the trail.

- Find a customer by e-mail (``?email=``; htmx swaps the result, without JavaScript the page reloads).
- "Download data" and "Erase" are POST forms with CSRF tokens: both leave an audit entry, and an
  erasure cannot be undone, so it also asks the admin to type the customer's e-mail address. The
  answer to an erasure is the page with what was replaced and removed, by count.
- The retention setting's state with a dry-run count, or how to turn it on; the latest exports and
  erasures with who did them.

Admins only; the services (``privacy.*``) do the work and write the audit trail.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from sqlalchemy.orm import Session

from accounts.audit import AuditAction
from accounts.models import Customer, User
from accounts.service import get_customer_by_email, normalize_email
from aftercare.errors import NotFound
from privacy.erasure import ErasureSummary, erase_customer
from privacy.export import export_customer
from privacy.history import recent_privacy_events
from privacy.retention import retention_status
from web import i18n
from web.csrf import verify_csrf
from web.deps import AppSettings, DbSession, PageAdmin
from web.i18n import N_
from web.templating import render

router = APIRouter(prefix="/admin/privacy", include_in_schema=False)
# A customer's data never sits in a shared cache or the browser's history cache.
NO_STORE = {"Cache-Control": "no-store"}
MAX_EMAIL_CHARS = 320
RECENT_EVENTS = 20
ACTION_LABELS = {
    str(AuditAction.CUSTOMER_EXPORTED): N_("Data downloaded"),
    str(AuditAction.CUSTOMER_ERASURE_REQUESTED): N_("Erasure asked for"),
    str(AuditAction.CUSTOMER_ERASED): N_("Erased"),
}
CONFIRMATION_MISMATCH = N_("Type the customer's e-mail address exactly as shown to confirm the erasure.")


def _customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return customer


def _page(
    request: Request,
    session: Session,
    days: int | None,
    *,
    email: str = "",
    customer: Customer | None = None,
    erased: ErasureSummary | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "email": email,
        "searched": bool(email),
        "customer": customer,
        "erased": erased,
        "errors": errors or {},
        "retention": retention_status(session, days),
        "events": recent_privacy_events(session, limit=RECENT_EVENTS),
        "action_labels": ACTION_LABELS,
    }
    return render(request, "admin/privacy.html", context, status_code=status_code, block="customer", headers=NO_STORE)


@router.get("")
def privacy_page(
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    settings: AppSettings,
    email: Annotated[str, Query(max_length=MAX_EMAIL_CHARS)] = "",
) -> Response:
    wanted = email.strip()
    customer = get_customer_by_email(session, wanted) if wanted else None
    return _page(request, session, settings.retention_days_closed_tickets, email=wanted, customer=customer)


@router.post("/customers/{customer_id}/export", dependencies=[Depends(verify_csrf)])
def download_data(customer_id: int, session: DbSession, principal: PageAdmin) -> Response:
    """The export as a file to save (the same document as the API's)."""
    document = export_customer(session, customer_id, actor=principal.user)
    body = json.dumps(jsonable_encoder(document), ensure_ascii=False, indent=2)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="customer-{customer_id}.json"', **NO_STORE},
    )


@router.post("/customers/{customer_id}/erase", dependencies=[Depends(verify_csrf)])
def erase(
    request: Request,
    customer_id: int,
    session: DbSession,
    principal: PageAdmin,
    settings: AppSettings,
    confirm_email: Annotated[str, Form(max_length=MAX_EMAIL_CHARS)] = "",
) -> Response:
    customer = _customer(session, customer_id)
    days = settings.retention_days_closed_tickets
    if customer.erased_at is None and normalize_email(confirm_email) != customer.email:
        message = i18n.translator(request).gettext(CONFIRMATION_MISMATCH)
        return _page(
            request,
            session,
            days,
            email=customer.email,
            customer=customer,
            errors={"confirm_email": message},
            status_code=422,
        )
    actor: User | None = principal.user
    summary = erase_customer(session, customer_id, actor=actor)
    session.refresh(customer)
    return _page(request, session, days, customer=customer, erased=summary)
