"""bulk actions and ticket merge

- ``ticket_merges``: each merge, with exactly the messages and attachments it moved (undo moves
  those back) and the source's status before it.
- ``tickets.merged_into_id``: the ticket a merged one continues in.

Revision ID: 15b0e4ge0003
Revises: 15c0111d0002
Create Date: 2026-12-07 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercare.db

revision: str = "15b0e4ge0003"
down_revision: str | Sequence[str] | None = "15c0111d0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("message_ids", sa.JSON(), nullable=False),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("source_status", sa.String(length=16), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("undone_at", aftercare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("undone_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_ticket_merges_actor_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["tickets.id"], name=op.f("fk_ticket_merges_source_id_tickets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["tickets.id"], name=op.f("fk_ticket_merges_target_id_tickets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["undone_by_id"], ["users.id"], name=op.f("fk_ticket_merges_undone_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_merges")),
    )
    with op.batch_alter_table("ticket_merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_merges_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_merges_target_id"), ["target_id"], unique=False)

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_tickets_merged_into_id"), ["merged_into_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_tickets_merged_into_id_tickets"), "tickets", ["merged_into_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tickets_merged_into_id_tickets"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_tickets_merged_into_id"))
        batch_op.drop_column("merged_into_id")

    with op.batch_alter_table("ticket_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_merges_target_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_merges_source_id"))

    op.drop_table("ticket_merges")
