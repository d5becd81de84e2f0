"""The after-commit event seam: domains record what happened, subscribers react once it is committed.

Recording. A domain service that did something others may react to records a typed event in the
caller's transaction: ``record(session, TicketCreated(ticket_id=..., channel=...))``. Events are
small frozen dataclasses deriving from ``Event`` with a ``name`` (``"ticket_created"``), defined by
the domain that owns the fact (``helpdesk.events``, ``kb.events``, ``aftersales.events``), never
here: this layer knows no domain. Carry ids and plain values, not ORM objects: subscribers run
after the session that made them has committed.

Subscribing. ``subscribe(TicketCreated, handler)`` at import of the subscribing module (a domain
above the one that owns the event, or the owner itself); ``handler(event, database)`` runs after
the commit. Each domain with subscribers gathers them in
one module whose import subscribes them all (``kb.subscribers``; the outbox's own nudge subscribes
at import of ``helpdesk.email.outbox``, which is loaded wherever e-mail can be queued). Every
process imports those modules at start: the web app (``web.app.create_app``), the CLI and the
worker (``entry.cli``), the tests (``tests/conftest.py``). A process that did not import a
subscriber does not run it: that is the one thing to remember when adding one.

To add an event: a frozen dataclass in the owning domain's ``events.py``, a ``record`` call where
the fact happens (after the flush that gives the ids). To add a subscriber: a function taking
``(event, database)`` and one ``subscribe`` line at the bottom of its module, which the
domain's subscribers module imports.

After commit, in order, isolated. Nothing runs inside the transaction, so nothing runs for work
that rolled back. Events are delivered in the order they were recorded; for each, subscribers
run in the order they subscribed (import order: a lower layer's before a higher one's). A
subscriber that raises is logged and skipped; the others still run and the commit stands (the
data is committed; whoever owns the side effect reconciles: the index's version check, the
outbox's drain). A subscriber that needs the database opens its own unit of work with
``database.session()`` (``database`` is the one whose session committed, so a test's rolled-back
transaction is seen too); events it records run after *its* commit.

Savepoints (``aftercare.db.on_commit``, the primitive under this seam). An event recorded inside
``session.begin_nested()`` belongs to that SAVEPOINT: released, it joins the enclosing transaction;
rolled back, it is dropped. A rolled-back or abandoned outer transaction drops everything. A test
session joined to an outer connection (``join_transaction_mode="create_savepoint"``) delivers on
its own commit, as a real one would. An event equal to one already waiting in the same session
is recorded once (``EmailQueued()`` twice in a transaction is one nudge).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from sqlalchemy.orm import Session

from aftercare.db import Database, database_of, on_commit, pending_callbacks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """A fact a domain recorded in a transaction; subclasses are frozen dataclasses with a ``name``."""

    name: ClassVar[str] = "event"


E = TypeVar("E", bound=Event)
Handler = Callable[[Any, Database], None]

_subscribers: dict[type[Event], list[Handler]] = {}
_lock = threading.Lock()


def subscribe(event_type: type[E], handler: Callable[[E, Database], None]) -> None:
    """Run ``handler(event, database)`` after each commit that recorded an ``event_type`` (idempotent)."""
    with _lock:
        handlers = _subscribers.setdefault(event_type, [])
        if handler not in handlers:
            handlers.append(handler)


def unsubscribe(event_type: type[E], handler: Callable[[E, Database], None]) -> None:
    with _lock:
        handlers = _subscribers.get(event_type, [])
        if handler in handlers:
            handlers.remove(handler)


def subscribers(event_type: type[Event]) -> list[Handler]:
    with _lock:
        return list(_subscribers.get(event_type, []))


@dataclass(frozen=True)
class _Delivery:
    """The after-commit callback of one recorded event (equal for equal events: recorded once)."""

    event: Event
    database: Database

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Delivery) and type(other.event) is type(self.event) and other.event == self.event

    def __hash__(self) -> int:
        return hash((type(self.event), self.event))

    def __call__(self) -> None:
        deliver(self.event, self.database)


def record(session: Session, event: Event) -> None:
    """Record ``event`` in the session's current transaction; subscribers run after it commits."""
    on_commit(session, _Delivery(event, database_of(session)))


def deliver(event: Event, database: Database) -> None:
    """Run ``event``'s subscribers now, each isolated (``record`` calls this after the commit)."""
    for handler in subscribers(type(event)):
        try:
            handler(event, database)
        except Exception:
            logger.exception("subscriber %r failed on %s; the others still run", handler, event.name)


def pending(session: Session, event_type: type[E]) -> list[E]:
    """The ``event_type`` events this session's transaction will deliver if it commits now."""
    return [
        callback.event
        for callback in pending_callbacks(session)
        if isinstance(callback, _Delivery) and isinstance(callback.event, event_type)
    ]
