"""After-sales tables: products, purchases, programmes (tip series), segments, surveys, lapsed buyers.

Ids of rows owned by other areas (outbox messages, knowledge-base articles) are stored as plain
integers without a foreign key: those tables come from other migration branches whose order
against ours is not fixed, and a tip must outlive the deletion of the article it quoted.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Customer
from aftercare.db import Base, TimestampMixin, utcnow


class ProgrammeTrigger(StrEnum):
    # Starts for every buyer of a product carrying the programme's tag.
    PURCHASE = "purchase"
    # Started by an admin for chosen customers (win-back for lapsed buyers, for example).
    MANUAL = "manual"


class StepKind(StrEnum):
    WELCOME = "welcome"
    USAGE = "usage"
    TROUBLESHOOTING = "troubleshooting"


class EnrolmentSource(StrEnum):
    PURCHASE = "purchase"
    ADMIN = "admin"


class SurveyKind(StrEnum):
    CSAT = "csat"
    NPS = "nps"


class BroadcastStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"


class TipEventKind(StrEnum):
    OPENED = "opened"
    CLICKED = "clicked"


class LapseReason(StrEnum):
    OVERDUE = "overdue"
    SUBSCRIPTION_NOT_RENEWED = "subscription_not_renewed"


class Product(TimestampMixin, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # A subscription-type product is expected to be bought again every ``renewal_days``.
    renewal_days: Mapped[int | None]
    # Warranty and return windows; None = the defaults in settings (aftersales.claims).
    warranty_months: Mapped[int | None]
    return_days: Mapped[int | None]
    # Maintenance every this many days (filters, servicing): the service reminder comes before each
    # one; a product without it but with ``renewal_days`` gets the reminder before its renewal.
    service_interval_days: Mapped[int | None]

    tag_rows: Mapped[list[ProductTag]] = relationship(
        cascade="all, delete-orphan", order_by="ProductTag.tag", lazy="selectin"
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]


class ProductTag(Base):
    """Tags tie a product to knowledge-base articles carrying the same tags."""

    __tablename__ = "product_tags"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Purchase(Base):
    __tablename__ = "purchases"
    __table_args__ = (
        Index("ix_purchases_customer_purchased", "customer_id", "purchased_at"),
        Index("ix_purchases_product_purchased", "product_id", "purchased_at"),
        Index("ix_purchases_purchased_at", "purchased_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The shop's order (line) id: the idempotency key of imports and of the order webhook.
    external_order_id: Mapped[str] = mapped_column(String(128), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[int] = mapped_column(default=1)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    purchased_at: Mapped[datetime]
    # Free text from the shop ("web", "store", "amazon"...): reports group by it, nothing branches on it.
    channel: Mapped[str] = mapped_column(String(32), default="web")
    # Pay-later orders: payment reminders come before ``due_at`` until ``paid_at`` is set.
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    paid_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship()
    product: Mapped[Product] = relationship()


class Programme(TimestampMixin, Base):
    """A tip series: steps sent a number of days after a purchase (or after an admin enrolled someone)."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    trigger: Mapped[ProgrammeTrigger] = mapped_column(String(16), default=ProgrammeTrigger.PURCHASE)
    # For purchase-triggered programmes: buyers of a product carrying this tag are enrolled.
    product_tag: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(default=True)

    steps: Mapped[list[ProgrammeStep]] = relationship(
        back_populates="programme",
        cascade="all, delete-orphan",
        order_by="ProgrammeStep.day_offset",
        lazy="selectin",
    )


