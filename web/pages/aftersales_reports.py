"""Admin pages: survey answers and reports (tables, SVG charts, CSV export).

Included by ``web.pages.aftersales``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from aftercare.db import utcnow
from aftersales import reports, surveys
from aftersales.models import SurveyKind
from web.charts import Series, bar_chart, line_chart
from web.deps import DbSession, PageAdmin
from web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)

RANGES = {"90": (90, reports.Period.WEEK), "365": (365, reports.Period.MONTH), "730": (730, reports.Period.MONTH)}
NPS_COLUMNS = ("group", "responses", "promoters", "passives", "detractors", "nps")
CSAT_COLUMNS = ("group", "responses", "satisfied", "average", "csat")
EMAIL_COLUMNS = ("group", "sent", "opened", "clicked", "unsubscribed")
ReportName = Literal["nps-time", "nps-product", "nps-segment", "csat-time", "email-time", "email-programme"]


@router.get("/surveys")
def surveys_page(
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    kind: Annotated[str, Query(max_length=8)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    chosen = SurveyKind(kind) if kind in set(SurveyKind) else None
    page_size = 50
    invitations = surveys.list_invitations(session, kind=chosen, limit=page_size + 1, offset=(page - 1) * page_size)
    return render(
        request,
        "aftersales/surveys.html",
        {
            "invitations": invitations[:page_size],
            "has_next": len(invitations) > page_size,
            "page": page,
            "kind": kind,
            "kinds": list(SurveyKind),
            "now": utcnow(),
            "section": "surveys",
            "is_detractor": surveys.is_detractor,
            "is_promoter": surveys.is_promoter,
        },
    )


def _report_data(session, range_key: str) -> dict:
    days, period = RANGES.get(range_key, RANGES["365"])
    until = utcnow() + timedelta(seconds=1)
    since = until - timedelta(days=days)
    window = {"since": since, "until": until}
    return {
        "nps-time": reports.nps_over_time(session, period=period, **window),
        "nps-product": reports.nps_by_product(session, **window),
        "nps-segment": reports.nps_by_segment(session, **window),
        "csat-time": reports.csat_over_time(session, period=period, **window),
        "email-time": reports.email_over_time(session, period=period, **window),
        "email-programme": reports.email_by_programme(session, **window),
    }


@router.get("/reports")
def reports_page(
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    range: Annotated[str, Query(max_length=4)] = "365",
) -> Response:
    data = _report_data(session, range)
    nps_time, csat_time, email_time = data["nps-time"], data["csat-time"], data["email-time"]
    charts = {
        "nps_time": line_chart(
            "NPS over time",
            [r.group for r in nps_time],
            [Series("NPS", [r.nps for r in nps_time])],
            y_min=-100,
            y_max=100,
        ),
        "nps_product": bar_chart(
            "NPS by product",
            [r.group for r in data["nps-product"]],
            [r.nps for r in data["nps-product"]],
            y_min=-100,
            y_max=100,
            value_heading="NPS",
            label_heading="Product",
        ),
        "nps_segment": bar_chart(
            "NPS by segment",
            [r.group for r in data["nps-segment"]],
            [r.nps for r in data["nps-segment"]],
            y_min=-100,
            y_max=100,
            value_heading="NPS",
            label_heading="Segment",
        ),
        "csat_time": line_chart(
            "CSAT over time (% satisfied)",
            [r.group for r in csat_time],
            [Series("CSAT", [r.csat for r in csat_time])],
            y_min=0,
            y_max=100,
            unit="%",
        ),
        "email_time": line_chart(
            "Tips and unsubscribes over time",
            [r.group for r in email_time],
            [
                Series("Sent", [r.sent for r in email_time]),
                Series("Opened", [r.opened for r in email_time]),
                Series("Clicked", [r.clicked for r in email_time]),
                Series("Unsubscribed", [r.unsubscribed for r in email_time]),
            ],
        ),
    }
    return render(
        request,
        "aftersales/reports.html",
        {
            "data": data,
            "charts": charts,
            "range": range if range in RANGES else "365",
            "section": "reports",
        },
    )


@router.get("/reports/{name}.csv")
def report_csv(
    name: ReportName,
    session: DbSession,
    principal: PageAdmin,
    range: Annotated[str, Query(max_length=4)] = "365",
) -> Response:
    rows = _report_data(session, range)[name]
    columns = NPS_COLUMNS if name.startswith("nps") else CSAT_COLUMNS if name.startswith("csat") else EMAIL_COLUMNS
    return Response(
        reports.to_csv(rows, columns),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="aftercare-{name}.csv"'},
    )
