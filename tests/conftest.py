"""Shared fixtures: a real database per backend with the schema from migrations, per-test rollback.

SQLite always; PostgreSQL too when AFTERCARE_TEST_DATABASE_URL points at one. Every test that
uses ``session`` or ``client`` runs once per backend.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="aftercare-tests-"))
# Settings are read from the environment: fix them before any app module reads them.
os.environ.setdefault("AFTERCARE_ENVIRONMENT", "test")
os.environ["AFTERCARE_DATA_DIR"] = str(_TMP / "data")
os.environ.setdefault("AFTERCARE_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
os.environ.setdefault("AFTERCARE_PUBLIC_RATE_LIMIT", "1000/minute")
os.environ.setdefault("AFTERCARE_REPLY_RATE_LIMIT", "1000/minute")
# Tests that build one person's whole history receive mail from the same fixed address in every
# test and on both backends; the per-sender limit (30/hour) is tested with its own setting.
os.environ.setdefault("AFTERCARE_MAIL_IN_RATE_LIMIT", "1000/minute")
os.environ.pop("AFTERCARE_DATABASE_URL", None)

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Connection, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from aftercare import migrate  # noqa: E402
from aftercare.config import get_settings  # noqa: E402
from aftercare.db import Database, make_engine  # noqa: E402
from entry.jobs import register_jobs  # noqa: E402

# As every process that enqueues jobs does at start (entry.asgi, the CLI).
register_jobs()
# As every process does at start (web.app.create_app, the CLI): after-commit subscribers.
importlib.import_module("helpdesk.notifications.subscribers")
importlib.import_module("kb.subscribers")

POSTGRES_URL = os.environ.get("AFTERCARE_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


# The PostgreSQL runs carry the `postgres` marker: `-m "not postgres"` leaves them out.
BACKEND_PARAMS = [pytest.param(name, marks=[pytest.mark.postgres] if name == "postgresql" else []) for name in BACKENDS]


# Fixtures that load an embedding model or the demo's index: a test using one is `slow`.
MODEL_FIXTURES = frozenset({"e5", "minilm", "embedder", "keeper", "demo", "demo_session"})
# Modules that load models or build the wheel themselves, without those fixtures.
SLOW_MODULES = frozenset({"test_passage_lane.py", "test_without_torch.py", "test_embedders.py", "test_wheel.py"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if MODEL_FIXTURES.intersection(getattr(item, "fixturenames", ())) or item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


def pytest_configure(config: pytest.Config) -> None:
    # CI must test both backends: without PostgreSQL it fails here instead of passing on SQLite alone.
    if os.environ.get("CI") and not POSTGRES_URL:
        raise pytest.UsageError("CI is set but AFTERCARE_TEST_DATABASE_URL is not: the PostgreSQL tests would not run")


@pytest.fixture(scope="session", params=BACKEND_PARAMS)
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{_TMP / 'test.db'}"
    else:
        url = POSTGRES_URL
        _reset_postgres(url)
    migrate.upgrade(url)
    return url


class RollbackDatabase(Database):
    """A Database whose units of work are savepoints inside one outer test transaction."""

    def __init__(self, url: str, connection: Connection) -> None:
        self.url = url
        self.engine = connection.engine
        self.connection = connection
        self.session_factory = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

    def dispose(self) -> None:  # the engine belongs to the fixture
        pass


@pytest.fixture(scope="session")
def engine(database_url: str):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def database(engine, database_url: str) -> Iterator[RollbackDatabase]:
    connection = engine.connect()
    outer = connection.begin()
    try:
        yield RollbackDatabase(database_url, connection)
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def session(database: RollbackDatabase) -> Iterator[Session]:
    with database.session() as session:
        yield session


@pytest.fixture
def settings():
    return get_settings()


@pytest.fixture
def app(database: RollbackDatabase, settings):
    from web import ratelimit
    from web.app import create_app

    ratelimit.reset(settings.rate_limit_storage_url)
    return create_app(settings, database=database)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@contextmanager
def env(**values: str) -> Iterator[None]:
    """Temporarily set AFTERCARE_* variables and re-read settings."""
    old = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
