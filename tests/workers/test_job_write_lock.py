"""Background jobs on the embedded SQLite file: their writes take the write lock up front, so two
of them (or a job and a web request) writing at once wait for each other instead of failing with
"database is locked"; and a lock that stays taken past the busy timeout makes a job run again
later (a Huey retry), never fail for good.

A real SQLite file (not the per-test rollback database: its units of work are savepoints on one
connection, where nothing can collide) and real threads.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from aftercare import migrate
from aftercare.db import Database, utcnow
from aftersales import tasks
from aftersales.models import LapsedBuyer, TipDelivery
from helpdesk.email.delivery import drain_outbox
from helpdesk.email.models import OutboxMessage, OutboxStatus
from tests.aftersales import factories as f
from workers import queue
from workers.queue import run_once, use_database

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    path = tmp_path / "jobs.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def file_database(sqlite_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{sqlite_path}")
    yield database
    database.dispose()


def _seed_tip_programme(database: Database):
    with database.session(write=True) as session:
        f.article(session)
        f.programme(session)
        return f.product(session).id


def _buy(database: Database, product_id: int, *, at=None) -> None:
    from aftersales.models import Product

    with database.session(write=True) as session:
        f.buy(session, f.customer(session), session.get(Product, product_id), at=at or utcnow() - timedelta(hours=1))


class BeginRecorder:
    """Which BEGIN opened the transaction each write statement ran in."""

    def __init__(self, database: Database) -> None:
        self.engine = database.engine
        self.current: dict[int, str] = {}
        self.writes: list[tuple[str, str]] = []
        event.listen(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, connection, cursor, statement, parameters, context, executemany) -> None:
        text = statement.lstrip().upper()
        key = id(connection.connection.dbapi_connection)
        if text.startswith("BEGIN"):
            self.current[key] = text
        elif text.startswith(WRITES):
            self.writes.append((self.current.get(key, "autocommit"), text.split(None, 1)[0]))

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def test_every_job_writes_inside_begin_immediate(file_database, smtp_sink):
    product_id = _seed_tip_programme(file_database)
    _buy(file_database, product_id)
    lapsing = None
    with file_database.session(write=True) as session:
        lapsing = f.product(session, renewal_days=30)
        f.buy(session, f.customer(session), lapsing, at=utcnow() - timedelta(days=90))
    recorder = BeginRecorder(file_database)
    try:
        with use_database(file_database):
            assert tasks.schedule_tip_steps().enqueued == 1
            assert tasks.scan_lapsed_buyers() == 1
            tasks.send_survey_invitations()
            tasks.send_broadcasts()
        assert drain_outbox(file_database).sent == 1
    finally:
        recorder.close()
    assert recorder.writes, "the jobs wrote nothing: the test would prove nothing"
    assert {begin for begin, _ in recorder.writes} == {"BEGIN IMMEDIATE"}


def test_jobs_and_a_writer_at_once_never_meet_a_locked_database(file_database, smtp_sink):
    """A buyer commits purchases while two tip schedulers and a drain run: the schedulers read,
    then write; with a plain BEGIN, a purchase committed in between failed them at once."""
    product_id = _seed_tip_programme(file_database)
    buyers = 40
    errors: list[BaseException] = []
    done = threading.Event()

    def guarded(body):
        def run():
            try:
                body()
            except BaseException as error:  # noqa: BLE001 - every failure is the test's finding
                errors.append(error)

        return run

    def buyer():
        try:
            for _ in range(buyers):
                _buy(file_database, product_id)
        finally:
            done.set()

    def scheduler():
        while not done.is_set():
            tasks.schedule_tip_steps()

    def sender():
        while not done.is_set():
            drain_outbox(file_database)

    with use_database(file_database):
        threads = [threading.Thread(target=guarded(body)) for body in (buyer, scheduler, scheduler, sender)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not errors, f"{len(errors)} job errors, the first: {errors[0]!r}"
        tasks.schedule_tip_steps()
    drain_outbox(file_database)
    with file_database.session() as session:
        # One welcome tip per purchase, each enqueued once and sent once.
        assert session.scalar(select(func.count()).select_from(TipDelivery)) == buyers
        sent = session.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT))
    assert sent == buyers and len(set(smtp_sink.message_ids())) == buyers


def test_a_lock_held_past_the_timeout_makes_the_job_run_again_later(sqlite_path, memory_queue, smtp_sink):
    # A short busy timeout so that the test does not wait the real one out.
    database = Database(f"sqlite:///{sqlite_path}", connect_args={"check_same_thread": False, "timeout": 0.2})
    with database.session(write=True) as session:
        lapsing = f.product(session, renewal_days=30)
        f.buy(session, f.customer(session), lapsing, at=utcnow() - timedelta(days=90))
    holder = sqlite3.connect(sqlite_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with use_database(database):
            blocked = run_once(memory_queue)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "scan_lapsed_buyers" in blocked.retrying and blocked.errors == []
    with use_database(database):
        later = run_once(memory_queue, now=utcnow() + timedelta(seconds=queue.BUSY_RETRY_DELAY_SECONDS + 5))
    assert "scan_lapsed_buyers" in later.executed and later.errors == []
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(LapsedBuyer)) == 1
    database.dispose()
