"""Tables of the help desk: tickets, messages, tags, audit events, macros."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Customer, User
from aftercare.db import Base, TimestampMixin, utcnow


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    SOLVED = "solved"
    CLOSED = "closed"


class TicketPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketChannel(StrEnum):
    WEB = "web"
    API = "api"
    EMAIL = "email"
    FORUM = "forum"


class MessageKind(StrEnum):
    PUBLIC_REPLY = "public_reply"
    INTERNAL_NOTE = "internal_note"


class AuditField(StrEnum):
    STATUS = "status"
    ASSIGNEE = "assignee"
    PRIORITY = "priority"
    TAGS = "tags"


class Ticket(TimestampMixin, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_updated", "status", "updated_at"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        Index("ix_tickets_language_status", "language", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[TicketStatus] = mapped_column(String(16), default=TicketStatus.NEW)
    priority: Mapped[TicketPriority] = mapped_column(String(16), default=TicketPriority.NORMAL)
    channel: Mapped[TicketChannel] = mapped_column(String(16), default=TicketChannel.WEB)
    language: Mapped[str] = mapped_column(String(16))
    language_confidence: Mapped[float]
    language_source: Mapped[str] = mapped_column(String(16))
    requester_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    solved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Signed ticket links carry this number; revoking them all bumps it (helpdesk.ticket_links).
    link_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # Links from before links expired carry no time: they count as issued at the upgrade (this).
    untimed_links_issued_at: Mapped[datetime | None]
    # The ticket this one may belong to, for an agent to merge: mail that named that ticket in its
    # subject but could not be trusted to come from its requester (helpdesk.email.mail_in.threading).
    related_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)

    requester: Mapped[Customer] = relationship()
    assignee: Mapped[User | None] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="ticket", order_by="Message.id", cascade="all, delete-orphan"
    )
    tag_rows: Mapped[list[TicketTag]] = relationship(cascade="all, delete-orphan", order_by="TicketTag.tag")
    events: Mapped[list[TicketEvent]] = relationship(order_by="TicketEvent.id", cascade="all, delete-orphan")

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]


class TicketTag(Base):
    __tablename__ = "ticket_tags"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[MessageKind] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    channel: Mapped[TicketChannel] = mapped_column(String(16), default=TicketChannel.WEB)
    # Exactly one author: a staff/customer user account, or a customer writing without one.
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    author_user: Mapped[User | None] = relationship()
    author_customer: Mapped[Customer | None] = relationship()

    @property
    def is_public(self) -> bool:
        return self.kind == MessageKind.PUBLIC_REPLY

    @property
    def author_name(self) -> str:
        if self.author_user is not None:
            return self.author_user.name
        if self.author_customer is not None:
            return self.author_customer.name or self.author_customer.email
        return "unknown"


class TicketEvent(Base):
    """The audit trail: every change of status, assignee, priority or tags, by whom and when."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    field: Mapped[AuditField] = mapped_column(String(16))
    old_value: Mapped[str | None] = mapped_column(String(500))
    new_value: Mapped[str | None] = mapped_column(String(500))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor_user: Mapped[User | None] = relationship()


# --- Agent workspace: canned replies, and the index behind the inbox's keyset pagination.


class Macro(TimestampMixin, Base):
    """A canned reply; its body may hold placeholders such as {{customer.name}} (see helpdesk.macros)."""

    __tablename__ = "macros"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120), unique=True)
    body: Mapped[str] = mapped_column(Text)
    # The language the reply is written in; None when it suits any ticket.
    language: Mapped[str | None] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


# The inbox pages through tickets newest first by (updated_at, id), whatever the filters.
Index("ix_tickets_updated_id", Ticket.updated_at, Ticket.id)


__all__ = [
    "AuditField",
    "Macro",
    "Message",
    "MessageKind",
    "Ticket",
    "TicketChannel",
    "TicketEvent",
    "TicketPriority",
    "TicketStatus",
    "TicketTag",
]
