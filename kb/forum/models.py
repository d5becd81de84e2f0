"""Forum tables: categories, threads, replies, votes, accepted answers, flags, edit history, views.

A "post" is a thread's question or one reply. Rows that can concern either (flags, revisions)
always carry the thread id and, for a reply, the reply id too; ``reply_id IS NULL`` means
"the thread's own question".
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from aftercare.db import Base, TimestampMixin, utcnow


class PostStatus(StrEnum):
    # A new account's first post waits here until a moderator approves it.
    PENDING_REVIEW = "pending_review"
    PUBLISHED = "published"
    HIDDEN = "hidden"


class FlagReason(StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    OTHER = "other"


class FlagResolution(StrEnum):
    # The moderator hid the post.
    ACTIONED = "actioned"
    # The moderator found nothing wrong.
    DISMISSED = "dismissed"


class ForumCategory(Base):
    __tablename__ = "forum_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class _Moderated:
    """Columns shared by threads and replies: visibility and who last moderated the post."""

    status: Mapped[PostStatus] = mapped_column(String(16), default=PostStatus.PUBLISHED)
    moderated_at: Mapped[datetime | None]
    moderation_note: Mapped[str | None] = mapped_column(String(500))


class ForumThread(_Moderated, TimestampMixin, Base):
    __tablename__ = "forum_threads"
    __table_args__ = (
        Index("ix_forum_threads_status_updated", "status", "updated_at"),
        Index("ix_forum_threads_category_status", "category_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # None when the asker is anonymous: a thread published from a ticket, or a deleted account.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("forum_categories.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(16))
    language_confidence: Mapped[float]
    language_source: Mapped[str] = mapped_column(String(16))
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    locked_at: Mapped[datetime | None]
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("forum_threads.id", ondelete="SET NULL"))
    # The ticket an agent opened from this thread.
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    # The solved ticket this thread was published from (anonymised); one thread per ticket.
    source_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), unique=True)
    # No foreign key: the articles table belongs to the KB migration, a sibling of this one.
    promoted_article_id: Mapped[int | None]

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    category: Mapped[ForumCategory | None] = relationship()
    duplicate_of: Mapped[ForumThread | None] = relationship(remote_side="ForumThread.id")
    tag_rows: Mapped[list[ForumThreadTag]] = relationship(cascade="all, delete-orphan", order_by="ForumThreadTag.tag")
    replies: Mapped[list[ForumReply]] = relationship(
        back_populates="thread", order_by="ForumReply.id", cascade="all, delete-orphan"
    )
    acceptance: Mapped[ForumAcceptedAnswer | None] = relationship(cascade="all, delete-orphan", uselist=False)

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def accepted_reply_id(self) -> int | None:
        return self.acceptance.reply_id if self.acceptance is not None else None


class ForumThreadTag(Base):
    __tablename__ = "forum_thread_tags"

    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class ForumReply(_Moderated, TimestampMixin, Base):
    __tablename__ = "forum_replies"
    __table_args__ = (Index("ix_forum_replies_thread_status", "thread_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(Text)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    thread: Mapped[ForumThread] = relationship(back_populates="replies")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])


class ForumVote(Base):
    """One vote per user per reply; changing it updates the row, retracting deletes it."""

    __tablename__ = "forum_votes"
    __table_args__ = (CheckConstraint("value IN (-1, 1)", name="value_is_up_or_down"),)

    reply_id: Mapped[int] = mapped_column(ForeignKey("forum_replies.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ForumAcceptedAnswer(Base):
    """The accepted answer of a thread: the primary key makes it at most one per thread."""

    __tablename__ = "forum_accepted_answers"

    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"), primary_key=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("forum_replies.id", ondelete="CASCADE"), unique=True)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)

    reply: Mapped[ForumReply] = relationship()


class ForumFlag(Base):
    """A report of spam or abuse by one user about one post; open until a moderator resolves it."""

    __tablename__ = "forum_flags"
    __table_args__ = (
        # One flag per user per post. Two partial indexes because NULLs never collide in a
        # plain unique constraint (SQLite and PostgreSQL alike).
        Index(
            "uq_forum_flags_user_thread",
            "user_id",
            "thread_id",
            unique=True,
            sqlite_where=text("reply_id IS NULL"),
            postgresql_where=text("reply_id IS NULL"),
        ),
        Index(
            "uq_forum_flags_user_reply",
            "user_id",
            "reply_id",
            unique=True,
            sqlite_where=text("reply_id IS NOT NULL"),
            postgresql_where=text("reply_id IS NOT NULL"),
        ),
        Index("ix_forum_flags_resolved_at", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"), index=True)
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("forum_replies.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[FlagReason] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[FlagResolution | None] = mapped_column(String(16))

    thread: Mapped[ForumThread] = relationship()
    reply: Mapped[ForumReply | None] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ForumRevision(Base):
    """The text of a post before one edit: every edit keeps what it replaced."""

    __tablename__ = "forum_revisions"
    __table_args__ = (Index("ix_forum_revisions_post", "thread_id", "reply_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("forum_replies.id", ondelete="CASCADE"))
    # Only threads have a title; None for replies.
    previous_title: Mapped[str | None] = mapped_column(String(300))
    previous_body: Mapped[str] = mapped_column(Text)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    edited_at: Mapped[datetime] = mapped_column(default=utcnow)

    editor: Mapped[User | None] = relationship()


class ForumThreadView(Base):
    """An increment-only view log: the view count is the number of rows.

    Rows rather than a counter because many readers update it at once (a counter would be a
    hot row and a lost-update risk) and because rows let a signed-in reader count once per
    window instead of once per reload.
    """

    __tablename__ = "forum_thread_views"
    __table_args__ = (Index("ix_forum_thread_views_thread_viewer", "thread_id", "viewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"))
    viewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    viewed_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "FlagReason",
    "FlagResolution",
    "ForumAcceptedAnswer",
    "ForumCategory",
    "ForumFlag",
    "ForumReply",
    "ForumRevision",
    "ForumThread",
    "ForumThreadTag",
    "ForumThreadView",
    "ForumVote",
    "PostStatus",
]
