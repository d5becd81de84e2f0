"""forum: categories, threads, replies, votes, accepted answers, flags, revisions, views

Revision ID: 0005_forum
Revises: 0001_foundation
Create Date: 2026-11-22 08:02:56.604246
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercare.db

revision: str = "0005_forum"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forum_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_categories")),
        sa.UniqueConstraint("slug", name=op.f("uq_forum_categories_slug")),
    )
    op.create_table(
        "forum_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("language_confidence", sa.Double(), nullable=False),
        sa.Column("language_source", sa.String(length=16), nullable=False),
        sa.Column("moderated_by_id", sa.Integer(), nullable=True),
        sa.Column("locked_at", aftercare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("locked_by_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("source_ticket_id", sa.Integer(), nullable=True),
        sa.Column("promoted_article_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("moderated_at", aftercare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("moderation_note", sa.String(length=500), nullable=True),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_forum_threads_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["forum_categories.id"],
            name=op.f("fk_forum_threads_category_id_forum_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["forum_threads.id"],
            name=op.f("fk_forum_threads_duplicate_of_id_forum_threads"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["locked_by_id"], ["users.id"], name=op.f("fk_forum_threads_locked_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["moderated_by_id"], ["users.id"], name=op.f("fk_forum_threads_moderated_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["source_ticket_id"],
            ["tickets.id"],
            name=op.f("fk_forum_threads_source_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_forum_threads_ticket_id_tickets"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_threads")),
        sa.UniqueConstraint("source_ticket_id", name=op.f("uq_forum_threads_source_ticket_id")),
    )
    with op.batch_alter_table("forum_threads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forum_threads_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_forum_threads_category_status", ["category_id", "status"], unique=False)
        batch_op.create_index("ix_forum_threads_status_updated", ["status", "updated_at"], unique=False)

    op.create_table(
        "forum_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("moderated_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("moderated_at", aftercare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("moderation_note", sa.String(length=500), nullable=True),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_forum_replies_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["moderated_by_id"], ["users.id"], name=op.f("fk_forum_replies_moderated_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["forum_threads.id"],
            name=op.f("fk_forum_replies_thread_id_forum_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_replies")),
    )
    with op.batch_alter_table("forum_replies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forum_replies_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_forum_replies_thread_status", ["thread_id", "status"], unique=False)

    op.create_table(
        "forum_thread_tags",
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["forum_threads.id"],
            name=op.f("fk_forum_thread_tags_thread_id_forum_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("thread_id", "tag", name=op.f("pk_forum_thread_tags")),
    )
    with op.batch_alter_table("forum_thread_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forum_thread_tags_tag"), ["tag"], unique=False)

    op.create_table(
        "forum_thread_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("viewer_id", sa.Integer(), nullable=True),
        sa.Column("viewed_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["forum_threads.id"],
            name=op.f("fk_forum_thread_views_thread_id_forum_threads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["viewer_id"], ["users.id"], name=op.f("fk_forum_thread_views_viewer_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_thread_views")),
    )
    with op.batch_alter_table("forum_thread_views", schema=None) as batch_op:
        batch_op.create_index("ix_forum_thread_views_thread_viewer", ["thread_id", "viewer_id"], unique=False)

    op.create_table(
        "forum_accepted_answers",
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=False),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("accepted_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"],
            ["users.id"],
            name=op.f("fk_forum_accepted_answers_accepted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reply_id"],
            ["forum_replies.id"],
            name=op.f("fk_forum_accepted_answers_reply_id_forum_replies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["forum_threads.id"],
            name=op.f("fk_forum_accepted_answers_thread_id_forum_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("thread_id", name=op.f("pk_forum_accepted_answers")),
        sa.UniqueConstraint("reply_id", name=op.f("uq_forum_accepted_answers_reply_id")),
    )
    op.create_table(
        "forum_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", aftercare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["reply_id"], ["forum_replies.id"], name=op.f("fk_forum_flags_reply_id_forum_replies"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_forum_flags_resolved_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["forum_threads.id"], name=op.f("fk_forum_flags_thread_id_forum_threads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_forum_flags_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_flags")),
    )
    with op.batch_alter_table("forum_flags", schema=None) as batch_op:
        batch_op.create_index("ix_forum_flags_resolved_at", ["resolved_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_forum_flags_thread_id"), ["thread_id"], unique=False)
        batch_op.create_index(
            "uq_forum_flags_user_reply",
            ["user_id", "reply_id"],
            unique=True,
            sqlite_where=sa.text("reply_id IS NOT NULL"),
            postgresql_where=sa.text("reply_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_forum_flags_user_thread",
            ["user_id", "thread_id"],
            unique=True,
            sqlite_where=sa.text("reply_id IS NULL"),
            postgresql_where=sa.text("reply_id IS NULL"),
        )

    op.create_table(
        "forum_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=True),
        sa.Column("previous_title", sa.String(length=300), nullable=True),
        sa.Column("previous_body", sa.Text(), nullable=False),
        sa.Column("editor_id", sa.Integer(), nullable=True),
        sa.Column("edited_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["editor_id"], ["users.id"], name=op.f("fk_forum_revisions_editor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["reply_id"],
            ["forum_replies.id"],
            name=op.f("fk_forum_revisions_reply_id_forum_replies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["forum_threads.id"],
            name=op.f("fk_forum_revisions_thread_id_forum_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_revisions")),
    )
    with op.batch_alter_table("forum_revisions", schema=None) as batch_op:
        batch_op.create_index("ix_forum_revisions_post", ["thread_id", "reply_id"], unique=False)

    op.create_table(
        "forum_votes",
        sa.Column("reply_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("value IN (-1, 1)", name=op.f("ck_forum_votes_value_is_up_or_down")),
        sa.ForeignKeyConstraint(
            ["reply_id"], ["forum_replies.id"], name=op.f("fk_forum_votes_reply_id_forum_replies"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_forum_votes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("reply_id", "user_id", name=op.f("pk_forum_votes")),
    )
    with op.batch_alter_table("forum_votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forum_votes_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("forum_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forum_votes_user_id"))

    op.drop_table("forum_votes")
    with op.batch_alter_table("forum_revisions", schema=None) as batch_op:
        batch_op.drop_index("ix_forum_revisions_post")

    op.drop_table("forum_revisions")
    with op.batch_alter_table("forum_flags", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_forum_flags_user_thread",
            sqlite_where=sa.text("reply_id IS NULL"),
            postgresql_where=sa.text("reply_id IS NULL"),
        )
        batch_op.drop_index(
            "uq_forum_flags_user_reply",
            sqlite_where=sa.text("reply_id IS NOT NULL"),
            postgresql_where=sa.text("reply_id IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_forum_flags_thread_id"))
        batch_op.drop_index("ix_forum_flags_resolved_at")

    op.drop_table("forum_flags")
    op.drop_table("forum_accepted_answers")
    with op.batch_alter_table("forum_thread_views", schema=None) as batch_op:
        batch_op.drop_index("ix_forum_thread_views_thread_viewer")

    op.drop_table("forum_thread_views")
    with op.batch_alter_table("forum_thread_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forum_thread_tags_tag"))

    op.drop_table("forum_thread_tags")
    with op.batch_alter_table("forum_replies", schema=None) as batch_op:
        batch_op.drop_index("ix_forum_replies_thread_status")
        batch_op.drop_index(batch_op.f("ix_forum_replies_author_id"))

    op.drop_table("forum_replies")
    with op.batch_alter_table("forum_threads", schema=None) as batch_op:
        batch_op.drop_index("ix_forum_threads_status_updated")
        batch_op.drop_index("ix_forum_threads_category_status")
        batch_op.drop_index(batch_op.f("ix_forum_threads_author_id"))

    op.drop_table("forum_threads")
    op.drop_table("forum_categories")
