"""Tables of the help desk: tickets, messages, tags, audit events, macros."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Customer, User
from aftercare.db import Base, TimestampMixin, utcnow
from helpdesk.operations.models import Team
from helpdesk.operations.sla_state import SlaState, sla_state


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
    # Merged into another ticket / another merged into this one, and their undoing (helpdesk.merge).
    MERGE = "merge"
    # The team routing (helpdesk.operations.routing) or an agent gave it.
    TEAM = "team"


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
    # Set while this ticket is merged into that one (helpdesk.merge): replies to it land there.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    # Help-desk operations (helpdesk.operations): the team routing gave it, and its SLA clock.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    sla_policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id", ondelete="SET NULL"))
    sla_started_at: Mapped[datetime | None]
    # Business time the clock stood still (pending, solved): it pushes the resolution target back.
    sla_paused_at: Mapped[datetime | None]
    sla_paused_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    first_response_due_at: Mapped[datetime | None]
    first_responded_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    # The earliest target still running (None: none) and when it becomes at risk: the inbox's order and view.
    sla_next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    sla_at_risk_at: Mapped[datetime | None]

    requester: Mapped[Customer] = relationship()
    assignee: Mapped[User | None] = relationship()
    team: Mapped[Team | None] = relationship()
    # By time: a merge brings in messages of another ticket (ids break ties of one instant).
    messages: Mapped[list[Message]] = relationship(
        back_populates="ticket", order_by=lambda: [Message.created_at, Message.id], cascade="all, delete-orphan"
    )
    tag_rows: Mapped[list[TicketTag]] = relationship(cascade="all, delete-orphan", order_by="TicketTag.tag")
    events: Mapped[list[TicketEvent]] = relationship(order_by="TicketEvent.id", cascade="all, delete-orphan")
    # The tickets merged into this one now (helpdesk.merge).
    merged_tickets: Mapped[list[Ticket]] = relationship(
        foreign_keys=[merged_into_id], viewonly=True, order_by="Ticket.id"
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @property
    def sla(self) -> SlaState:
        return sla_state(self)


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


class TicketMerge(Base):
    """The record of one merge (helpdesk.merge): exactly what moved, so that undo moves it back."""

    __tablename__ = "ticket_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    # Ids of the messages and attachments moved from source to target.
    message_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    attachment_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # The source's status before the merge closed it; undo restores it.
    source_status: Mapped[TicketStatus] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


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
    "TicketMerge",
    "TicketPriority",
    "TicketStatus",
    "TicketTag",
]
