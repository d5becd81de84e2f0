"""search: search logs, ticket suggestions and their events

Revision ID: 0007_search
Revises: 0001_foundation (needs 0002_kb: suggestions point at articles)
Create Date: 2026-11-22 09:01:18.201130
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercare.db

revision: str = "0007_search"
down_revision: str | Sequence[str] | None = "0002_kb"
branch_labels: str | Sequence[str] | None = None
# ticket_suggestions.article_id references the knowledge base's articles table.
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("normalized_query", sa.String(length=500), nullable=False),
        sa.Column("query_language", sa.String(length=16), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("results_count", sa.Integer(), nullable=False),
        sa.Column("top_result_type", sa.String(length=16), nullable=True),
        sa.Column("top_result_id", sa.Integer(), nullable=True),
        sa.Column("top_confidence", sa.Double(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_logs")),
    )
    with op.batch_alter_table("search_logs", schema=None) as batch_op:
        batch_op.create_index("ix_search_logs_answered_created", ["answered", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_logs_created_at"), ["created_at"], unique=False)
        batch_op.create_index("ix_search_logs_normalized_query", ["normalized_query"], unique=False)

    op.create_table(
        "ticket_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("snippet", sa.Text(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("index_version", sa.Integer(), nullable=False),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", aftercare.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_ticket_suggestions_article_id_articles"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_suggestions_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_suggestions")),
    )
    with op.batch_alter_table("ticket_suggestions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_suggestions_article_id"), ["article_id"], unique=False)
        batch_op.create_index("ix_ticket_suggestions_ticket_current", ["ticket_id", "superseded_at"], unique=False)

    op.create_table(
        "suggestion_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_suggestion_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_suggestion_id"],
            ["ticket_suggestions.id"],
            name=op.f("fk_suggestion_events_ticket_suggestion_id_ticket_suggestions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_suggestion_events_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_events")),
    )
    with op.batch_alter_table("suggestion_events", schema=None) as batch_op:
        batch_op.create_index("ix_suggestion_events_event_created", ["event", "created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_suggestion_events_ticket_suggestion_id"), ["ticket_suggestion_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("suggestion_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suggestion_events_ticket_suggestion_id"))
        batch_op.drop_index("ix_suggestion_events_event_created")

    op.drop_table("suggestion_events")
    with op.batch_alter_table("ticket_suggestions", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_suggestions_ticket_current")
        batch_op.drop_index(batch_op.f("ix_ticket_suggestions_article_id"))

    op.drop_table("ticket_suggestions")
    with op.batch_alter_table("search_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_search_logs_normalized_query")
        batch_op.drop_index(batch_op.f("ix_search_logs_created_at"))
        batch_op.drop_index("ix_search_logs_answered_created")

    op.drop_table("search_logs")
