"""The agent's customer page: ``/agent/customers/{id}``, the customer's whole story
(``aftersales.customer_story``), linked from the ticket page's customer panel."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aftersales.customer_story import customer_story
from web.deps import AppSettings, DbSession, PageStaff
from web.templating import render

router = APIRouter(prefix="/agent", include_in_schema=False)


@router.get("/customers/{customer_id}")
def customer_page(
    customer_id: int, request: Request, session: DbSession, settings: AppSettings, principal: PageStaff
) -> Response:
    story = customer_story(session, customer_id, warranty_months=settings.default_warranty_months)
    return render(request, "agent/customer.html", {"story": story})
