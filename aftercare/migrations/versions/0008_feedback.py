"""knowledge-base feedback: "Was this helpful?" votes and the contact-form deflection funnel

Revision ID: 0008_feedback
Revises: 0001_foundation
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercare.db

revision: str = "0008_feedback"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("visitor_key", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_article_feedback_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_feedback")),
        sa.UniqueConstraint("article_id", "visitor_key", name=op.f("uq_article_feedback_article_id_visitor_key")),
    )
    op.create_index(op.f("ix_article_feedback_article_id"), "article_feedback", ["article_id"], unique=False)
    op.create_index("ix_article_feedback_created", "article_feedback", ["created_at"], unique=False)
    op.create_table(
        "deflection_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_deflection_events_ticket_id_tickets"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deflection_events")),
    )
    op.create_index("ix_deflection_events_attempt", "deflection_events", ["attempt_id"], unique=False)
    op.create_index("ix_deflection_events_created", "deflection_events", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_deflection_events_created", table_name="deflection_events")
    op.drop_index("ix_deflection_events_attempt", table_name="deflection_events")
    op.drop_table("deflection_events")
    op.drop_index("ix_article_feedback_created", table_name="article_feedback")
    op.drop_index(op.f("ix_article_feedback_article_id"), table_name="article_feedback")
    op.drop_table("article_feedback")
