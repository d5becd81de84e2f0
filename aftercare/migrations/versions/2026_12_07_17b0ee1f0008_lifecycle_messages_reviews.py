"""lifecycle messages and review invitations

- ``products.service_interval_days``: maintenance interval (the service reminder comes before it).
- ``purchases.due_at`` / ``purchases.paid_at``: pay-later orders and their payment reminders.
- ``lifecycle_steps``: admins' settings per lifecycle message kind (on/off, days before).
- ``lifecycle_messages``: each lifecycle e-mail handed to the outbox, unique by dedupe key.
- ``winback_answers``: "why did you stop?" answers of lapsed buyers.
- ``review_destinations``, ``review_invitations``: a product's review page; one invitation per
  (customer, product), with when it was clicked.

Revision ID: 17b0ee1f0008
Revises: 15d2f75e0007
Create Date: 2026-12-07 22:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercare.db

revision: str = "17b0ee1f0008"
down_revision: str | Sequence[str] | None = "15d2f75e0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lifecycle_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=True),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_steps")),
        sa.UniqueConstraint("kind", name=op.f("uq_lifecycle_steps_kind")),
    )
    op.create_table(
        "review_destinations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_review_destinations_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_destinations")),
        sa.UniqueConstraint("product_id", name=op.f("uq_review_destinations_product_id")),
    )
    op.create_table(
        "lifecycle_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("purchase_id", sa.Integer(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_lifecycle_messages_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["purchases.id"],
            name=op.f("fk_lifecycle_messages_purchase_id_purchases"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_lifecycle_messages_dedupe_key")),
    )
    with op.batch_alter_table("lifecycle_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lifecycle_messages_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_lifecycle_messages_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lifecycle_messages_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_lifecycle_messages_purchase_id"), ["purchase_id"], unique=False)

    op.create_table(
        "winback_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_winback_answers_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["lifecycle_messages.id"],
            name=op.f("fk_winback_answers_message_id_lifecycle_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_winback_answers")),
        sa.UniqueConstraint("message_id", name=op.f("uq_winback_answers_message_id")),
    )
    with op.batch_alter_table("winback_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_winback_answers_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "review_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("survey_response_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("clicked_at", aftercare.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_review_invitations_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_review_invitations_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["survey_response_id"],
            ["survey_responses.id"],
            name=op.f("fk_review_invitations_survey_response_id_survey_responses"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_invitations")),
        sa.UniqueConstraint("customer_id", "product_id", name=op.f("uq_review_invitations_customer_id_product_id")),
    )
    with op.batch_alter_table("review_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_invitations_product_id"), ["product_id"], unique=False)

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_interval_days", sa.Integer(), nullable=True))

    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", aftercare.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("paid_at", aftercare.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_purchases_due_at"), ["due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchases_due_at"))
        batch_op.drop_column("paid_at")
        batch_op.drop_column("due_at")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("service_interval_days")
    for table in (
        "review_invitations",
        "winback_answers",
        "lifecycle_messages",
        "review_destinations",
        "lifecycle_steps",
    ):
        op.drop_table(table)
