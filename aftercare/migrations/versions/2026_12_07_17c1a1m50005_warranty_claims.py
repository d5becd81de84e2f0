"""warranty and returns: product windows, claims with RMA numbers

- ``products.warranty_months`` / ``products.return_days``: a product's own windows (None: the
  settings' defaults).
- ``claims``: a warranty, repair or return claim on a purchase, with its RMA number and ticket.
- ``claim_events``: each state a claim was put in, by whom and when.

Revision ID: 17c1a1m50005
Revises: 15b0e4ge0003
Create Date: 2026-12-07 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercare.db

revision: str = "17c1a1m50005"
down_revision: str | Sequence[str] | None = "15b0e4ge0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warranty_months", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("return_days", sa.Integer(), nullable=True))

    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rma_number", sa.String(length=32), nullable=True),
        sa.Column("purchase_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("window_ends_on", sa.Date(), nullable=False),
        sa.Column("resolved_at", aftercare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_claims_customer_id_customers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_claims_product_id_products"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"], ["purchases.id"], name=op.f("fk_claims_purchase_id_purchases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_claims_ticket_id_tickets"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("rma_number", name=op.f("uq_claims_rma_number")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_claims_ticket_id")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_purchase_id"), ["purchase_id"], unique=False)
        batch_op.create_index("ix_claims_status_created", ["status", "created_at"], unique=False)

    op.create_table(
        "claim_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("old_status", sa.String(length=16), nullable=True),
        sa.Column("new_status", sa.String(length=16), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_customer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_events_claim_id_claims"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["actor_customer_id"],
            ["customers.id"],
            name=op.f("fk_claim_events_actor_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_claim_events_actor_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_events")),
    )
    with op.batch_alter_table("claim_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_events_claim_id"), ["claim_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("claim_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_events_claim_id"))
    op.drop_table("claim_events")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_status_created")
        batch_op.drop_index(batch_op.f("ix_claims_purchase_id"))
        batch_op.drop_index(batch_op.f("ix_claims_product_id"))
        batch_op.drop_index(batch_op.f("ix_claims_customer_id"))
    op.drop_table("claims")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("return_days")
        batch_op.drop_column("warranty_months")
