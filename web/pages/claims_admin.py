"""Admin page of claims: the list with filters, and the reports (by product, by reason, time to
resolve, share out of window) with charts and CSV (``aftersales.claim_reports``)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from aftercare.db import utcnow
from aftersales import claim_reports, claims, purchases, reports
from aftersales.claim_models import ClaimKind, ClaimStatus
from web.charts import bar_chart
from web.deps import DbSession, PageAdmin
from web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)

RANGES = {"90": 90, "365": 365, "730": 730}
PAGE_SIZE = 50
COUNT_COLUMNS = ("group", "claims", "out_of_window")
LIST_COLUMNS = ("rma_number", "status", "kind", "reason", "product", "eligible", "window_ends_on", "created_at")
ReportName = Literal["by-product", "by-reason"]


def _period(range_key: str) -> tuple:
    days = RANGES.get(range_key, 365)
    until = utcnow() + timedelta(seconds=1)
    return until - timedelta(days=days), until


def _choice(value: str, allowed) -> str | None:
    return value if value in set(allowed) else None


@router.get("/claims")
def claims_page(
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    status: Annotated[str, Query(max_length=16)] = "",
    kind: Annotated[str, Query(max_length=16)] = "",
    product_id: Annotated[str, Query(max_length=12)] = "",
    range: Annotated[str, Query(max_length=4)] = "365",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    since, until = _period(range)
    chosen_status = _choice(status, ClaimStatus)
    chosen_kind = _choice(kind, ClaimKind)
    product = int(product_id) if product_id.isdigit() else None
    rows = claims.list_claims(
        session,
        status=ClaimStatus(chosen_status) if chosen_status else None,
        kind=ClaimKind(chosen_kind) if chosen_kind else None,
        product_id=product,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    by_product = claim_reports.claims_by_product(session, since=since, until=until)
    by_reason = claim_reports.claims_by_reason(session, since=since, until=until)
    charts = {
        "by_product": bar_chart(
            "Claims by product",
            [row.group for row in by_product],
            [row.claims for row in by_product],
            y_min=0,
            label_heading="Product",
            value_heading="Claims",
        ),
        "by_reason": bar_chart(
            "Claims by reason",
            [row.group for row in by_reason],
            [row.claims for row in by_reason],
            y_min=0,
            label_heading="Reason",
            value_heading="Claims",
        ),
    }
    return render(
        request,
        "claims/admin.html",
        {
            "claims": rows[:PAGE_SIZE],
            "has_next": len(rows) > PAGE_SIZE,
            "page": page,
            "status": chosen_status or "",
            "kind": chosen_kind or "",
            "product_id": product,
            "statuses": list(ClaimStatus),
            "kinds": list(ClaimKind),
            "products": purchases.list_products(session),
            "range": range if range in RANGES else "365",
            "by_product": by_product,
            "by_reason": by_reason,
            "summary": claim_reports.claims_summary(session, since=since, until=until),
            "charts": charts,
            "section": "claims",
        },
    )


@router.get("/claims/{name}.csv")
def claims_csv(
    name: ReportName | Literal["list"],
    session: DbSession,
    principal: PageAdmin,
    range: Annotated[str, Query(max_length=4)] = "365",
) -> Response:
    since, until = _period(range)
    if name == "list":
        body = _list_csv(session)
    else:
        report = claim_reports.claims_by_product if name == "by-product" else claim_reports.claims_by_reason
        body = reports.to_csv(report(session, since=since, until=until), COUNT_COLUMNS)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="aftercare-claims-{name}.csv"'},
    )


def _list_csv(session) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(LIST_COLUMNS)
    for claim in claims.list_claims(session, limit=100_000):
        writer.writerow(
            [
                claim.rma_number,
                claim.status,
                claim.kind,
                claim.reason,
                # A spreadsheet must not run a product name as a formula.
                reports._csv_cell(claim.product.name),
                "yes" if claim.eligible else "no",
                claim.window_ends_on.isoformat(),
                claim.created_at.isoformat(),
            ]
        )
    return buffer.getvalue()
