"""Privacy in the JSON API: a customer's data exported (GDPR Art. 15, 20) or erased (Art. 17), and retention.

- ``GET /api/v1/customers/{id}/export``: one JSON document (``privacy.export``) as a download. Admins
  for anyone; a customer for themself (someone else's id is a 404, as if it did not exist: a
  customer may not learn which ids are taken); agents get 403. Every export is in the audit trail.
- ``POST /api/v1/customers/{id}/erase``: admins; 200 with what was replaced and removed, by count.
  Erasing an erased customer changes nothing and says so (``already_erased``).
- ``GET /api/v1/privacy/retention``: admins; whether ``AFTERCARE_RETENTION_DAYS_CLOSED_TICKETS`` is
  set, and how many customers the daily job would erase now (a dry run).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from accounts import guards
from accounts.models import User
from accounts.service import Principal
from aftercare.errors import Forbidden, NotFound
from privacy.erasure import erase_customer
from privacy.export import export_customer
from privacy.retention import retention_status
from privacy.schemas import ErasureSummaryRead, RetentionRead
from web.deps import API_SIGN_IN, AdminPrincipal, ApiPrincipal, AppSettings, DbSession
from web.openapi import error_responses

router = APIRouter(prefix="/api/v1", tags=["privacy"])

EXPORT_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The customer's data as one JSON document, sent as a file to save",
        "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
        "headers": {
            "Content-Disposition": {
                "description": 'attachment; filename="customer-<id>.json"',
                "schema": {"type": "string"},
            }
        },
    }
}


def _exporter(principal: Principal, customer_id: int) -> User:
    """Who may export this customer's data: an admin, or the customer's own account."""
    guards.require_credentials(principal, API_SIGN_IN)
    user = principal.user
    if user is None:
        # A ticket's signed link opens one ticket, not the person's whole record.
        raise Forbidden("a ticket link does not give access to a customer's data; use the account's API token")
    if principal.is_admin:
        return user
    if user.is_staff:
        raise Forbidden("admins only")
    if user.customer_id != customer_id:
        # The same answer as for an id nobody has.
        raise NotFound(f"customer {customer_id} not found")
    return user


@router.get(
    "/customers/{customer_id}/export",
    response_class=JSONResponse,
    responses={**EXPORT_RESPONSE, **error_responses(403)},
)
def export(customer_id: int, session: DbSession, principal: ApiPrincipal) -> JSONResponse:
    """Everything kept about the customer: profile, tickets with their public messages, forum posts,
    purchases, survey answers, consents and e-mails sent to them."""
    actor = _exporter(principal, customer_id)
    document = export_customer(session, customer_id, actor=actor)
    return JSONResponse(
        jsonable_encoder(document),
        headers={"Content-Disposition": f'attachment; filename="customer-{customer_id}.json"'},
    )


@router.post("/customers/{customer_id}/erase", response_model=ErasureSummaryRead)
def erase(customer_id: int, session: DbSession, principal: AdminPrincipal) -> ErasureSummaryRead:
    """Erase the person, keep the statistics: name, address and their text replaced, attachments
    deleted, forum posts shown as by a deleted user, their pending e-mails cancelled."""
    summary = erase_customer(session, customer_id, actor=principal.user)
    return ErasureSummaryRead.model_validate(summary)


@router.get("/privacy/retention", response_model=RetentionRead)
def retention(session: DbSession, principal: AdminPrincipal, settings: AppSettings) -> RetentionRead:
    """The retention setting and a dry run: how many customers the daily job would erase now."""
    status = retention_status(session, settings.retention_days_closed_tickets)
    return RetentionRead(enabled=status.enabled, days=status.days, due=status.due)
