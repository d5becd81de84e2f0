"""The help desk's events (``aftercare.events``): facts other domains react to after the commit.

``TicketCreated`` is recorded by ``helpdesk.service.create_ticket`` for every channel; the channel
and the confirmation's threading travel with it, so that a subscriber decides (the knowledge base
sends the confirmation with articles to try; ``confirm`` is False for bulk mail, which is never
answered). ``PublicReplyAdded`` is an agent's public reply from any route (page or API).
``EmailQueued`` is a row put in the outbox: after the commit a worker is nudged to send it.
``MessageAdded`` (every message) and ``TicketAssigned`` feed agents' notifications
(``helpdesk.notifications.subscribers``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from aftercare.events import Event


@dataclass(frozen=True)
class TicketCreated(Event):
    name: ClassVar[str] = "ticket_created"

    ticket_id: int
    channel: str
    # Whether the requester gets a confirmation e-mail (bulk mail does not).
    confirm: bool = True
    # Mail intake: the customer's Message-ID and References, so the confirmation threads under them.
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    # The intake's clock (mail intake passes its own; None is now).
    at: datetime | None = None


@dataclass(frozen=True)
class PublicReplyAdded(Event):
    name: ClassVar[str] = "public_reply_added"

    ticket_id: int
    message_id: int
    # The agent who wrote it (None for a reply without a user, e.g. a system message).
    author_user_id: int | None


@dataclass(frozen=True)
class EmailQueued(Event):
    """Something waits in the outbox; one per transaction, however many rows (equal events merge)."""

    name: ClassVar[str] = "email_queued"


@dataclass(frozen=True)
class MessageAdded(Event):
    """Any message on a ticket, from any route: a customer's reply, an agent's reply or note.

    Agents' notifications react to it (a mention in a note, the customer wrote on my ticket).
    """

    name: ClassVar[str] = "message_added"

    ticket_id: int
    message_id: int
    kind: str
    # The user who wrote it (an agent, or a customer with an account); None without one.
    author_user_id: int | None
    # Written by the requester (with or without an account), not by staff.
    from_customer: bool


@dataclass(frozen=True)
class TicketAssigned(Event):
    name: ClassVar[str] = "ticket_assigned"

    ticket_id: int
    assignee_id: int
    # Who assigned it (None: the system); an agent taking a ticket is told nothing.
    actor_user_id: int | None
