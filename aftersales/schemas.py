"""Request and response shapes of the after-sales API and forms (named by role)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from aftersales.models import (
    BroadcastStatus,
    EnrolmentSource,
    LapseReason,
    ProgrammeTrigger,
    StepKind,
    SurveyKind,
)
from helpdesk.models import TicketStatus
from helpdesk.schemas import LanguageTag, PersonName, StrictInput, Tag

MAX_STEPS = 20
MAX_FILTER_ITEMS = 50
_CHANNEL_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")


def _currency(value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError("must be a three-letter ISO 4217 code such as EUR or USD")
    return code


def _channel(value: str) -> str:
    channel = value.strip().lower()
    if not _CHANNEL_RE.match(channel):
        raise ValueError("must be a short word such as web, store or marketplace")
    return channel


def _stripped_not_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def as_utc(value: datetime) -> datetime:
    # A shop export without a zone is taken as UTC rather than refused: it is the common case.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Currency = Annotated[str, AfterValidator(_currency)]
Channel = Annotated[str, AfterValidator(_channel)]
OrderId = Annotated[str, StringConstraints(max_length=128), AfterValidator(_stripped_not_blank)]
Sku = Annotated[str, StringConstraints(max_length=64), AfterValidator(_stripped_not_blank)]
ProductName = Annotated[str, StringConstraints(max_length=200), AfterValidator(_stripped_not_blank)]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]


class PurchaseCreate(StrictInput):
    """One order line, as a shop's order webhook or a CSV row sends it."""

    external_order_id: OrderId
    customer_email: EmailStr
    customer_name: PersonName | None = None
    customer_language: LanguageTag = None
    sku: Sku
    product_name: ProductName | None = None
    quantity: int = Field(default=1, ge=1, le=100_000)
    amount: Money
    currency: Currency
    purchased_at: datetime
    channel: Channel | None = None
    # The checkout's "send me tips and news" box, when the shop has one: tips are marketing mail.
    marketing_consent: bool | None = None
    # Pay-later orders: payment reminders come before it (aftersales.lifecycle).
    due_at: datetime | None = None

    @field_validator("purchased_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return as_utc(value)

    @field_validator("due_at")
    @classmethod
    def _aware_due(cls, value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    name: str
    tags: list[str]
    renewal_days: int | None
    # None: the defaults (AFTERCARE_DEFAULT_WARRANTY_MONTHS, AFTERCARE_DEFAULT_RETURN_DAYS).
    warranty_months: int | None = None
    return_days: int | None = None
    service_interval_days: int | None = None


class ProductUpdate(StrictInput):
    name: ProductName | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)
    renewal_days: int | None = Field(default=None, ge=1, le=3650)
    warranty_months: int | None = Field(default=None, ge=0, le=1200)
    return_days: int | None = Field(default=None, ge=0, le=3650)
    service_interval_days: int | None = Field(default=None, ge=1, le=3650)


class ProductCreate(ProductUpdate):
    sku: Sku
    name: ProductName


class PurchaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    external_order_id: str
    customer_id: int
    customer_email: str
    sku: str
    product_name: str
    quantity: int
    amount: Decimal
    currency: str
    purchased_at: datetime
    channel: str
    created_at: datetime
    due_at: datetime | None = None
    paid_at: datetime | None = None


class StepCreate(StrictInput):
    day_offset: int = Field(ge=0, le=730)
    kind: StepKind
    article_tag: Tag | None = None


class ProgrammeCreate(StrictInput):
    name: ProductName
    trigger: ProgrammeTrigger = ProgrammeTrigger.PURCHASE
    product_tag: Tag | None = None
    is_active: bool = True
    steps: list[StepCreate] = Field(min_length=1, max_length=MAX_STEPS)


class StepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    day_offset: int
    kind: StepKind
    article_tag: str | None


class ProgrammeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    trigger: ProgrammeTrigger
    product_tag: str | None
    is_active: bool
    steps: list[StepRead]


class SegmentFilters(StrictInput):
    """Who is in a segment. Empty lists and None mean "no condition"; conditions combine with AND."""

    languages: list[Annotated[str, StringConstraints(min_length=2, max_length=16, to_lower=True)]] = Field(
        default_factory=list, max_length=MAX_FILTER_ITEMS
    )
    # Bought any of these products, or any product carrying any of these tags.
    product_ids: list[int] = Field(default_factory=list, max_length=MAX_FILTER_ITEMS)
    product_tags: list[Tag] = Field(default_factory=list, max_length=MAX_FILTER_ITEMS)
    min_purchases: int | None = Field(default=None, ge=0, le=100_000)
    max_purchases: int | None = Field(default=None, ge=0, le=100_000)
    min_days_since_last_purchase: int | None = Field(default=None, ge=0, le=36_500)
    max_days_since_last_purchase: int | None = Field(default=None, ge=0, le=36_500)
    consent_marketing: bool | None = None
    consent_surveys: bool | None = None


class SegmentCreate(StrictInput):
    name: ProductName
    filters: SegmentFilters = Field(default_factory=SegmentFilters)


class SegmentRead(BaseModel):
    id: int
    name: str
    filters: SegmentFilters
    count: int


class SegmentCount(BaseModel):
    count: int


class BroadcastCreate(StrictInput):
    subject: Annotated[str, StringConstraints(max_length=300), AfterValidator(_stripped_not_blank)]
    body: Annotated[str, StringConstraints(max_length=20_000), AfterValidator(_stripped_not_blank)]


class BroadcastRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    segment_id: int
    subject: str
    status: BroadcastStatus
    created_at: datetime
    sent_at: datetime | None


class SurveyAnswer(StrictInput):
    score: int = Field(ge=0, le=10)
    comment: Annotated[str, StringConstraints(max_length=5000)] = ""


class EnrolRequest(StrictInput):
    programme_id: int
    customer_ids: list[int] = Field(min_length=1, max_length=10_000)
    product_id: int | None = None


class EnrolResult(BaseModel):
    enrolled: int
    already_enrolled: int


class LapsedBuyerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    customer_id: int
    customer_email: str
    reason: LapseReason
    product_id: int | None
    purchases: int
    last_purchase_at: datetime
    expected_by: datetime
    typical_gap_days: float | None


class SchedulingSummary(BaseModel):
    enrolled: int
    due: int
    enqueued: int
    declined: int
    no_article: int
    # Due, but the customer had a tip less than a day ago: sent on a later pass instead.
    deferred: int = 0


class NpsRow(BaseModel):
    group: str
    responses: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None


class CsatRow(BaseModel):
    group: str
    responses: int
    satisfied: int
    average: float | None
    csat: float | None


class EmailRow(BaseModel):
    group: str
    sent: int
    opened: int
    clicked: int
    unsubscribed: int


# --- the customer's story (aftersales.customer_story) ---------------------------------------------


class StoryPurchaseRead(BaseModel):
    id: int
    product_id: int
    sku: str
    product_name: str
    quantity: int
    amount: Decimal
    currency: str
    purchased_at: datetime
    channel: str
    # The last day of the warranty (the product's warranty_months, else AFTERCARE_DEFAULT_WARRANTY_MONTHS).
    warranty_until: date
    in_warranty: bool
    # Whole months left; 0 once it has run out (or when less than a month is left).
    warranty_months_left: int


class StoryTicketRead(BaseModel):
    id: int
    subject: str
    status: TicketStatus
    created_at: datetime
    updated_at: datetime


class SurveyScoreRead(BaseModel):
    kind: SurveyKind
    score: int
    answered_at: datetime
    # CSAT is about a ticket, NPS about a purchase's product.
    ticket_id: int | None
    product_name: str | None


class StoryProgrammeRead(BaseModel):
    programme_id: int
    name: str
    product_name: str | None
    source: EnrolmentSource
    enrolled_at: datetime
    tips_sent: int


class StoryTipRead(BaseModel):
    programme_name: str
    step_kind: StepKind
    day_offset: int
    sent_at: datetime


class StoryLapseRead(BaseModel):
    reason: LapseReason
    product_name: str | None
    last_purchase_at: datetime
    expected_by: datetime
    detected_at: datetime


class CustomerStoryRead(BaseModel):
    """One customer's whole story beside their tickets. Lists hold the latest rows; counts hold all."""

    id: int
    # An erased customer (GDPR Art. 17) has no name or e-mail here: only what statistics keep.
    erased: bool
    erased_at: datetime | None
    name: str | None
    email: str | None
    language: str | None
    customer_since: datetime
    consent_marketing: bool
    consent_surveys: bool
    purchases: list[StoryPurchaseRead]
    purchase_count: int
    tickets: list[StoryTicketRead]
    ticket_count: int
    # Tickets not yet solved (new, open or pending).
    open_ticket_count: int
    last_csat: SurveyScoreRead | None
    last_nps: SurveyScoreRead | None
    surveys: list[SurveyScoreRead]
    programmes: list[StoryProgrammeRead]
    tips: list[StoryTipRead]
    tips_sent: int
    lapsed: StoryLapseRead | None
