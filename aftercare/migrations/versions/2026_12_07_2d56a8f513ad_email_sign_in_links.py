"""email sign-in links: the links e-mailed to customers who sign in without a password

``email_sign_in_links``: one row per link asked for, holding the address it went to, the SHA-256 of
its random token (never the token), when it expires and when it was used (it works once).

Revision ID: 2d56a8f513ad
Revises: 0014_intake_privacy_mail_auth
Create Date: 2026-12-07 14:46:56.163792
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercare.db

revision: str = "2d56a8f513ad"
down_revision: str | Sequence[str] | None = "0014_intake_privacy_mail_auth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_sign_in_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", aftercare.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_email_sign_in_links_token_hash")),
    )
    with op.batch_alter_table("email_sign_in_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_sign_in_links_email"), ["email"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("email_sign_in_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_sign_in_links_email"))
    op.drop_table("email_sign_in_links")
