"""Lifecycle messages and review invitations: their settings and the record of what was sent.

- ``lifecycle_steps``: one row per kind of lifecycle message an admin has changed (on or off, how
  many days before); a kind without a row runs with the defaults in ``aftersales.lifecycle``.
- ``lifecycle_messages``: each lifecycle e-mail handed to the outbox, unique by its dedupe key
  (the same key the outbox gets), so no occasion is ever mailed twice.
- ``winback_answers``: the one-question "why did you stop?" survey of a win-back message.
- ``review_destinations``: where a product's reviews are written (the shop's review page).
- ``review_invitations``: one per (customer, product), ever; ``clicked_at`` when its link was used.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Customer
from aftercare.db import Base, TimestampMixin, utcnow
from aftersales.models import Product


class LifecycleKind(StrEnum):
    WELCOME = "welcome"
    PURCHASE_CONFIRMATION = "purchase_confirmation"
    PAYMENT_REMINDER = "payment_reminder"
    SERVICE_REMINDER = "service_reminder"
    WIN_BACK = "win_back"


class WinbackReason(StrEnum):
    """The fixed answers of "why did you stop?"; the lapsed-buyer report counts them."""

    NO_LONGER_NEEDED = "no_longer_needed"
    TOO_EXPENSIVE = "too_expensive"
    FOUND_ALTERNATIVE = "found_alternative"
    QUALITY = "quality"
    SERVICE = "service"
    OTHER = "other"


class LifecycleStep(TimestampMixin, Base):
    __tablename__ = "lifecycle_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[LifecycleKind] = mapped_column(String(32), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Reminders only: how many days before the due date / service date the first reminder goes.
    days_before: Mapped[int | None]


class LifecycleMessage(Base):
    __tablename__ = "lifecycle_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[LifecycleKind] = mapped_column(String(32), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    purchase_id: Mapped[int | None] = mapped_column(ForeignKey("purchases.id", ondelete="SET NULL"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    language: Mapped[str] = mapped_column(String(16))
    outbox_message_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    customer: Mapped[Customer] = relationship()


class WinbackAnswer(Base):
    __tablename__ = "winback_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("lifecycle_messages.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    reason: Mapped[WinbackReason] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewDestination(TimestampMixin, Base):
    __tablename__ = "review_destinations"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), unique=True)
    url: Mapped[str] = mapped_column(String(2000))

    product: Mapped[Product] = relationship()


class ReviewInvitation(Base):
    __tablename__ = "review_invitations"
    # Never a second invitation for the same product, whatever the surveys and passes do.
    __table_args__ = (UniqueConstraint("customer_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    survey_response_id: Mapped[int | None] = mapped_column(ForeignKey("survey_responses.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(16))
    outbox_message_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    clicked_at: Mapped[datetime | None]

    product: Mapped[Product] = relationship()


__all__ = [
    "LifecycleKind",
    "LifecycleMessage",
    "LifecycleStep",
    "ReviewDestination",
    "ReviewInvitation",
    "WinbackAnswer",
    "WinbackReason",
]
