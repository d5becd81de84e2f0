"""Merge the per-domain branches (kb, workers, after-sales, forum, macros, search, feedback).

They were written side by side on top of the foundation; from here on the history is one line.

Revision ID: 0009_merge_domains
Revises: 0003_workers, 0004_aftersales, 0005_forum, 0006_macros, 0007_search, 0008_feedback
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0009_merge_domains"
down_revision: str | Sequence[str] | None = (
    "0003_workers",
    "0004_aftersales",
    "0005_forum",
    "0006_macros",
    "0007_search",
    "0008_feedback",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
