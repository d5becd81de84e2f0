"""attachments everywhere: uploads on forms, replies and notes

- ``attachments.inbound_message_id`` nullable: uploads come with no inbound mail.
- ``attachments.uploaded_by_user_id`` / ``uploaded_by_customer_id``: who uploaded the file.
- ``attachments.ticket_message_id`` indexed: each message on a ticket page lists its files.
- ``outbox_messages.attachment_ids``: the files an agent's reply carries by e-mail.

Revision ID: 15a7ac4e0001
Revises: 54b7d6707896
Create Date: 2026-12-07 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "15a7ac4e0001"
down_revision: str | Sequence[str] | None = "54b7d6707896"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uploaded_by_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("uploaded_by_customer_id", sa.Integer(), nullable=True))
        batch_op.alter_column("inbound_message_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f("ix_attachments_ticket_message_id"), ["ticket_message_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_attachments_uploaded_by_user_id_users"),
            "users",
            ["uploaded_by_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_attachments_uploaded_by_customer_id_customers"),
            "customers",
            ["uploaded_by_customer_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachment_ids", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("attachment_ids")

    # Uploaded files have no inbound message; they cannot survive the NOT NULL coming back.
    op.execute("DELETE FROM attachments WHERE inbound_message_id IS NULL")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_attachments_uploaded_by_customer_id_customers"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_attachments_uploaded_by_user_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_attachments_ticket_message_id"))
        batch_op.alter_column("inbound_message_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("uploaded_by_customer_id")
        batch_op.drop_column("uploaded_by_user_id")
