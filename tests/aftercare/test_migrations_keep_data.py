"""Upgrading a SQLite database that holds tickets keeps every row of every table.

Batch migrations rebuild ``tickets`` by copy, drop and rename; with foreign keys on, SQLite's
DROP TABLE first deletes the rows and ON DELETE CASCADE empties the referencing tables (a ticket's
messages, tags and history). Found when an upgrade through 0012 and 0014 left no messages.
"""

from __future__ import annotations

from sqlalchemy import text

from aftercare import migrate
from aftercare.db import make_engine

BEFORE = "0010_intake_suggestions"
NOW = "2026-01-01 00:00:00"
ROWS = [
    "INSERT INTO customers (id, email, name, consent_marketing, consent_surveys, created_at, updated_at) "
    "VALUES (1, 'old@example.com', 'Old Customer', 0, 1, :now, :now)",
    "INSERT INTO tickets (id, subject, status, priority, channel, language, language_confidence, "
    "language_source, requester_id, created_at, updated_at) "
    "VALUES (7, 'Old ticket', 'open', 'normal', 'web', 'en', 1.0, 'detected', 1, :now, :now)",
    "INSERT INTO messages (id, ticket_id, kind, body, channel, author_customer_id, created_at) "
    "VALUES (1, 7, 'public_reply', 'The thermostat blinks amber', 'web', 1, :now)",
    "INSERT INTO messages (id, ticket_id, kind, body, channel, created_at) "
    "VALUES (2, 7, 'internal_note', 'Asked for the model number', 'web', :now)",
    "INSERT INTO ticket_tags (ticket_id, tag) VALUES (7, 'thermostat')",
    "INSERT INTO ticket_events (id, ticket_id, field, old_value, new_value, created_at) "
    "VALUES (1, 7, 'status', 'new', 'open', :now)",
]


def test_upgrading_to_head_keeps_a_tickets_messages_tags_and_history(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, revision=BEFORE)
    engine = make_engine(url)
    with engine.begin() as connection:
        for statement in ROWS:
            connection.execute(text(statement), {"now": NOW})
    engine.dispose()

    migrate.upgrade(url)

    engine = make_engine(url)
    with engine.connect() as connection:
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table} WHERE ticket_id = 7")).scalar()
            for table in ("messages", "ticket_tags", "ticket_events")
        }
        subject = connection.execute(text("SELECT subject FROM tickets WHERE id = 7")).scalar()
        problems = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
    engine.dispose()
    assert (subject, counts, problems) == ("Old ticket", {"messages": 2, "ticket_tags": 1, "ticket_events": 1}, [])
