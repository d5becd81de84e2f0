"""Units of work on SQLite under concurrent writers, and what stays the same on PostgreSQL.

Each test opens two ``Database`` objects on one real file (or the real PostgreSQL test database),
as two processes would, and drives them from two threads.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from aftercare.db import Database, is_database_busy
from tests.conftest import POSTGRES_URL

# Long enough that a test waiting on a lock is never flaky on a busy machine, short enough that
# a test expecting a time-out is quick.
SHORT_BUSY_TIMEOUT = 0.3
LONG_BUSY_TIMEOUT = 10.0
# How long the other writer keeps the lock: well under LONG_BUSY_TIMEOUT.
HOLD_SECONDS = 0.3


def _database(path: Path, busy_timeout: float) -> Database:
    return Database(f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": busy_timeout})


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "units.db"
    setup = _database(path, LONG_BUSY_TIMEOUT)
    with setup.session(write=True) as session:
        session.execute(text("CREATE TABLE items (id INTEGER PRIMARY KEY, note TEXT)"))
    setup.dispose()
    return path


def _hold_write_lock(database: Database, holding: threading.Event, release: threading.Event, note: str) -> None:
    with database.session(write=True) as session:
        session.execute(text("INSERT INTO items (note) VALUES (:note)"), {"note": note})
        holding.set()
        release.wait(LONG_BUSY_TIMEOUT)


def test_write_session_takes_the_lock_before_it_writes(db_file):
    first, second = _database(db_file, LONG_BUSY_TIMEOUT), _database(db_file, SHORT_BUSY_TIMEOUT)
    with first.session(write=True) as session:
        session.execute(text("SELECT count(*) FROM items"))  # has only read so far
        with pytest.raises(OperationalError) as refused, second.session(write=True) as other:
            other.execute(text("SELECT count(*) FROM items"))
    assert is_database_busy(refused.value)


def test_read_session_reads_while_a_writer_holds_the_lock(db_file):
    writer, reader = _database(db_file, LONG_BUSY_TIMEOUT), _database(db_file, SHORT_BUSY_TIMEOUT)
    with writer.session(write=True) as session:
        session.execute(text("INSERT INTO items (note) VALUES ('uncommitted')"))
        with reader.session() as other:
            assert other.scalar(text("SELECT count(*) FROM items")) == 0


def test_write_session_that_reads_first_waits_for_the_writer_ahead(db_file):
    # The failure this guards against: read, then write, while another connection commits in
    # between; a deferred transaction fails at once with "database is locked".
    ahead, behind = _database(db_file, LONG_BUSY_TIMEOUT), _database(db_file, LONG_BUSY_TIMEOUT)
    holding, release = threading.Event(), threading.Event()
    other = threading.Thread(target=_hold_write_lock, args=(ahead, holding, release, "ahead"))
    other.start()
    holding.wait(LONG_BUSY_TIMEOUT)
    threading.Timer(HOLD_SECONDS, release.set).start()
    with behind.session(write=True) as session:
        seen = session.scalar(text("SELECT count(*) FROM items"))
        session.execute(text("INSERT INTO items (note) VALUES ('behind')"))
    other.join()
    assert seen == 1  # it read after the writer ahead had committed


def test_write_session_gives_up_after_the_busy_timeout(db_file):
    ahead, behind = _database(db_file, LONG_BUSY_TIMEOUT), _database(db_file, SHORT_BUSY_TIMEOUT)
    holding, release = threading.Event(), threading.Event()
    other = threading.Thread(target=_hold_write_lock, args=(ahead, holding, release, "ahead"))
    other.start()
    holding.wait(LONG_BUSY_TIMEOUT)
    started = time.monotonic()
    try:
        with pytest.raises(OperationalError), behind.session(write=True) as session:
            session.execute(text("SELECT 1"))
        waited = time.monotonic() - started
    finally:
        release.set()
        other.join()
    assert waited >= SHORT_BUSY_TIMEOUT * 0.9


def test_default_busy_timeout_outlasts_a_queue_of_short_writers(tmp_path):
    # Write transactions take milliseconds; several seconds of patience clears any realistic queue.
    database = Database(f"sqlite:///{tmp_path / 'default.db'}")
    with database.session() as session:
        assert session.scalar(text("PRAGMA busy_timeout")) >= 5000


def test_sqlite_file_is_in_wal_mode(tmp_path):
    # WAL is what lets readers read while one writer writes.
    database = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    with database.session() as session:
        assert session.scalar(text("PRAGMA journal_mode")) == "wal"


def test_a_missing_table_is_not_a_busy_database(db_file):
    database = _database(db_file, SHORT_BUSY_TIMEOUT)
    with pytest.raises(OperationalError) as failed, database.session() as session:
        session.execute(text("SELECT * FROM no_such_table"))
    assert not is_database_busy(failed.value)


def test_rolled_back_write_session_leaves_nothing(db_file):
    database = _database(db_file, SHORT_BUSY_TIMEOUT)
    with pytest.raises(RuntimeError), database.session(write=True) as session:
        session.execute(text("INSERT INTO items (note) VALUES ('lost')"))
        raise RuntimeError("the unit of work failed")
    with database.session() as session:
        assert session.scalar(text("SELECT count(*) FROM items")) == 0


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="AFTERCARE_TEST_DATABASE_URL is not set")
def test_postgresql_write_session_needs_no_sqlite_begin():
    # BEGIN IMMEDIATE is SQLite's; PostgreSQL would refuse it as a syntax error.
    database = Database(POSTGRES_URL)
    try:
        with database.session(write=True) as session:
            assert session.scalar(text("SELECT 1")) == 1
    finally:
        database.dispose()
