"""ticket links and API tokens: expiry and revocation

Tickets get ``link_generation`` (signed links carry it; revoking a ticket's links bumps it) and
``untimed_links_issued_at``: links signed before this change carry no time, so each existing
ticket's count as issued now, at the upgrade, and expire one link lifetime later. API tokens get
an optional ``expires_at`` and the ``prefix`` that names them in lists (empty for older tokens,
whose plaintext we never kept).

Revision ID: 0012_link_and_token_expiry
Revises: 0010_intake_suggestions
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercare.db

revision: str = "0012_link_and_token_expiry"
down_revision: str | Sequence[str] | None = "0010_intake_suggestions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_generation", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("untimed_links_issued_at", aftercare.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", aftercare.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("prefix", sa.String(length=16), server_default="", nullable=False))
    # Every ticket that exists now may have untimed links out there (e-mailed, bookmarked).
    tickets = sa.table("tickets", sa.column("untimed_links_issued_at", aftercare.db.UTCDateTime(timezone=True)))
    op.execute(tickets.update().values(untimed_links_issued_at=aftercare.db.utcnow()))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("prefix")
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("untimed_links_issued_at")
        batch_op.drop_column("link_generation")
