"""Request and response shapes of lifecycle messages, payments, win-back answers and review invitations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from aftersales.lifecycle_models import LifecycleKind, WinbackReason
from aftersales.schemas import as_utc
from helpdesk.schemas import StrictInput


def _web_url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValueError("must be a web address starting with http:// or https://")
    return value


WebUrl = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_web_url)]


class PurchaseUpdate(StrictInput):
    """What a shop tells us after the order: when payment is due, and when it arrived."""

    due_at: datetime | None = None
    paid_at: datetime | None = None

    @field_validator("due_at", "paid_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None


class LifecycleStepUpdate(StrictInput):
    enabled: bool | None = None
    days_before: int | None = Field(default=None, ge=0, le=365)


class LifecycleStepRead(BaseModel):
    kind: LifecycleKind
    enabled: bool
    days_before: int | None
    sent: int


class WinbackAnswerCreate(StrictInput):
    reason: WinbackReason
    comment: Annotated[str, StringConstraints(max_length=5000)] = ""


class ReviewDestinationSet(StrictInput):
    url: WebUrl


class ReviewDestinationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: int
    url: str
    sent: int = 0
    clicked: int = 0
