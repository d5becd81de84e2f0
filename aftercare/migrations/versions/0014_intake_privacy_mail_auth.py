"""intake privacy: tickets linked for merging, and inbound mail's authentication verdict

``tickets.related_ticket_id``: mail that named a ticket in its subject (``[#id]``) but failed the
receiving server's authentication becomes a new ticket linked to the one it named, for an agent to
merge, instead of a message on it. ``inbound_messages.auth_verdict`` / ``auth_results``: that
verdict ("pass", "fail", "none") and the topmost ``Authentication-Results`` header it came from.

Revision ID: 0014_intake_privacy_mail_auth
Revises: 0013_outbox_delivering_since
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_intake_privacy_mail_auth"
down_revision: str | Sequence[str] | None = "0013_outbox_delivering_since"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("related_ticket_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_tickets_related_ticket_id"), ["related_ticket_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_tickets_related_ticket_id_tickets"),
            "tickets",
            ["related_ticket_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auth_verdict", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("auth_results", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_column("auth_results")
        batch_op.drop_column("auth_verdict")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tickets_related_ticket_id_tickets"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_tickets_related_ticket_id"))
        batch_op.drop_column("related_ticket_id")
