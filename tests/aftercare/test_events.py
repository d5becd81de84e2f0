"""The after-commit event seam (aftercare.events): delivered after the commit, never after a
rollback, savepoint by savepoint, in order, each subscriber isolated, equal events once.

The events here are the test's own (the seam knows no domain), recorded on the real test database;
the rolled-back test transaction's ``database.session()`` commits a savepoint, which delivers as a
real commit does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import pytest
from sqlalchemy import text

from aftercare.db import Database
from aftercare.events import Event, pending, record, subscribe, subscribers, unsubscribe


@dataclass(frozen=True)
class ThingHappened(Event):
    name: ClassVar[str] = "thing_happened"

    thing_id: int


@dataclass(frozen=True)
class OtherThing(Event):
    name: ClassVar[str] = "other_thing"


@pytest.fixture
def heard() -> Iterator[list[str]]:
    """What the subscribers below heard, in order: "first:<id>", "second:<id>", "other"."""
    calls: list[str] = []

    def first(event: ThingHappened, _database: Database) -> None:
        calls.append(f"first:{event.thing_id}")

    def second(event: ThingHappened, _database: Database) -> None:
        calls.append(f"second:{event.thing_id}")

    def other(_event: OtherThing, _database: Database) -> None:
        calls.append("other")

    subscribe(ThingHappened, first)
    subscribe(ThingHappened, second)
    subscribe(OtherThing, other)
    yield calls
    unsubscribe(ThingHappened, first)
    unsubscribe(ThingHappened, second)
    unsubscribe(OtherThing, other)


def test_nothing_is_delivered_before_the_commit(database, heard):
    with database.session() as session:
        record(session, ThingHappened(1))
        assert heard == []
    assert heard == ["first:1", "second:1"]


def test_a_rolled_back_transaction_delivers_nothing(database, heard):
    with pytest.raises(RuntimeError), database.session() as session:
        record(session, ThingHappened(1))
        raise RuntimeError("the request failed")
    assert heard == []


def test_events_arrive_in_the_order_they_were_recorded(database, heard):
    with database.session() as session:
        record(session, ThingHappened(2))
        record(session, OtherThing())
        record(session, ThingHappened(1))
    assert heard == ["first:2", "second:2", "other", "first:1", "second:1"]


def test_an_equal_event_recorded_twice_is_delivered_once(database, heard):
    with database.session() as session:
        record(session, OtherThing())
        record(session, ThingHappened(1))
        record(session, OtherThing())
        record(session, ThingHappened(1))
    assert heard == ["other", "first:1", "second:1"]


def test_a_released_savepoint_delivers_with_the_outer_commit(database, heard):
    with database.session() as session:
        with session.begin_nested():
            record(session, ThingHappened(1))
        assert heard == []
    assert heard == ["first:1", "second:1"]


def test_a_rolled_back_savepoint_drops_only_its_own_events(database, heard):
    with database.session() as session:
        record(session, ThingHappened(1))
        with pytest.raises(RuntimeError), session.begin_nested():
            record(session, ThingHappened(2))
            raise RuntimeError("this part failed")
        record(session, ThingHappened(3))
    assert heard == ["first:1", "second:1", "first:3", "second:3"]


def test_an_event_recorded_again_after_its_savepoint_rolled_back_is_delivered(database, heard):
    with database.session() as session:
        with pytest.raises(RuntimeError), session.begin_nested():
            record(session, ThingHappened(1))
            raise RuntimeError("this part failed")
        record(session, ThingHappened(1))
    assert heard == ["first:1", "second:1"]


def test_a_released_savepoint_inside_a_rolled_back_transaction_delivers_nothing(database, heard):
    with pytest.raises(RuntimeError), database.session() as session:
        with session.begin_nested():
            record(session, ThingHappened(1))
        raise RuntimeError("the request failed after the savepoint")
    assert heard == []


def test_the_next_transaction_of_the_same_session_delivers_its_own(database, heard):
    with database.session() as session:
        record(session, ThingHappened(1))
        session.commit()
        assert heard == ["first:1", "second:1"]
        record(session, ThingHappened(1))
    assert heard == ["first:1", "second:1", "first:1", "second:1"]


@pytest.fixture
def broken_subscriber() -> Iterator[None]:
    """A ThingHappened subscriber that always fails; asked for before ``heard``, it runs first."""

    def broken(_event: ThingHappened, _database: Database) -> None:
        raise RuntimeError("the index is unreachable")

    subscribe(ThingHappened, broken)
    yield
    unsubscribe(ThingHappened, broken)


def test_a_failing_subscriber_does_not_stop_the_others_or_undo_the_commit(database, broken_subscriber, heard):
    assert [handler.__name__ for handler in subscribers(ThingHappened)] == ["broken", "first", "second"]
    with database.session() as session:
        session.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS event_probe (id INTEGER)"))
        session.execute(text("INSERT INTO event_probe (id) VALUES (7)"))
        record(session, ThingHappened(1))
    assert heard == ["first:1", "second:1"]
    with database.session() as session:
        assert session.scalar(text("SELECT id FROM event_probe")) == 7


def test_a_subscriber_reads_what_the_transaction_committed(database):
    seen: list[int | None] = []

    def read_back(event: ThingHappened, database: Database) -> None:
        with database.session() as session:
            seen.append(session.scalar(text("SELECT id FROM event_probe WHERE id = :id"), {"id": event.thing_id}))

    subscribe(ThingHappened, read_back)
    try:
        with database.session() as session:
            session.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS event_probe (id INTEGER)"))
            session.execute(text("INSERT INTO event_probe (id) VALUES (42)"))
            record(session, ThingHappened(42))
    finally:
        unsubscribe(ThingHappened, read_back)
    assert seen == [42]


def test_pending_lists_what_a_commit_would_deliver(database, heard):
    with database.session() as session:
        record(session, ThingHappened(1))
        record(session, OtherThing())
        record(session, ThingHappened(2))
        assert pending(session, ThingHappened) == [ThingHappened(1), ThingHappened(2)]
    with database.session() as session:
        assert pending(session, ThingHappened) == []
