"""Tables of agents' notifications: one row per notification, and each agent's choices per kind."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from aftercare.db import Base, utcnow
from helpdesk.models import Ticket


class NotificationKind(StrEnum):
    # A new ticket in a language the agent follows (opt-in).
    NEW_TICKET = "new_ticket"
    ASSIGNED = "assigned"
    MENTIONED = "mentioned"
    # The requester wrote on a ticket assigned to the agent.
    CUSTOMER_REPLIED = "customer_replied"


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(String(32))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    # The note that mentioned the agent, the customer's reply: the page links to it.
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    # Who caused it (None: the customer, or the system).
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    ticket: Mapped[Ticket] = relationship()
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_user_id])


class NotificationPreference(Base):
    """An agent's choice for one kind; a kind without a row uses ``service.DEFAULTS``."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[NotificationKind] = mapped_column(String(32), primary_key=True)
    in_app: Mapped[bool]
    email: Mapped[bool]
    # New tickets only: the ticket languages followed, comma-separated; empty is every language.
    languages: Mapped[str] = mapped_column(String(200), default="", server_default="")
