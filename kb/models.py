"""Knowledge-base tables: articles, their tags, per-locale contents and questions, version history.

Also the generic ``search_index_changes`` feed: every change that affects what search may return
writes a row in the same transaction, so the search index can catch up after the commit.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftercare.db import Base, TimestampMixin, utcnow


class ArticleKind(StrEnum):
    USAGE_TIP = "usage_tip"
    TROUBLESHOOTING = "troubleshooting"
    FAQ = "faq"


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class TagKind(StrEnum):
    PRODUCT = "product"
    TOPIC = "topic"


class Article(TimestampMixin, Base):
    __tablename__ = "articles"
    __table_args__ = (Index("ix_articles_status_updated", "status", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[ArticleKind] = mapped_column(String(32))
    # The article's own status is the source content's status; translations have their own.
    status: Mapped[ArticleStatus] = mapped_column(String(16), default=ArticleStatus.DRAFT)
    source_locale: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]

    tag_rows: Mapped[list[ArticleTag]] = relationship(
        cascade="all, delete-orphan", order_by="(ArticleTag.tag_kind, ArticleTag.tag)"
    )
    contents: Mapped[list[ArticleContent]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="ArticleContent.locale"
    )

    @property
    def products(self) -> list[str]:
        return sorted(row.tag for row in self.tag_rows if row.tag_kind == TagKind.PRODUCT)

    @property
    def tags(self) -> list[str]:
        return sorted(row.tag for row in self.tag_rows if row.tag_kind == TagKind.TOPIC)

    def content(self, locale: str) -> ArticleContent | None:
        return next((content for content in self.contents if content.locale == locale), None)

    @property
    def source(self) -> ArticleContent:
        content = self.content(self.source_locale)
        if content is None:  # the service never leaves an article without its source content
            raise LookupError(f"article {self.id} has no content in its source locale {self.source_locale}")
        return content

    @property
    def translations(self) -> list[ArticleContent]:
        found = [content for content in self.contents if content.locale != self.source_locale]
        return sorted(found, key=lambda content: content.locale)


class ArticleTag(Base):
    """Product and topic tags in one table, so that both filter with the same indexed query."""

    __tablename__ = "article_tags"
    __table_args__ = (Index("ix_article_tags_kind_tag", "tag_kind", "tag"),)

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    tag_kind: Mapped[TagKind] = mapped_column(String(16), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)


class ArticleContent(TimestampMixin, Base):
    """One locale of an article: the source text or a translation of it."""

    __tablename__ = "article_contents"
    __table_args__ = (
        UniqueConstraint("article_id", "locale"),
        Index("ix_article_contents_locale_status", "locale", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    body_markdown: Mapped[str] = mapped_column(Text)
    status: Mapped[ArticleStatus] = mapped_column(String(16), default=ArticleStatus.DRAFT)
    # For a translation: the source's version number it was translated from (stale when the
    # source has moved on). None for the source content itself.
    source_version: Mapped[int | None] = mapped_column(Integer)

    article: Mapped[Article] = relationship(back_populates="contents")
    question_rows: Mapped[list[ArticleQuestion]] = relationship(
        cascade="all, delete-orphan", order_by="ArticleQuestion.position"
    )

    @property
    def questions(self) -> list[str]:
        return [row.text for row in self.question_rows]

    @property
    def is_source(self) -> bool:
        return self.locale == self.article.source_locale


class ArticleQuestion(Base):
    """A question the content answers, phrased as a customer would ask it (search matches these)."""

    __tablename__ = "article_questions"
    __table_args__ = (UniqueConstraint("content_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("article_contents.id", ondelete="CASCADE"))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(String(300))


class ArticleVersion(Base):
    """A snapshot of one locale's text after a save. The newest row is the current version."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "locale", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(16))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    body_markdown: Mapped[str] = mapped_column(Text)
    # A snapshot, never queried by its parts: a JSON list keeps it one row.
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A translation's source version at the time of this snapshot, so a restore brings it back too.
    source_version: Mapped[int | None]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Set when this version was made by restoring an older one.
    restored_from: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchIndexChange(Base):
    """One row per change that the search index must pick up (articles now, forum threads later).

    Written in the same transaction as the change; read after the commit by whoever keeps the
    index, which remembers the highest id it has applied.
    """

    __tablename__ = "search_index_changes"
    __table_args__ = (Index("ix_search_index_changes_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "Article",
    "ArticleContent",
    "ArticleKind",
    "ArticleQuestion",
    "ArticleStatus",
    "ArticleTag",
    "ArticleVersion",
    "SearchIndexChange",
    "TagKind",
]
