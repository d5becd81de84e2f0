"""Worker-side tables: the e-mail outbox, the suppression list, inbound mail, rejected mail, attachments.

The outbox is the only way e-mail leaves Aftercare: a row is written in the same transaction
as the event that caused it, and a worker sends it after the commit (``helpdesk.email.delivery``).
Inbound mail leaves a row per message received (``InboundMessage``), whatever became of it,
or a ``RejectedMail`` row with the raw bytes when it could not be accepted.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftercare.db import Base, TimestampMixin, utcnow


class EmailKind(StrEnum):
    # Replies to tickets and confirmations: the customer asked for them.
    TRANSACTIONAL = "transactional"
    # CSAT and NPS invitations: need ``consent_surveys``.
    SURVEY = "survey"
    # Tips and broadcasts: need ``consent_marketing``; frequency-capped.
    MARKETING = "marketing"


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


class SuppressReason(StrEnum):
    """Why an outbox row was never sent (kept on the row for reports)."""

    SUPPRESSED_ADDRESS = "suppressed_address"
    NO_CONSENT = "no_consent"
    FREQUENCY_CAP = "frequency_cap"
    UNDELIVERABLE_ADDRESS = "undeliverable_address"


class SuppressionScope(StrEnum):
    """Which mail an address no longer gets. ``all`` still lets replies to its own tickets through."""

    MARKETING = "marketing"
    SURVEY = "survey"
    ALL = "all"


class SuppressionSource(StrEnum):
    UNSUBSCRIBE_LINK = "unsubscribe_link"
    ONE_CLICK = "one_click"
    UNSUBSCRIBE_MAIL = "unsubscribe_mail"
    HARD_BOUNCE = "hard_bounce"
    ADMIN = "admin"
    # The customer's own choice on their account page.
    PREFERENCES = "preferences"


class InboundDisposition(StrEnum):
    NEW_TICKET = "new_ticket"
    THREADED = "threaded"
    # Auto-Submitted, bulk, list or autoresponder mail: recorded, never answered.
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    UNSUBSCRIBE = "unsubscribe"


class RejectReason(StrEnum):
    TOO_LARGE = "too_large"
    MALFORMED = "malformed"
    EMPTY = "empty"


class OutboxMessage(TimestampMixin, Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        # The sender's query: due rows in order.
        Index("ix_outbox_messages_status_next_attempt", "status", "next_attempt_at"),
        # The frequency cap counts a customer's recent marketing rows.
        Index("ix_outbox_messages_customer_kind_created", "customer_id", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EmailKind] = mapped_column(String(16))
    status: Mapped[OutboxStatus] = mapped_column(String(16), default=OutboxStatus.QUEUED)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    # Extra headers (In-Reply-To, References, Reply-To, List-Unsubscribe...), name -> value.
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    language: Mapped[str | None] = mapped_column(String(16))
    # A second enqueue with the same key returns this row: no step is ever sent twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Fixed at enqueue so that retries (and the rare duplicate after a crash) carry the same id,
    # and so that replies can be threaded before the message has even left.
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the current effort to deliver began: the first time the row was due, or an admin's
    # "send again". Temporary failures are retried until ``mail_retry_horizon_hours`` after it,
    # however many attempts that takes. (None on rows from before it existed: created_at counts.)
    delivering_since: Mapped[datetime | None]
    # When a worker took the row; a row left in "sending" past its lease is taken back.
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(1000))
    suppressed_reason: Mapped[SuppressReason | None] = mapped_column(String(32))
    # Files sent with the message (``attachments`` ids, in order), read from storage when it is
    # composed; None or empty for mail without attachments.
    attachment_ids: Mapped[list[int] | None] = mapped_column(JSON)


class Suppression(Base):
    """Addresses that must not get some kind of mail, whatever the customer record says."""

    __tablename__ = "email_suppressions"
    __table_args__ = (UniqueConstraint("email", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Lower-cased, like customers.email.
    email: Mapped[str] = mapped_column(String(320), index=True)
    scope: Mapped[SuppressionScope] = mapped_column(String(16))
    source: Mapped[SuppressionSource] = mapped_column(String(32))
    # The message whose link or bounce caused it (unsubscribes per programme in reports).
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ErasedAddress(Base):
    """The SHA-256 of an erased customer's address: the address itself is gone with them.

    An order import or a new ticket from the same address is then known to be someone who asked to
    be forgotten, so marketing mail (tips, surveys, broadcasts) is not silently started again.
    """

    __tablename__ = "erased_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboundMessage(Base):
    """One message that arrived by e-mail and what became of it."""

    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_messages_from_received", "from_address", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The sender's Message-ID: threading, and recognising a re-delivery of the same message.
    message_id: Mapped[str | None] = mapped_column(String(250), index=True)
    from_address: Mapped[str] = mapped_column(String(320))
    from_name: Mapped[str] = mapped_column(String(200), default="")
    envelope_from: Mapped[str] = mapped_column(String(320), default="")
    envelope_to: Mapped[str] = mapped_column(String(1000), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    in_reply_to: Mapped[str | None] = mapped_column(String(250))
    references: Mapped[str] = mapped_column(Text, default="")
    disposition: Mapped[InboundDisposition] = mapped_column(String(16))
    # Why it was treated as automatic mail (the header that said so), when it was.
    auto_reason: Mapped[str | None] = mapped_column(String(100))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    ticket_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    # The receiving MTA's verdict (the topmost Authentication-Results), as read by
    # helpdesk.email.mail_in.authentication: "pass", "fail" or "none", and the header itself.
    auth_verdict: Mapped[str | None] = mapped_column(String(16))
    auth_results: Mapped[str | None] = mapped_column(String(1000))
    # Everything the sender wrote, before quoted replies were trimmed: nothing is lost to a bad trim.
    full_text: Mapped[str] = mapped_column(Text, default="")
    size_bytes: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    attachments: Mapped[list[Attachment]] = relationship(back_populates="inbound_message", order_by="Attachment.id")


class RejectedMail(Base):
    """Mail that could not be accepted, kept with its raw bytes for an admin to see."""

    __tablename__ = "rejected_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[RejectReason] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(1000), default="")
    envelope_from: Mapped[str] = mapped_column(String(320), default="")
    envelope_to: Mapped[str] = mapped_column(String(1000), default="")
    from_header: Mapped[str] = mapped_column(String(500), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    size_bytes: Mapped[int] = mapped_column(Integer)
    # Oversized mail keeps only its beginning (headers and the start of the body).
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    raw_truncated: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Attachment(Base):
    """A file on a ticket: one that came with an inbound message, or one uploaded with a message
    on the portal, the agent's page or the API; stored through ``helpdesk.attachments.storage``
    (under data_dir/attachments by default), or refused (mail only: an upload is refused outright)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Set for files that came by e-mail; None for uploads.
    inbound_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    # The message it belongs to: its visibility (public or internal note) is the attachment's.
    ticket_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), index=True)
    # Who uploaded it (one of them; neither for mail, whose sender is the inbound message's).
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_by_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    # The sender's name for it, cleaned for display; never used as a path.
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    # Path relative to data_dir/attachments, generated by us; None when the file was refused.
    stored_name: Mapped[str | None] = mapped_column(String(100))
    sha256: Mapped[str | None] = mapped_column(String(64))
    refused_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    inbound_message: Mapped[InboundMessage | None] = relationship(back_populates="attachments")


__all__ = [
    "Attachment",
    "EmailKind",
    "ErasedAddress",
    "InboundDisposition",
    "InboundMessage",
    "OutboxMessage",
    "OutboxStatus",
    "RejectReason",
    "RejectedMail",
    "SuppressReason",
    "Suppression",
    "SuppressionScope",
    "SuppressionSource",
]
