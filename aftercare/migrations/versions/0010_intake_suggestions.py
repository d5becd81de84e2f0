"""intake suggestions: articles offered to a ticket's requester, and the one that solved it

Revision ID: 0010_intake_suggestions
Revises: 0009_merge_domains
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercare.db

revision: str = "0010_intake_suggestions"
down_revision: str | Sequence[str] | None = "0009_merge_domains"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intake_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("solved_at", aftercare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("solved_via", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_intake_suggestions_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_suggestions")),
        sa.UniqueConstraint("ticket_id", "article_id", name=op.f("uq_intake_suggestions_ticket_id_article_id")),
    )
    op.create_index(op.f("ix_intake_suggestions_ticket_id"), "intake_suggestions", ["ticket_id"], unique=False)
    op.create_index("ix_intake_suggestions_created", "intake_suggestions", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_intake_suggestions_created", table_name="intake_suggestions")
    op.drop_index(op.f("ix_intake_suggestions_ticket_id"), table_name="intake_suggestions")
    op.drop_table("intake_suggestions")
