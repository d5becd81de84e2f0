"""Customers in the JSON API: ``GET /api/v1/customers/{id}``, the customer's whole story for staff.

Agents and admins; a customer's token gets 403 (their own data comes through the export,
``web.api.privacy``), an unknown id 404. Lists hold the latest rows and counts hold all of them
(``aftersales.customer_story``).
"""

from __future__ import annotations

from fastapi import APIRouter

from aftersales.customer_story import customer_story
from aftersales.schemas import CustomerStoryRead
from web.deps import AppSettings, DbSession, StaffPrincipal

router = APIRouter(prefix="/api/v1", tags=["customers"])


@router.get("/customers/{customer_id}", response_model=CustomerStoryRead)
def read_customer(
    customer_id: int, session: DbSession, principal: StaffPrincipal, settings: AppSettings
) -> CustomerStoryRead:
    """Contact data, language, consent, purchases with warranty left, tickets, CSAT and NPS scores,
    tip series and tips sent, and whether they are a lapsed buyer."""
    return customer_story(session, customer_id, warranty_months=settings.default_warranty_months)
