"""Admin pages of after-sales: products, programmes (tip series), segments and broadcasts, lapsed buyers.

Included by ``web.pages.aftersales``; every route needs a signed-in admin and every POST a CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select

from accounts.models import Customer
from aftercare.errors import DomainError
from aftersales import lapsed, programmes, purchases, segments, winback
from aftersales.emails import tip_email
from aftersales.models import (
    LapseReason,
    Product,
    ProductTag,
    ProgrammeTrigger,
    Purchase,
    StepKind,
)
from aftersales.schemas import (
    BroadcastCreate,
    ProductUpdate,
    ProgrammeCreate,
    SegmentCreate,
    SegmentFilters,
    StepCreate,
)
from aftersales.tips import select_tip_article
from web.csrf import verify_csrf
from web.deps import AppSettings, DbSession, PageAdmin
from web.pages.forms import field_errors
from web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
STEP_ROWS = 6


def _split_tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.replace(";", ",").split(",") if tag.strip()]


# --- products -------------------------------------------------------------------------------------


@router.get("/products")
def products_page(request: Request, session: DbSession, principal: PageAdmin, saved: int = 0) -> Response:
    counts = dict(session.execute(select(Purchase.product_id, func.count()).group_by(Purchase.product_id)).all())
    return render(
        request,
        "aftersales/products.html",
        {
            "products": purchases.list_products(session),
            "purchase_counts": counts,
            "saved": saved,
            "errors": {},
            "section": "products",
        },
    )


@router.post("/products/{product_id}", dependencies=[Depends(verify_csrf)])
def update_product(
    product_id: int,
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    name: Annotated[str, Form(max_length=200)] = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
    renewal_days: Annotated[str, Form(max_length=10)] = "",
    warranty_months: Annotated[str, Form(max_length=10)] = "",
    return_days: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    product = purchases.get_product(session, product_id)
    try:
        # An empty window field means "the default from settings".
        changes = ProductUpdate(
            name=name or None,
            tags=_split_tags(tags),
            renewal_days=int(renewal_days) if renewal_days.strip().isdigit() else None,
            warranty_months=warranty_months.strip() or None,
            return_days=return_days.strip() or None,
        )
    except ValidationError as error:
        return render(
            request,
            "aftersales/products.html",
            {
                "products": purchases.list_products(session),
                "purchase_counts": {},
                "saved": 0,
                "errors": {product_id: "; ".join(field_errors(error).values())},
                "section": "products",
            },
            status_code=422,
        )
    purchases.update_product(session, product, changes)
    return RedirectResponse(f"/admin/products?saved={product_id}", status_code=303)


# --- programmes -----------------------------------------------------------------------------------


def _programmes_context(session, **extra) -> dict:
    items = programmes.list_programmes(session)
    return {
        "programmes": items,
        "stats": {p.id: programmes.programme_stats(session, p) for p in items},
        "enrolments": {p.id: programmes.enrolment_count(session, p) for p in items},
        "tags": sorted(set(session.scalars(select(ProductTag.tag)))),
        "step_kinds": list(StepKind),
        "triggers": list(ProgrammeTrigger),
        "step_rows": STEP_ROWS,
        "errors": {},
        "values": {},
        "section": "programmes",
        **extra,
    }


@router.get("/programmes")
def programmes_page(request: Request, session: DbSession, principal: PageAdmin) -> Response:
    return render(request, "aftersales/programmes.html", _programmes_context(session))


@router.post("/programmes", dependencies=[Depends(verify_csrf)])
def create_programme(
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    name: Annotated[str, Form(max_length=200)] = "",
    trigger: Annotated[str, Form(max_length=16)] = ProgrammeTrigger.PURCHASE,
    product_tag: Annotated[str, Form(max_length=64)] = "",
    step_day: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies form defaults
    step_kind: Annotated[list[str], Form()] = [],  # noqa: B006
    step_tag: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    rows = [
        (day.strip(), kind, tag.strip())
        for day, kind, tag in zip(step_day, step_kind, step_tag + [""] * len(step_day), strict=False)
        if day.strip()
    ][:STEP_ROWS]
    values = {"name": name, "trigger": trigger, "product_tag": product_tag, "steps": rows}
    try:
        data = ProgrammeCreate(
            name=name,
            trigger=trigger,
            product_tag=product_tag or None,
            steps=[StepCreate(day_offset=day, kind=kind, article_tag=tag or None) for day, kind, tag in rows],
        )
        programme = programmes.create_programme(session, data)
    except ValidationError as error:
        context = _programmes_context(session, errors=field_errors(error), values=values)
        return render(request, "aftersales/programmes.html", context, status_code=422)
    except DomainError as error:
        context = _programmes_context(session, errors={"form": error.message}, values=values)
        return render(request, "aftersales/programmes.html", context, status_code=error.status_code)
    return RedirectResponse(f"/admin/programmes/{programme.id}", status_code=303)


@router.get("/programmes/{programme_id}")
def programme_page(
    programme_id: int,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PageAdmin,
    language: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    programme = programmes.get_programme(session, programme_id)
    language = language if language in settings.languages else settings.default_language
    previews = {}
    product = None
    if programme.product_tag:
        product = session.scalar(
            select(Product)
            .join(ProductTag)
            .where(ProductTag.tag == programme.product_tag)
            .order_by(Product.id)
            .limit(1)
        )
    if product is not None:
        # A customer who has received nothing yet, in the chosen language: what step N would send.
        sample = Customer(email="preview@example.com", name="Alex", language=language)
        already: set[int] = set()
        for step in programme.steps:
            choice = select_tip_article(session, sample, product, step, already)
            if choice is not None:
                already.add(choice.article.id)
                previews[step.id] = (tip_email(sample, product, step, choice), choice.language)
    return render(
        request,
        "aftersales/programme.html",
        {
            "programme": programme,
            "stats": programmes.programme_stats(session, programme),
            "enrolments": programmes.enrolment_count(session, programme),
            "previews": previews,
            "product": product,
            "language": language,
            "languages": settings.languages,
            "section": "programmes",
        },
    )


@router.post("/programmes/{programme_id}/active", dependencies=[Depends(verify_csrf)])
def toggle_programme(
    programme_id: int,
    session: DbSession,
    principal: PageAdmin,
    active: Annotated[str, Form()] = "",
) -> Response:
    programme = programmes.get_programme(session, programme_id)
    programmes.set_programme_active(session, programme, active == "1")
    return RedirectResponse(f"/admin/programmes/{programme_id}", status_code=303)


# --- segments -------------------------------------------------------------------------------------


def _filters(
    languages: list[str],
    product_ids: list[str],
    product_tags: str,
    min_purchases: str,
    max_purchases: str,
    min_days: str,
    max_days: str,
    consent_marketing: str,
    consent_surveys: str,
) -> SegmentFilters:
    def number(text: str) -> int | None:
        return int(text) if text.strip().isdigit() else None

    def tristate(text: str) -> bool | None:
        return {"yes": True, "no": False}.get(text)

    return SegmentFilters(
        languages=[lang for lang in languages if lang],
        product_ids=[int(p) for p in product_ids if p.isdigit()],
        product_tags=_split_tags(product_tags),
        min_purchases=number(min_purchases),
        max_purchases=number(max_purchases),
        min_days_since_last_purchase=number(min_days),
        max_days_since_last_purchase=number(max_days),
        consent_marketing=tristate(consent_marketing),
        consent_surveys=tristate(consent_surveys),
    )


def _segments_context(session, settings, **extra) -> dict:
    items = segments.list_segments(session)
    return {
        "segments": items,
        "counts": {s.id: segments.count_members(session, segments.segment_filters(s)) for s in items},
        "products": purchases.list_products(session),
        "languages": settings.languages,
        "filters": SegmentFilters(),
        "name": "",
        "count": None,
        "errors": {},
        "section": "segments",
        **extra,
    }


@router.get("/segments")
def segments_page(request: Request, session: DbSession, settings: AppSettings, principal: PageAdmin) -> Response:
    return render(request, "aftersales/segments.html", _segments_context(session, settings))


@router.get("/segments/count")
def segment_count(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PageAdmin,
    languages: Annotated[list[str], Query()] = [],  # noqa: B006
    product_ids: Annotated[list[str], Query()] = [],  # noqa: B006
    product_tags: str = "",
    min_purchases: str = "",
    max_purchases: str = "",
    min_days: str = "",
    max_days: str = "",
    consent_marketing: str = "",
    consent_surveys: str = "",
) -> Response:
    """The live count while an admin edits filters (htmx swaps in the ``count`` block)."""
    try:
        filters = _filters(
            languages,
            product_ids,
            product_tags,
            min_purchases,
            max_purchases,
            min_days,
            max_days,
            consent_marketing,
            consent_surveys,
        )
        count = segments.count_members(session, filters)
    except ValidationError as error:
        return render(
            request,
            "aftersales/segments.html",
            _segments_context(session, settings, errors=field_errors(error)),
            block="count",
            status_code=422,
        )
    return render(
        request,
        "aftersales/segments.html",
        _segments_context(session, settings, filters=filters, count=count),
        block="count",
    )


@router.post("/segments", dependencies=[Depends(verify_csrf)])
def create_segment(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PageAdmin,
    name: Annotated[str, Form(max_length=200)] = "",
    languages: Annotated[list[str], Form()] = [],  # noqa: B006
    product_ids: Annotated[list[str], Form()] = [],  # noqa: B006
    product_tags: Annotated[str, Form(max_length=2000)] = "",
    min_purchases: Annotated[str, Form(max_length=10)] = "",
    max_purchases: Annotated[str, Form(max_length=10)] = "",
    min_days: Annotated[str, Form(max_length=10)] = "",
    max_days: Annotated[str, Form(max_length=10)] = "",
    consent_marketing: Annotated[str, Form(max_length=3)] = "",
    consent_surveys: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    try:
        filters = _filters(
            languages,
            product_ids,
            product_tags,
            min_purchases,
            max_purchases,
            min_days,
            max_days,
            consent_marketing,
            consent_surveys,
        )
        segment = segments.create_segment(session, SegmentCreate(name=name, filters=filters))
    except ValidationError as error:
        context = _segments_context(session, settings, errors=field_errors(error), name=name)
        return render(request, "aftersales/segments.html", context, status_code=422)
    except DomainError as error:
        context = _segments_context(session, settings, errors={"form": error.message}, name=name, filters=filters)
        return render(request, "aftersales/segments.html", context, status_code=error.status_code)
    return RedirectResponse(f"/admin/segments/{segment.id}", status_code=303)


def _segment_context(session, segment, **extra) -> dict:
    filters = segments.segment_filters(segment)
    broadcasts = segments.list_broadcasts(session, segment)
    return {
        "segment": segment,
        "filters": filters,
        "count": segments.count_members(session, filters),
        "reachable": segments.count_members(session, filters.model_copy(update={"consent_marketing": True})),
        "sample": segments.sample_members(session, filters),
        "broadcasts": broadcasts,
        "broadcast_counts": {b.id: segments.broadcast_counts(session, b) for b in broadcasts},
        "products": {p.id: p.name for p in purchases.list_products(session)},
        "errors": {},
        "values": {},
        "section": "segments",
        **extra,
    }


@router.get("/segments/{segment_id}")
def segment_page(
    segment_id: int, request: Request, session: DbSession, principal: PageAdmin, queued: int = 0
) -> Response:
    segment = segments.get_segment(session, segment_id)
    return render(request, "aftersales/segment.html", _segment_context(session, segment, queued=queued))


@router.post("/segments/{segment_id}/broadcasts", dependencies=[Depends(verify_csrf)])
def queue_broadcast(
    segment_id: int,
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    subject: Annotated[str, Form(max_length=300)] = "",
    body: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    segment = segments.get_segment(session, segment_id)
    try:
        data = BroadcastCreate(subject=subject, body=body)
    except ValidationError as error:
        context = _segment_context(
            session, segment, errors=field_errors(error), values={"subject": subject, "body": body}
        )
        return render(request, "aftersales/segment.html", context, status_code=422)
    broadcast = segments.create_broadcast(session, segment, data, author=principal.user)
    return RedirectResponse(f"/admin/segments/{segment_id}?queued={broadcast.id}", status_code=303)


# --- lapsed buyers --------------------------------------------------------------------------------


def _lapsed_context(session, reason: str, **extra) -> dict:
    chosen = LapseReason(reason) if reason in set(LapseReason) else None
    entries = lapsed.list_lapsed(session, reason=chosen)
    return {
        "entries": entries,
        "counts": lapsed.count_lapsed(session),
        # The win-back survey's answers ("why did you stop?"): each one's latest, and all by reason.
        "answers": winback.latest_answers(session, [e.row.customer_id for e in entries]),
        "answer_counts": winback.reason_counts(session),
        "reasons": list(LapseReason),
        "reason": reason,
        "programmes": [
            p for p in programmes.list_programmes(session) if p.is_active and p.trigger == ProgrammeTrigger.MANUAL
        ],
        "errors": {},
        "section": "lapsed",
        **extra,
    }


@router.get("/lapsed")
def lapsed_page(
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    reason: Annotated[str, Query(max_length=32)] = "",
    enrolled: int = -1,
    already: int = 0,
    scanned: int = -1,
) -> Response:
    return render(
        request,
        "aftersales/lapsed.html",
        _lapsed_context(session, reason, enrolled=enrolled, already=already, scanned=scanned),
    )


@router.post("/lapsed/scan", dependencies=[Depends(verify_csrf)])
def rescan(session: DbSession, principal: PageAdmin) -> Response:
    count = lapsed.scan(session)
    return RedirectResponse(f"/admin/lapsed?scanned={count}", status_code=303)


@router.post("/lapsed/enrol", dependencies=[Depends(verify_csrf)])
def enrol_lapsed(
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    programme_id: Annotated[str, Form(max_length=12)] = "",
    customer_ids: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    ids = [int(c) for c in customer_ids if c.isdigit()]
    try:
        if not programme_id.isdigit():
            raise DomainError("choose a programme to send")
        if not ids:
            raise DomainError("choose at least one customer")
        programme = programmes.get_programme(session, int(programme_id))
        if programme.trigger != ProgrammeTrigger.MANUAL:
            raise DomainError("only manual programmes can be sent to chosen customers")
        result = programmes.enrol_customers(session, programme, ids)
    except DomainError as error:
        return render(
            request,
            "aftersales/lapsed.html",
            _lapsed_context(session, "", errors={"form": error.message}),
            status_code=error.status_code,
        )
    return RedirectResponse(
        f"/admin/lapsed?enrolled={result.enrolled}&already={result.already_enrolled}", status_code=303
    )
