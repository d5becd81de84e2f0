"""Response and request shapes of the mail admin API (``web/api/mail.py``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr

from helpdesk.email.models import (
    EmailKind,
    InboundDisposition,
    OutboxStatus,
    RejectReason,
    SuppressionScope,
    SuppressionSource,
    SuppressReason,
)


class RejectedMailRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reason: RejectReason
    detail: str
    envelope_from: str
    envelope_to: str
    from_header: str
    subject: str
    size_bytes: int
    raw_truncated: bool
    received_at: datetime


class RejectedMailPage(BaseModel):
    items: list[RejectedMailRead]
    total: int


class InboundMessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    message_id: str | None
    from_address: str
    subject: str
    disposition: InboundDisposition
    auto_reason: str | None
    ticket_id: int | None
    size_bytes: int
    received_at: datetime


class InboundMessagePage(BaseModel):
    items: list[InboundMessageRead]
    total: int


class OutboxMessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: EmailKind
    status: OutboxStatus
    to_address: str
    subject: str
    language: str | None
    dedupe_key: str | None
    message_id: str
    customer_id: int | None
    ticket_id: int | None
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None
    suppressed_reason: SuppressReason | None
    created_at: datetime


class OutboxPage(BaseModel):
    items: list[OutboxMessageRead]
    total: int


class SuppressionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    scope: SuppressionScope
    source: SuppressionSource
    outbox_message_id: int | None
    note: str
    created_at: datetime


class SuppressionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    scope: SuppressionScope = SuppressionScope.ALL
    note: str = ""


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int | None
    # The message it belongs to (its visibility is the attachment's).
    ticket_message_id: int | None = None
    filename: str
    # As sniffed from the bytes when it was stored, not as the sender declared it.
    content_type: str
    size_bytes: int
    refused_reason: str | None
    created_at: datetime
