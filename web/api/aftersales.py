"""After-sales API: the order webhook, products, purchases, programmes, segments, lapsed buyers, reports.

Writes need an admin token (a shop integration gets its own admin user and token); reads need
an agent token. ``POST /api/v1/purchases`` is idempotent by ``external_order_id``: 201 the first
time, 200 with the same row on a replay, 409 when the replay's details differ.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from aftercare.db import utcnow
from aftersales import lapsed, programmes, purchases, reports, segments
from aftersales.models import LapseReason
from aftersales.schemas import (
    BroadcastCreate,
    BroadcastRead,
    CsatRow,
    EmailRow,
    EnrolRequest,
    EnrolResult,
    LapsedBuyerRead,
    NpsRow,
    ProductCreate,
    ProductRead,
    ProductUpdate,
    ProgrammeCreate,
    ProgrammeRead,
    PurchaseCreate,
    PurchaseRead,
    SegmentCount,
    SegmentCreate,
    SegmentFilters,
    SegmentRead,
)
from web.deps import AdminPrincipal, DbSession, StaffPrincipal
from web.openapi import error_response, error_responses

router = APIRouter(prefix="/api/v1", tags=["after-sales"])
# A name that is taken already.
CONFLICT = error_responses(409)

MAX_REPORT_DAYS = 3 * 366


# --- purchases and products -----------------------------------------------------------------------


@router.post(
    "/purchases",
    response_model=PurchaseRead,
    status_code=201,
    responses={
        200: {"model": PurchaseRead, "description": "Already recorded (a replay)"},
        409: error_response(409) | {"description": "A replay whose details differ"},
    },
)
def record_purchase(data: PurchaseCreate, session: DbSession, principal: AdminPrincipal) -> Response:
    result = purchases.record_purchase(session, data, default_channel="api")
    body = purchases.purchase_read(result.purchase).model_dump(mode="json")
    return JSONResponse(body, status_code=201 if result.created else 200)


@router.get("/purchases", response_model=list[PurchaseRead])
def list_purchases(
    session: DbSession,
    principal: StaffPrincipal,
    customer_email: Annotated[str | None, Query(max_length=320)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[PurchaseRead]:
    rows = purchases.list_purchases(session, customer_email=customer_email, limit=limit, offset=offset)
    return [purchases.purchase_read(row) for row in rows]


@router.get("/products", response_model=list[ProductRead])
def list_products(session: DbSession, principal: StaffPrincipal) -> list[ProductRead]:
    return [ProductRead.model_validate(p) for p in purchases.list_products(session)]


@router.post("/products", response_model=ProductRead, status_code=201, responses=CONFLICT)
def create_product(data: ProductCreate, session: DbSession, principal: AdminPrincipal) -> ProductRead:
    return ProductRead.model_validate(purchases.create_product(session, data))


@router.patch("/products/{product_id}", response_model=ProductRead)
def update_product(
    product_id: int, changes: ProductUpdate, session: DbSession, principal: AdminPrincipal
) -> ProductRead:
    product = purchases.update_product(session, purchases.get_product(session, product_id), changes)
    return ProductRead.model_validate(product)


# --- programmes -----------------------------------------------------------------------------------


@router.get("/programmes", response_model=list[ProgrammeRead])
def list_programmes(session: DbSession, principal: StaffPrincipal) -> list[ProgrammeRead]:
    return [ProgrammeRead.model_validate(p) for p in programmes.list_programmes(session)]


@router.post("/programmes", response_model=ProgrammeRead, status_code=201, responses=CONFLICT)
def create_programme(data: ProgrammeCreate, session: DbSession, principal: AdminPrincipal) -> ProgrammeRead:
    return ProgrammeRead.model_validate(programmes.create_programme(session, data))


@router.get("/programmes/{programme_id}", response_model=ProgrammeRead)
def get_programme(programme_id: int, session: DbSession, principal: StaffPrincipal) -> ProgrammeRead:
    return ProgrammeRead.model_validate(programmes.get_programme(session, programme_id))


@router.post("/programmes/{programme_id}/enrolments", response_model=EnrolResult)
def enrol(programme_id: int, data: EnrolRequest, session: DbSession, principal: AdminPrincipal) -> EnrolResult:
    programme = programmes.get_programme(session, programme_id)
    return programmes.enrol_customers(session, programme, data.customer_ids, product_id=data.product_id)


# --- segments -------------------------------------------------------------------------------------


def _segment_read(session, segment) -> SegmentRead:
    filters = segments.segment_filters(segment)
    return SegmentRead(
        id=segment.id, name=segment.name, filters=filters, count=segments.count_members(session, filters)
    )


@router.get("/segments", response_model=list[SegmentRead])
def list_segments(session: DbSession, principal: StaffPrincipal) -> list[SegmentRead]:
    return [_segment_read(session, s) for s in segments.list_segments(session)]


@router.post("/segments", response_model=SegmentRead, status_code=201, responses=CONFLICT)
def create_segment(data: SegmentCreate, session: DbSession, principal: AdminPrincipal) -> SegmentRead:
    return _segment_read(session, segments.create_segment(session, data))


@router.post("/segments/count", response_model=SegmentCount)
def count_segment(filters: SegmentFilters, session: DbSession, principal: StaffPrincipal) -> SegmentCount:
    """The live size of a segment that is not saved yet (for building one)."""
    return SegmentCount(count=segments.count_members(session, filters))


@router.get("/segments/{segment_id}", response_model=SegmentRead)
def get_segment(segment_id: int, session: DbSession, principal: StaffPrincipal) -> SegmentRead:
    return _segment_read(session, segments.get_segment(session, segment_id))


@router.post("/segments/{segment_id}/broadcasts", response_model=BroadcastRead, status_code=202)
def broadcast(segment_id: int, data: BroadcastCreate, session: DbSession, principal: AdminPrincipal) -> BroadcastRead:
    """Queue a marketing message to the segment's consenting members; the worker sends it out."""
    segment = segments.get_segment(session, segment_id)
    return BroadcastRead.model_validate(segments.create_broadcast(session, segment, data, author=principal.user))


