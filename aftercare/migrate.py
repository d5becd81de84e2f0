"""Run Alembic migrations from code (the CLI and the tests use this, no alembic.ini needed)."""

from __future__ import annotations

import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, MetaData

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# New migrations are named by date, then revision: files sort in the order they were written, and
# two branches' files never claim the same number (0001-0014 predate this).
FILE_TEMPLATE = "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s"
# Tables no model describes, left out when the models are compared with the database: the
# full-text ticket index (helpdesk.ticket_search writes it in SQL), its PostgreSQL vectors and
# SQLite's FTS5 tables.
UNMODELLED_TABLES = re.compile(r"^(ticket_search(_vectors)?|ticket_fts(_[a-z]+)?)$")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name`` hook: everything but UNMODELLED_TABLES."""
    return not (type_ == "table" and name is not None and UNMODELLED_TABLES.match(name))


def alembic_config(url: str, connection: Connection | None = None, metadata: MetaData | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("file_template", FILE_TEMPLATE)
    if connection is not None:
        config.attributes["connection"] = connection
    if metadata is not None:
        config.attributes["target_metadata"] = metadata
    return config


def new_revision(url: str, message: str, *, metadata: MetaData | None = None) -> Path:
    """Write a new migration file (compared against ``metadata`` when given) and return its path."""
    config = alembic_config(url, metadata=metadata)
    script = command.revision(config, message=message, autogenerate=metadata is not None)
    # Alembic gives a list when the revision spans branches, and None for a revision a hook
    # dropped (we install none, so that would be a broken Alembic).
    first = script[0] if isinstance(script, list) else script
    if first is None:
        raise RuntimeError(f"alembic wrote no migration file for {message!r}")
    return Path(first.path)


def upgrade(url: str, *, revision: str = "heads", connection: Connection | None = None) -> None:
    command.upgrade(alembic_config(url, connection), revision)


def downgrade(url: str, *, revision: str, connection: Connection | None = None) -> None:
    command.downgrade(alembic_config(url, connection), revision)
