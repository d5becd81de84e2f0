"""The data side of search: what may be indexed, and the feed of changes the index must catch up on.

The knowledge base does not search; it tells the search engine (``retrieval``) what there is.
``iter_indexable_documents`` lists one document per published locale of each published article.
Every change that can alter that list writes a ``SearchIndexChange`` row in the same transaction
(``record_search_change``); after the commit, the index keeper reads rows above the last id it
applied (``search_changes_after``) and re-reads those articles. An article id it asked for but
did not get back has been unpublished, archived or deleted: its documents leave the index.

Whoever keeps the index can also be told right after such a commit: each change also records an
event (``kb.events.ArticleChanged``, ``ForumPostChanged``; ``aftercare.events``), delivered after
the commit and never after a rollback; the keeper subscribes (``kb.search.subscribers``), so a
publish is searchable within a second without waiting for the next poll.

Ids are given at insert time, but two concurrent transactions can commit out of id order; a
keeper should re-read a small overlap (say, rows changed in the last minute) rather than trust
"above the last id" alone. Re-indexing an article twice is harmless.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from aftercare.events import record
from kb.events import ArticleChanged, ForumPostChanged
from kb.models import Article, ArticleContent, ArticleStatus, SearchIndexChange

ARTICLE_ENTITY = "article"
# Forum threads in the change feed (kb.forum.indexing.SEARCH_ENTITY_TYPE; defined here, below it).
THREAD_ENTITY = "thread"


@dataclass(frozen=True)
class IndexableDocument:
    """One published locale of one published article, as the search engine indexes it."""

    article_id: int
    slug: str
    locale: str
    # True for the article's source locale, False for a translation.
    is_source: bool
    title: str
    questions: tuple[str, ...]
    body_markdown: str
    kind: str
    products: tuple[str, ...]
    tags: tuple[str, ...]
    updated_at: datetime

    @property
    def doc_id(self) -> str:
        """A stable id per (article, locale), e.g. ``"article:12:pl"``."""
        return f"{ARTICLE_ENTITY}:{self.article_id}:{self.locale}"


def iter_indexable_documents(session: Session, article_ids: Iterable[int] | None = None) -> list[IndexableDocument]:
    """Documents of published articles in their published locales, ordered by (article id, locale).

    ``article_ids`` limits the result to those articles (an incremental update); ``None`` means
    the whole knowledge base (a rebuild).
    """
    query = (
        select(Article)
        .where(Article.status == ArticleStatus.PUBLISHED)
        .options(
            selectinload(Article.tag_rows),
            selectinload(Article.contents).selectinload(ArticleContent.question_rows),
        )
        .order_by(Article.id)
    )
    if article_ids is not None:
        ids = sorted(set(article_ids))
        if not ids:
            return []
        query = query.where(Article.id.in_(ids))
    documents: list[IndexableDocument] = []
    for article in session.scalars(query):
        products, tags = tuple(article.products), tuple(article.tags)
        for content in article.contents:
            if content.status != ArticleStatus.PUBLISHED:
                continue
            documents.append(
                IndexableDocument(
                    article_id=article.id,
                    slug=article.slug,
                    locale=content.locale,
                    is_source=content.locale == article.source_locale,
                    title=content.title,
                    questions=tuple(content.questions),
                    body_markdown=content.body_markdown,
                    kind=str(article.kind),
                    products=products,
                    tags=tags,
                    updated_at=max(article.updated_at, content.updated_at),
                )
            )
    return documents


def record_search_change(session: Session, entity_id: int, *, entity_type: str = ARTICLE_ENTITY) -> None:
    """Note, inside the current transaction, that this entity's searchable form may have changed."""
    session.add(SearchIndexChange(entity_type=entity_type, entity_id=entity_id))
    changed = (
        ForumPostChanged(thread_id=entity_id) if entity_type == THREAD_ENTITY else ArticleChanged(article_id=entity_id)
    )
    record(session, changed)


def search_changes_after(
    session: Session, after_id: int, *, entity_type: str | None = ARTICLE_ENTITY, limit: int = 10_000
) -> list[SearchIndexChange]:
    """Changes with an id above ``after_id``, oldest first (the keeper stores the last id applied)."""
    query = select(SearchIndexChange).where(SearchIndexChange.id > after_id)
    if entity_type is not None:
        query = query.where(SearchIndexChange.entity_type == entity_type)
    return list(session.scalars(query.order_by(SearchIndexChange.id).limit(limit)))


def latest_search_change_id(session: Session) -> int:
    """The newest change id (0 when there is none): cheap enough to poll as an index version."""
    return session.scalar(select(func.max(SearchIndexChange.id))) or 0


def articles_changed_since(session: Session, since: datetime) -> list[int]:
    """Ids of articles with a search-relevant change at or after ``since`` (deleted ones included)."""
    query = (
        select(SearchIndexChange.entity_id)
        .where(SearchIndexChange.entity_type == ARTICLE_ENTITY, SearchIndexChange.changed_at >= since)
        .distinct()
        .order_by(SearchIndexChange.entity_id)
    )
    return list(session.scalars(query))
