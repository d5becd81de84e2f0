"""Alembic environment: the schema of every backend comes from these migrations.

The tables' metadata (for ``--autogenerate``) is handed in by the caller as the
``target_metadata`` attribute (``aftercare db revision`` does, from ``entry.models_registry``):
this package sits below every domain and imports none of their models.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from aftercare.db import make_engine
from aftercare.migrate import include_name

config = context.config
metadata = config.attributes.get("target_metadata")


def _driver_pragma(connection: Connection, pragma: str) -> None:
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("the SQLite connection is closed")
    driver.execute(f"PRAGMA {pragma}")


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite" and not connection.in_transaction()
    if sqlite:
        # Batch mode rebuilds a table by copy, drop and rename. With foreign keys on, SQLite's DROP
        # TABLE first deletes every row, and ON DELETE CASCADE would empty the referencing tables
        # (messages, the search index...). The pragma only takes effect outside a transaction.
        # (on the driver's connection: the project's SQLite engine opens every SQLAlchemy
        # transaction with an explicit BEGIN, which would swallow it).
        _driver_pragma(connection, "foreign_keys=OFF")
    try:
        _migrate(connection)
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration left rows pointing at nothing: {broken[:5]}")
    finally:
        if sqlite:
            connection.rollback()
            _driver_pragma(connection, "foreign_keys=ON")


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite can't ALTER most things in place; batch mode recreates tables safely.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no sqlalchemy.url in the Alembic config (aftercare.migrate.alembic_config sets it)")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