# --- lapsed buyers --------------------------------------------------------------------------------


@router.get("/lapsed-buyers", response_model=list[LapsedBuyerRead])
def list_lapsed(
    session: DbSession,
    principal: StaffPrincipal,
    reason: LapseReason | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[LapsedBuyerRead]:
    entries = lapsed.list_lapsed(session, reason=reason, limit=limit, offset=offset)
    return [
        LapsedBuyerRead(
            customer_id=e.row.customer_id,
            customer_email=e.row.customer.email,
            reason=e.row.reason,
            product_id=e.row.product_id,
            purchases=e.row.purchases,
            last_purchase_at=e.row.last_purchase_at,
            expected_by=e.row.expected_by,
            typical_gap_days=e.row.typical_gap_days,
        )
        for e in entries
    ]


# --- reports --------------------------------------------------------------------------------------


def _window(days: int) -> tuple[datetime, datetime]:
    until = utcnow()
    return until - timedelta(days=days), until + timedelta(seconds=1)


ReportDays = Annotated[int, Query(ge=1, le=MAX_REPORT_DAYS)]
PeriodName = Literal["day", "week", "month"]


@router.get("/reports/nps", response_model=list[NpsRow])
def nps_report(
    session: DbSession,
    principal: StaffPrincipal,
    by: PeriodName | Literal["product", "segment"] = "month",
    days: ReportDays = 365,
) -> list[NpsRow]:
    since, until = _window(days)
    if by == "product":
        return reports.nps_by_product(session, since=since, until=until)
    if by == "segment":
        return reports.nps_by_segment(session, since=since, until=until)
    return reports.nps_over_time(session, since=since, until=until, period=reports.Period(by))


@router.get("/reports/csat", response_model=list[CsatRow])
def csat_report(
    session: DbSession, principal: StaffPrincipal, by: PeriodName = "month", days: ReportDays = 365
) -> list[CsatRow]:
    since, until = _window(days)
    return reports.csat_over_time(session, since=since, until=until, period=reports.Period(by))


@router.get("/reports/email", response_model=list[EmailRow])
def email_report(
    session: DbSession,
    principal: StaffPrincipal,
    by: PeriodName | Literal["programme"] = "month",
    days: ReportDays = 365,
) -> list[EmailRow]:
    since, until = _window(days)
    if by == "programme":
        return reports.email_by_programme(session, since=since, until=until)
    return reports.email_over_time(session, since=since, until=until, period=reports.Period(by))