class ProgrammeStep(Base):
    __tablename__ = "programme_steps"
    __table_args__ = (UniqueConstraint("programme_id", "day_offset", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    day_offset: Mapped[int]
    kind: Mapped[StepKind] = mapped_column(String(24))
    # Extra article tags this step prefers (for example "getting-started" for a welcome step).
    article_tag: Mapped[str | None] = mapped_column(String(64))

    programme: Mapped[Programme] = relationship(back_populates="steps")


class ProgrammeEnrolment(Base):
    """One customer in one programme; the anchor is when their day 0 was."""

    __tablename__ = "programme_enrolments"
    __table_args__ = (
        UniqueConstraint("programme_id", "customer_id"),
        Index("ix_programme_enrolments_programme_anchor", "programme_id", "anchor_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    purchase_id: Mapped[int | None] = mapped_column(ForeignKey("purchases.id", ondelete="SET NULL"))
    # The product the tips are about (the purchase's, or chosen by the admin).
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    source: Mapped[EnrolmentSource] = mapped_column(String(16))
    anchor_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    programme: Mapped[Programme] = relationship()
    customer: Mapped[Customer] = relationship()
    product: Mapped[Product | None] = relationship()


class TipDelivery(Base):
    """A programme step handed to the outbox for one customer: the record of what they received."""

    __tablename__ = "tip_deliveries"
    # The same guarantee as the outbox's dedupe key, kept in our own rows: one step per customer ever.
    __table_args__ = (UniqueConstraint("customer_id", "step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("programme_steps.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("programme_enrolments.id", ondelete="CASCADE"))
    article_id: Mapped[int | None]
    language: Mapped[str] = mapped_column(String(16))
    outbox_message_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    step: Mapped[ProgrammeStep] = relationship()


class TipEvent(Base):
    """A tip opened or its link clicked (only recorded when e-mail tracking is switched on).

    Unique per (delivery, kind): reports count people who opened, not how often mail clients
    fetched the pixel.
    """

    __tablename__ = "tip_events"
    __table_args__ = (UniqueConstraint("delivery_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("tip_deliveries.id", ondelete="CASCADE"))
    kind: Mapped[TipEventKind] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Segment(TimestampMixin, Base):
    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # A SegmentFilters document (aftersales.schemas); validated on the way in and out.
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Broadcast(Base):
    """A marketing message to everyone in a segment at the time it was sent out."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[BroadcastStatus] = mapped_column(String(16), default=BroadcastStatus.QUEUED)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    segment: Mapped[Segment] = relationship()


class BroadcastDelivery(Base):
    __tablename__ = "broadcast_deliveries"
    __table_args__ = (UniqueConstraint("broadcast_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    # None when the outbox declined (suppressed, no consent, frequency cap): kept so a re-run skips them.
    outbox_message_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyInvitation(Base):
    """One survey sent to one customer; its signed link allows one (changeable) answer until it closes."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        # One CSAT per ticket and one NPS per (purchase, wave): re-runs of the pass add nothing.
        UniqueConstraint("kind", "ticket_id"),
        UniqueConstraint("kind", "purchase_id", "wave"),
        Index("ix_survey_invitations_customer_kind_created", "customer_id", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SurveyKind] = mapped_column(String(8))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    purchase_id: Mapped[int | None] = mapped_column(ForeignKey("purchases.id", ondelete="SET NULL"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"), index=True)
    # NPS: 0 for the first survey after a purchase, 1 for the one months later.
    wave: Mapped[int | None]
    language: Mapped[str] = mapped_column(String(16))
    outbox_message_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closes_at: Mapped[datetime]

    customer: Mapped[Customer] = relationship()
    product: Mapped[Product | None] = relationship()
    response: Mapped[SurveyResponse | None] = relationship(back_populates="invitation", uselist=False)


class SurveyResponse(Base):
    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("survey_invitations.id", ondelete="CASCADE"), unique=True)
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    follow_up_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    invitation: Mapped[SurveyInvitation] = relationship(back_populates="response")


class LapsedBuyer(Base):
    """The latest lapsed-buyer scan's finding for one customer (replaced by each scan)."""

    __tablename__ = "lapsed_buyers"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[LapseReason] = mapped_column(String(32))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    purchases: Mapped[int]
    last_purchase_at: Mapped[datetime]
    expected_by: Mapped[datetime]
    typical_gap_days: Mapped[float | None]
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship()
    product: Mapped[Product | None] = relationship()


__all__ = [
    "Broadcast",
    "BroadcastDelivery",
    "BroadcastStatus",
    "EnrolmentSource",
    "LapseReason",
    "LapsedBuyer",
    "Product",
    "ProductTag",
    "Programme",
    "ProgrammeEnrolment",
    "ProgrammeStep",
    "ProgrammeTrigger",
    "Purchase",
    "Segment",
    "StepKind",
    "SurveyInvitation",
    "SurveyKind",
    "SurveyResponse",
    "TipDelivery",
    "TipEvent",
    "TipEventKind",
]
