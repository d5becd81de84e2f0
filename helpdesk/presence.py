"""Collisions: who else has a ticket open, and replies written on a ticket that changed meanwhile.

Presence: the heartbeats behind "Agnieszka is viewing" and "... is typing a reply".

Each agent's ticket page sends a heartbeat every few seconds (``heartbeat``), saying whether the
agent is typing; the row of (ticket, agent) is upserted, so that every web process sees every
other's agents. A heartbeat older than ``PRESENCE_TTL`` means the page was closed: it is ignored
when reading and pruned on the next heartbeat of that ticket.

Stale replies: the reply form carries the newest message the agent saw (``seen_message_id``);
``check_not_stale`` refuses the reply when someone else wrote since, so that the agent reviews
the new message first (and may then send anyway, having seen it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import ForeignKey, Index, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from accounts.models import User
from aftercare.db import Base, utcnow
from aftercare.errors import Conflict
from helpdesk.models import Message

# The page beats every 4 s; several missed beats (a slow network, a busy server) are not leaving.
PRESENCE_TTL = timedelta(seconds=30)
# Typing beats come every couple of seconds while keys are pressed; a pause this long is not typing.
TYPING_TTL = timedelta(seconds=10)


class PresenceState(StrEnum):
    VIEWING = "viewing"
    TYPING = "typing"


class TicketPresence(Base):
    __tablename__ = "ticket_presence"
    __table_args__ = (Index("ix_ticket_presence_seen_at", "seen_at"),)

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    seen_at: Mapped[datetime]
    # The last keystroke in the reply box; the viewing beats in between leave it as it is.
    typing_at: Mapped[datetime | None]


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    state: PresenceState


@lru_cache(maxsize=4)
def _upsert(dialect: str, typing: bool) -> Any:
    insert = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}[dialect](TicketPresence)
    changed = {"seen_at": insert.excluded.seen_at}
    if typing:
        changed["typing_at"] = insert.excluded.typing_at
    return insert.on_conflict_do_update(index_elements=[TicketPresence.ticket_id, TicketPresence.user_id], set_=changed)


def heartbeat(
    session: Session, ticket_id: int, user_id: int, state: PresenceState, *, now: datetime | None = None
) -> None:
    """Record that ``user_id`` has the ticket open (and whether typing); prune the ticket's stale rows."""
    now = now or utcnow()
    session.execute(
        delete(TicketPresence).where(TicketPresence.ticket_id == ticket_id, TicketPresence.seen_at < now - PRESENCE_TTL)
    )
    typing = PresenceState(state) == PresenceState.TYPING
    session.execute(
        _upsert(session.get_bind().dialect.name, typing),
        [{"ticket_id": ticket_id, "user_id": user_id, "seen_at": now, "typing_at": now if typing else None}],
    )
    session.flush()


def leave(session: Session, ticket_id: int, user_id: int) -> None:
    session.execute(
        delete(TicketPresence).where(TicketPresence.ticket_id == ticket_id, TicketPresence.user_id == user_id)
    )
    session.flush()


def others_present(session: Session, ticket_id: int, user_id: int, *, now: datetime | None = None) -> list[Presence]:
    """The other agents with the ticket open now, typists first, then by name."""
    now = now or utcnow()
    rows = session.execute(
        select(TicketPresence.user_id, User.name, TicketPresence.typing_at)
        .join(User, User.id == TicketPresence.user_id)
        .where(
            TicketPresence.ticket_id == ticket_id,
            TicketPresence.user_id != user_id,
            TicketPresence.seen_at >= now - PRESENCE_TTL,
            User.is_active,
        )
    ).all()
    found = [
        Presence(
            user_id=row[0],
            name=row[1],
            state=PresenceState.TYPING if row[2] is not None and row[2] >= now - TYPING_TTL else PresenceState.VIEWING,
        )
        for row in rows
    ]
    return sorted(found, key=lambda p: (p.state != PresenceState.TYPING, p.name.casefold()))


class StaleReply(Conflict):
    code = "ticket_changed"

    def __init__(self, newer: list[Message]) -> None:
        ids = [message.id for message in newer]
        super().__init__(
            "the ticket has new messages since you loaded it; review them, then send again with "
            f"seen_message_id={ids[-1]}",
            details={"newer_message_ids": ids},
        )
        self.newer = newer


def latest_message_id(session: Session, ticket_id: int) -> int:
    """The newest message of the ticket (0 if none): what the reply form says the agent has seen."""
    return session.scalar(select(Message.id).where(Message.ticket_id == ticket_id).order_by(Message.id.desc())) or 0


def newer_messages(session: Session, ticket_id: int, seen_message_id: int, user_id: int | None) -> list[Message]:
    """Messages after ``seen_message_id`` that someone other than ``user_id`` wrote, oldest first."""
    query = select(Message).where(Message.ticket_id == ticket_id, Message.id > seen_message_id)
    if user_id is not None:
        # NULL is not "another user": a customer or the system wrote it.
        query = query.where((Message.author_user_id.is_(None)) | (Message.author_user_id != user_id))
    return list(session.scalars(query.order_by(Message.id)))


def check_not_stale(session: Session, ticket_id: int, seen_message_id: int | None, user_id: int | None) -> None:
    """Raise ``StaleReply`` (409) if others wrote after ``seen_message_id``; None skips the check."""
    if seen_message_id is None:
        return
    newer = newer_messages(session, ticket_id, seen_message_id, user_id)
    if newer:
        raise StaleReply(newer)
