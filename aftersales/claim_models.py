"""Warranty, repair and return claims: one claim per request, tied to a purchase and a ticket.

A claim *is* a ticket (the conversation, assignment and SLA live there) plus this row, which holds
what only a claim has: the RMA number, the kind, the eligibility worked out when it was opened, and
its own states with their history. The customer's description is the ticket's first message, so
erasing a customer (``privacy.erasure``) removes it with their other words; the claim row keeps
only codes and dates.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Customer
from aftercare.db import Base, TimestampMixin, utcnow
from aftersales.models import Product, Purchase


class ClaimKind(StrEnum):
    WARRANTY = "warranty"
    RETURN = "return"
    REPAIR = "repair"


class ClaimReason(StrEnum):
    """The short list the claim form offers; reports group by it."""

    DEFECTIVE = "defective"
    DAMAGED_ON_ARRIVAL = "damaged_on_arrival"
    NOT_AS_DESCRIBED = "not_as_described"
    NO_LONGER_NEEDED = "no_longer_needed"
    OTHER = "other"


class ClaimStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    ITEM_RECEIVED = "item_received"
    REPAIRED = "repaired"
    REPLACED = "replaced"
    REFUNDED = "refunded"
    CLOSED = "closed"


class Claim(TimestampMixin, Base):
    __tablename__ = "claims"
    __table_args__ = (Index("ix_claims_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # RMA-<year>-<id, six digits>: set right after the insert, from the id, so never taken twice.
    rma_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), unique=True)
    kind: Mapped[ClaimKind] = mapped_column(String(16))
    reason: Mapped[ClaimReason] = mapped_column(String(32))
    status: Mapped[ClaimStatus] = mapped_column(String(16), default=ClaimStatus.REQUESTED)
    # Worked out once, when the claim was opened: the window as it stood then is what was promised.
    eligible: Mapped[bool]
    window_ends_on: Mapped[date]
    # When it reached an outcome (rejected, repaired, replaced, refunded): "time to resolve".
    resolved_at: Mapped[datetime | None]

    purchase: Mapped[Purchase] = relationship()
    customer: Mapped[Customer] = relationship()
    product: Mapped[Product] = relationship()
    events: Mapped[list[ClaimEvent]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="ClaimEvent.id", lazy="selectin"
    )


class ClaimEvent(Base):
    """One state of a claim: who set it and when (the first row is the opening, ``old_status`` None)."""

    __tablename__ = "claim_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    old_status: Mapped[ClaimStatus | None] = mapped_column(String(16))
    new_status: Mapped[ClaimStatus] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    claim: Mapped[Claim] = relationship(back_populates="events")


__all__ = ["Claim", "ClaimEvent", "ClaimKind", "ClaimReason", "ClaimStatus"]
