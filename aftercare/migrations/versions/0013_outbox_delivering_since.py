"""outbox: when the current delivery effort began, for the retry horizon

``outbox_messages.delivering_since``: temporary SMTP failures are retried until the horizon
(``AFTERCARE_MAIL_RETRY_HORIZON_HOURS`` after it), whatever the number of attempts. Existing rows
keep it empty and count from ``created_at``.

Revision ID: 0013_outbox_delivering_since
Revises: 0012_link_and_token_expiry
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercare.db

revision: str = "0013_outbox_delivering_since"
down_revision: str | Sequence[str] | None = "0012_link_and_token_expiry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("delivering_since", aftercare.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("delivering_since")
