"""Database plumbing: declarative base, engine (SQLite or PostgreSQL), sessions, after-commit callbacks.

After-commit callbacks (``on_commit``) are the primitive under ``aftercare.events``; see there.

SQLite and concurrent writers. SQLite has one writer at a time. A transaction opened with a plain
(deferred) ``BEGIN`` that reads and then writes must upgrade its read lock to the write lock, and
SQLite refuses that upgrade at once ("database is locked") when another connection holds the
write lock or has committed since the read began: the busy timeout never applies, because waiting
could not help a snapshot that is already stale. So a unit of work that will write says so
(``Database.session(write=True)``) and opens with ``BEGIN IMMEDIATE``: it takes the write lock
before its first read, waiting up to the busy timeout for the current writer. Read-only work keeps
the deferred ``BEGIN`` so that readers never queue behind writers (WAL lets them read meanwhile).
A lock still busy after the timeout is raised as it is; ``is_database_busy`` recognises it so that
the web layer can answer 503 with ``Retry-After``. PostgreSQL ignores all of this.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    SessionTransaction,
    mapped_column,
    sessionmaker,
)
from sqlalchemy.types import TypeDecorator

logger = logging.getLogger(__name__)

# Stable constraint names so that Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# How long a SQLite writer waits for the current one before giving up. Write transactions here
# last milliseconds, so a queue of dozens clears well within it; a lock held longer than this is
# something wrong that a client should see (as a 503) rather than wait on.
SQLITE_BUSY_TIMEOUT_SECONDS = 15
# The execution option that asks the begin hook for BEGIN IMMEDIATE (see the module docstring).
_SQLITE_IMMEDIATE_OPTION = "aftercare_sqlite_immediate"
# SQLite's primary result codes for "another connection holds the lock" (the extended codes, such
# as SQLITE_BUSY_SNAPSHOT, carry them in their low byte).
_SQLITE_LOCK_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
_SQLITE_PRIMARY_CODE_MASK = 0xFF


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the pysqlite driver, decide where transactions begin: the driver's
    # own guessing breaks SAVEPOINT (SQLAlchemy's documented recipe for pysqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL: readers go on reading while the one writer writes. (The busy timeout is the driver's
    # ``timeout`` argument, set in make_engine, so that a caller can choose another.)
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_sqlite(connection: Any) -> None:
    if connection.get_execution_options().get(_SQLITE_IMMEDIATE_OPTION):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def is_database_busy(error: BaseException) -> bool:
    """True when ``error`` is SQLite's "database is locked": a lock that may free up, worth a retry."""
    if not isinstance(error, OperationalError) or not isinstance(error.orig, sqlite3.OperationalError):
        return False
    # sqlite_errorcode: Python 3.11+, the extended result code.
    return (error.orig.sqlite_errorcode & _SQLITE_PRIMARY_CODE_MASK) in _SQLITE_LOCK_CODES


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Several processes (web, worker) share one file: wait for the writer instead of failing.
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # Plain postgresql:// URLs mean psycopg 3, the driver we ship.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


