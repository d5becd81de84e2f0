"""Alembic migrations (the only source of the schema, in production and in tests)."""
