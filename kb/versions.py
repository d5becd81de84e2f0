"""Version history of article texts: every save of a locale's title, body or questions is a row.

The newest ``ArticleVersion`` row of an (article, locale) is its current version, so the version
number is derived from rows, never kept as a counter. Restoring copies an old version into a new
one: history only grows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import User
from aftercare.db import utcnow
from aftercare.errors import NotFound
from kb.indexing import record_search_change
from kb.models import (
    Article,
    ArticleContent,
    ArticleQuestion,
    ArticleStatus,
    ArticleVersion,
)


def current_version(session: Session, article_id: int, locale: str) -> int:
    """The version number of this locale's text (0 if it was never saved)."""
    latest = session.scalar(
        select(func.max(ArticleVersion.version)).where(
            ArticleVersion.article_id == article_id, ArticleVersion.locale == locale
        )
    )
    return latest or 0


def current_versions(session: Session, article_ids: Iterable[int]) -> dict[tuple[int, str], int]:
    """Current version of every locale of these articles, keyed by (article id, locale)."""
    ids = sorted(set(article_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(ArticleVersion.article_id, ArticleVersion.locale, func.max(ArticleVersion.version))
        .where(ArticleVersion.article_id.in_(ids))
        .group_by(ArticleVersion.article_id, ArticleVersion.locale)
    )
    return {(article_id, locale): version for article_id, locale, version in rows}


def is_stale(content: ArticleContent, source_version: int) -> bool:
    """A translation is stale when the source has a newer version than the one it was made from."""
    if content.is_source:
        return False
    return (content.source_version or 0) < source_version


def set_questions(content: ArticleContent, questions: Sequence[str]) -> None:
    # Rows are reused by position: rewriting a row in place never collides with the
    # (content, position) unique key the way delete-then-insert in one flush could.
    rows = content.question_rows
    for position, text in enumerate(questions):
        if position < len(rows):
            rows[position].text = text
        else:
            rows.append(ArticleQuestion(position=position, text=text))
    del rows[len(questions) :]


def save_content(
    session: Session,
    content: ArticleContent,
    *,
    title: str | None = None,
    body: str | None = None,
    questions: Sequence[str] | None = None,
    source_version: int | None = None,
    author: User | None = None,
    restored_from: int | None = None,
    force_version: bool = False,
) -> ArticleVersion | None:
    """Apply the given text changes and record the result as a new version.

    Returns the new version, or None when nothing differed (no empty versions in the history).
    ``force_version`` records a version even then: the first save of a new content.
    """
    changed = force_version
    if title is not None and title != content.title:
        content.title, changed = title, True
    if body is not None and body != content.body_markdown:
        content.body_markdown, changed = body, True
    if questions is not None and list(questions) != content.questions:
        set_questions(content, questions)
        changed = True
    if source_version is not None and source_version != content.source_version:
        content.source_version, changed = source_version, True
    if not changed:
        return None
    now = utcnow()
    content.updated_at = now
    article = content.article
    article.updated_at = now
    session.flush()
    version = ArticleVersion(
        article_id=article.id,
        locale=content.locale,
        version=current_version(session, article.id, content.locale) + 1,
        title=content.title,
        body_markdown=content.body_markdown,
        questions=content.questions,
        source_version=content.source_version,
        author_id=author.id if author is not None else None,
        restored_from=restored_from,
        created_at=now,
    )
    session.add(version)
    if article.status == ArticleStatus.PUBLISHED and content.status == ArticleStatus.PUBLISHED:
        record_search_change(session, article.id)
    session.flush()
    return version


def list_versions(session: Session, article: Article, locale: str) -> list[ArticleVersion]:
    """This locale's history, newest first."""
    if article.content(locale) is None:
        raise NotFound(f"article {article.id} has no {locale} text")
    return list(
        session.scalars(
            select(ArticleVersion)
            .where(ArticleVersion.article_id == article.id, ArticleVersion.locale == locale)
            .order_by(ArticleVersion.version.desc())
        )
    )


def get_version(session: Session, article: Article, locale: str, number: int) -> ArticleVersion:
    version = session.scalar(
        select(ArticleVersion).where(
            ArticleVersion.article_id == article.id,
            ArticleVersion.locale == locale,
            ArticleVersion.version == number,
        )
    )
    if version is None:
        raise NotFound(f"article {article.id} has no version {number} in {locale}")
    return version


def restore_version(
    session: Session, article: Article, locale: str, number: int, *, author: User | None = None
) -> ArticleVersion:
    """Make an old version current again, as a new version (the versions in between stay)."""
    content = article.content(locale)
    if content is None:
        raise NotFound(f"article {article.id} has no {locale} text")
    old = get_version(session, article, locale, number)
    restored = save_content(
        session,
        content,
        title=old.title,
        body=old.body_markdown,
        questions=list(old.questions),
        source_version=old.source_version if not content.is_source else None,
        author=author,
        restored_from=old.version,
        force_version=True,
    )
    assert restored is not None  # force_version always records one
    return restored
