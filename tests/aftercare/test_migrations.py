"""The schema comes from migrations: one head, and it matches the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from aftercare import migrate
from entry.models_registry import metadata


def test_history_has_a_single_head(database_url):
    assert len(ScriptDirectory.from_config(migrate.alembic_config(database_url)).get_heads()) == 1


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"include_name": migrate.include_name}), metadata
        )
    assert differences == []
