"""Lifecycle and review API: a purchase's due date and payment, lifecycle steps, review destinations.

``PATCH /api/v1/purchases/{id} {due_at?, paid_at?}``: the shop tells us when payment is due and
when it arrived; a ``paid_at`` stops the payment reminders. Writes need an admin token (a shop
integration's), reads an agent's.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from aftersales import lifecycle, purchases, reviews
from aftersales.lifecycle_models import LifecycleKind
from aftersales.lifecycle_schemas import (
    LifecycleStepRead,
    LifecycleStepUpdate,
    PurchaseUpdate,
    ReviewDestinationRead,
    ReviewDestinationSet,
)
from aftersales.schemas import PurchaseRead
from web.deps import AdminPrincipal, DbSession, StaffPrincipal
from web.openapi import error_responses

router = APIRouter(prefix="/api/v1", tags=["after-sales"])
NOT_FOUND = error_responses(404)


@router.patch("/purchases/{purchase_id}", response_model=PurchaseRead, responses=NOT_FOUND)
def update_purchase(
    purchase_id: int, changes: PurchaseUpdate, session: DbSession, principal: AdminPrincipal
) -> PurchaseRead:
    purchase = purchases.update_purchase(session, purchases.get_purchase(session, purchase_id), changes)
    return purchases.purchase_read(purchase)


def _step_reads(session) -> list[LifecycleStepRead]:
    counts = lifecycle.sent_counts(session)
    return [
        LifecycleStepRead(kind=s.kind, enabled=s.enabled, days_before=s.days_before, sent=counts.get(s.kind, 0))
        for s in lifecycle.step_settings(session).values()
    ]


@router.get("/lifecycle-steps", response_model=list[LifecycleStepRead])
def list_steps(session: DbSession, principal: StaffPrincipal) -> list[LifecycleStepRead]:
    return _step_reads(session)


@router.patch("/lifecycle-steps/{kind}", response_model=LifecycleStepRead)
def update_step(
    kind: LifecycleKind, changes: LifecycleStepUpdate, session: DbSession, principal: AdminPrincipal
) -> LifecycleStepRead:
    lifecycle.update_step(session, kind, changes)
    return next(step for step in _step_reads(session) if step.kind == kind)


@router.put("/products/{product_id}/review-destination", response_model=ReviewDestinationRead, responses=NOT_FOUND)
def set_review_destination(
    product_id: int, data: ReviewDestinationSet, session: DbSession, principal: AdminPrincipal
) -> ReviewDestinationRead:
    row = reviews.set_destination(session, purchases.get_product(session, product_id), data)
    return ReviewDestinationRead.model_validate(row)


@router.delete("/products/{product_id}/review-destination", status_code=204, responses=NOT_FOUND)
def remove_review_destination(product_id: int, session: DbSession, principal: AdminPrincipal) -> Response:
    reviews.remove_destination(session, purchases.get_product(session, product_id))
    return Response(status_code=204)