# session.info keys: the callbacks waiting per open transaction, the transactions whose commit
# fired (a released SAVEPOINT "commits" too), and the Database that opened the session.
_PENDING_KEY = "aftercare_after_commit"
_COMMITTED_KEY = "aftercare_committed_transactions"
_DATABASE_KEY = "aftercare_database"


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's outermost transaction has committed; drop it on rollback.

    The low-level primitive of ``aftercare.events`` (domains record events there, they do not call
    this). Side effects that talk to the outside (index files, queues, mail) must never run inside
    the transaction: if it rolled back, the world would hold something the database does not.

    Savepoints: a callback belongs to the innermost transaction open when it was given (the
    SAVEPOINT of ``begin_nested()``, else the session's transaction). A released savepoint hands its
    callbacks to the transaction around it; a rolled-back one drops them; so does a rolled-back (or
    closed without commit) outer transaction. A callback equal to one already waiting in this
    session (the same function, an equal event) is not added twice: one nudge per commit.
    """
    if session.get_transaction() is None:
        session.begin()
    pending: dict[SessionTransaction, list[Callable[[], None]]] = session.info.setdefault(_PENDING_KEY, {})
    if any(callback in callbacks for callbacks in pending.values()):
        return
    current = session.get_nested_transaction() or session.get_transaction()
    assert current is not None  # begun above
    pending.setdefault(current, []).append(callback)


def pending_callbacks(session: Session) -> list[Callable[[], None]]:
    """What will run if the session's transaction commits now, in order (outermost first)."""
    pending: dict[SessionTransaction, list[Callable[[], None]]] = session.info.get(_PENDING_KEY, {})
    return [callback for callbacks in pending.values() for callback in callbacks]


def database_of(session: Session) -> Database:
    """The Database whose units of work are like ``session``'s: the one that opened it, else one on
    the same bind (a session a test or a script made by hand). After-commit work opens its own
    unit of work with it, so that it reads what the committed transaction wrote, on the same
    connection in a test's rolled-back transaction."""
    database = session.info.get(_DATABASE_KEY)
    if isinstance(database, Database):
        return database
    return BoundDatabase(session)


@event.listens_for(Session, "after_commit")
def _note_commit(session: Session) -> None:
    # Fired for the outermost commit and for each released SAVEPOINT; the transaction that
    # committed is still the session's innermost one here (it is closed right after).
    committed = session.get_nested_transaction() or session.get_transaction()
    if committed is not None and session.info.get(_PENDING_KEY):
        session.info.setdefault(_COMMITTED_KEY, set()).add(committed)


@event.listens_for(Session, "after_transaction_end")
def _end_of_transaction(session: Session, transaction: SessionTransaction) -> None:
    pending: dict[SessionTransaction, list[Callable[[], None]]] | None = session.info.get(_PENDING_KEY)
    if not pending:
        return
    committed = session.info.get(_COMMITTED_KEY, set())
    was_committed = transaction in committed
    committed.discard(transaction)
    callbacks = pending.pop(transaction, None)
    if callbacks is None:
        return  # a flush's subtransaction, or a transaction that recorded nothing
    if not was_committed:
        return  # rolled back (or closed without commit): its callbacks never happened
    if transaction.parent is not None:
        outer = _enclosing(transaction)
        if outer is not None:
            # A released SAVEPOINT: its work is now the enclosing transaction's, to commit or not.
            kept = pending.setdefault(outer, [])
            kept.extend(callback for callback in callbacks if callback not in kept)
            return
    _run(callbacks)


def _enclosing(transaction: SessionTransaction) -> SessionTransaction | None:
    """The nearest enclosing SAVEPOINT or the outermost transaction (skipping flush subtransactions)."""
    outer = transaction.parent
    while outer is not None and not outer.nested and outer.parent is not None:
        outer = outer.parent
    return outer


def _run(callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        # The data is committed whatever happens here; a failing side effect is logged and left
        # to the reconciler that owns it (index version check, outbox retry), never raised into
        # a request that has already succeeded, and never keeps the next callback from running.
        try:
            callback()
        except Exception:
            logger.exception("after-commit callback %r failed", callback)


class Database:
    """An engine and its session factory; one per process (or per test)."""

    # The engine whose transactions open with BEGIN IMMEDIATE; None where that means nothing
    # (PostgreSQL, or a test's database whose units of work are savepoints in one transaction).
    _writer_engine: Engine | None = None

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        if self.engine.dialect.name == "sqlite":
            # Same pool and connections; only the BEGIN differs.
            self._writer_engine = self.engine.execution_options(**{_SQLITE_IMMEDIATE_OPTION: True})

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any error.

        ``write=True`` for work that will write: on SQLite it holds the write lock from its first
        statement to its commit, so keep such units short (no embedding or network calls inside).
        Work that only reads, or that must not hold up writers while it runs, keeps the default.
        """
        if write and self._writer_engine is not None:
            session = self.session_factory(bind=self._writer_engine)
        else:
            session = self.session_factory()
        session.info[_DATABASE_KEY] = self
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


class BoundDatabase(Database):
    """Units of work on the bind of an existing session (see ``database_of``)."""

    def __init__(self, session: Session) -> None:
        bind = session.get_bind()
        self.url = str(bind.engine.url)
        self.engine = bind.engine
        # A session joined to a test's open connection keeps joining it the same way.
        self.session_factory = sessionmaker(
            bind=session.bind or bind, expire_on_commit=False, join_transaction_mode=session.join_transaction_mode
        )

    def dispose(self) -> None:  # the engine belongs to whoever made the session
        pass
