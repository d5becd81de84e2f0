"""Request and response shapes of warranty, repair and return claims (API and forms)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from aftersales.claim_models import ClaimKind, ClaimReason, ClaimStatus
from aftersales.schemas import OrderId
from helpdesk.schemas import Body, StrictInput


class ClaimCreate(StrictInput):
    """A claim on one purchase, named by its id or by the shop's order id (exactly one of them)."""

    purchase_id: int | None = Field(default=None, ge=1)
    external_order_id: OrderId | None = None
    kind: ClaimKind
    reason: ClaimReason
    description: Body

    @model_validator(mode="after")
    def _one_purchase(self) -> ClaimCreate:
        if (self.purchase_id is None) == (self.external_order_id is None):
            raise ValueError("give exactly one of purchase_id and external_order_id")
        return self


class ClaimStatusUpdate(StrictInput):
    status: ClaimStatus


class ClaimEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    old_status: ClaimStatus | None
    new_status: ClaimStatus
    actor_user_id: int | None
    actor_customer_id: int | None
    created_at: datetime


class ClaimRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int | None
    rma_number: str
    kind: ClaimKind
    status: ClaimStatus
    # Whether the purchase was inside its window (warranty for warranty/repair, returns for a
    # return) on the day the claim was opened; out-of-window claims are still taken.
    eligible: bool
    window_ends_on: date
    reason: ClaimReason
    purchase_id: int
    product_id: int
    customer_id: int
    created_at: datetime
    resolved_at: datetime | None
    # The states an agent may move it to next.
    next_statuses: list[ClaimStatus] = []
    history: list[ClaimEventRead] = Field(default=[], validation_alias="events")


class ClaimCountRow(BaseModel):
    """One group of the claims reports (a product or a reason)."""

    group: str
    claims: int
    out_of_window: int


class ClaimSummary(BaseModel):
    claims: int
    resolved: int
    # Median hours from opening to an outcome (rejected, repaired, replaced, refunded); None with none.
    median_hours_to_resolve: float | None
    # Percent of claims opened outside their window; None with no claims.
    out_of_window_share: float | None
