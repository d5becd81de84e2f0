"""Translations of an article: add, edit, status, delete, and which locales are there or stale.

A translation is an ``ArticleContent`` in another locale than the article's source. It keeps the
source version it was made from; when the source gets a newer version, the translation is stale
until someone saves it again (or says which source version it matches).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from accounts.models import User
from aftercare.config import get_settings
from aftercare.db import utcnow
from aftercare.errors import Conflict, NotFound, ValidationFailed
from kb.indexing import record_search_change
from kb.models import Article, ArticleContent, ArticleStatus
from kb.schemas import TranslationCreate, TranslationUpdate
from kb.service import check_transition, supported_locale
from kb.versions import current_version, current_versions, is_stale, save_content


@dataclass(frozen=True)
class Coverage:
    """Which locales an article has, in which state, and which supported locales it lacks."""

    source_locale: str
    source_version: int
    # (content, its current version, stale?) for every locale, the source first.
    contents: list[tuple[ArticleContent, int, bool]]
    missing_locales: list[str]


def _source_version_to_keep(requested: int | None, source_now: int) -> int:
    if requested is None:
        return source_now
    if requested > source_now:
        raise ValidationFailed(f"source_version {requested} does not exist yet; the source is at version {source_now}")
    return requested


def _touch_search_if_visible(session: Session, article: Article, *statuses: ArticleStatus) -> None:
    if article.status == ArticleStatus.PUBLISHED and ArticleStatus.PUBLISHED in statuses:
        record_search_change(session, article.id)


def get_translation(article: Article, locale: str) -> ArticleContent:
    """The content in ``locale`` (the source content too, when asked for the source locale)."""
    content = article.content(supported_locale(locale))
    if content is None:
        raise NotFound(f"article {article.id} has no {locale} translation")
    return content


def get_editable_translation(article: Article, locale: str) -> ArticleContent:
    content = get_translation(article, locale)
    if content.is_source:
        raise Conflict(
            f"{content.locale} is the source locale of article {article.id}; edit it through the article itself"
        )
    return content


def add_translation(
    session: Session, article: Article, data: TranslationCreate, *, author: User | None = None
) -> ArticleContent:
    locale = supported_locale(data.locale)
    if locale == article.source_locale:
        raise Conflict(f"{locale} is the source locale of article {article.id}; it is not a translation")
    if article.content(locale) is not None:
        raise Conflict(f"article {article.id} already has a {locale} translation; edit it instead")
    source_now = current_version(session, article.id, article.source_locale)
    now = utcnow()
    content = ArticleContent(
        locale=locale,
        title=data.title,
        body_markdown=data.body,
        status=data.status,
        source_version=_source_version_to_keep(data.source_version, source_now),
        created_at=now,
        updated_at=now,
    )
    article.contents.append(content)
    session.flush()
    # The first version; it also records the search change when it is born published.
    save_content(session, content, questions=data.questions, author=author, force_version=True)
    return content


def set_translation_status(
    session: Session,
    article: Article,
    content: ArticleContent,
    status: ArticleStatus,
    *,
    enforce_transitions: bool = True,
) -> bool:
    old = ArticleStatus(content.status)
    if status == old:
        return False
    if enforce_transitions:
        check_transition(old, status, f"the {content.locale} translation of {article.slug!r}")
    content.status = status
    content.updated_at = utcnow()
    _touch_search_if_visible(session, article, old, status)
    session.flush()
    return True


def update_translation(
    session: Session,
    article: Article,
    locale: str,
    changes: TranslationUpdate,
    *,
    author: User | None = None,
    enforce_transitions: bool = True,
) -> ArticleContent:
    """PATCH a translation. New text counts as translated from the current source unless
    ``source_version`` says otherwise."""
    content = get_editable_translation(article, locale)
    given = changes.model_fields_set
    if "status" in given and changes.status is not None and enforce_transitions:
        check_transition(ArticleStatus(content.status), changes.status, f"the {content.locale} translation")
    text_given = any(field in given for field in ("title", "body", "questions"))
    source_version = None
    if "source_version" in given or text_given:
        source_now = current_version(session, article.id, article.source_locale)
        source_version = _source_version_to_keep(changes.source_version, source_now)
    save_content(
        session,
        content,
        title=changes.title if "title" in given else None,
        body=changes.body if "body" in given else None,
        questions=changes.questions if "questions" in given else None,
        source_version=source_version,
        author=author,
    )
    if "status" in given and changes.status is not None:
        set_translation_status(session, article, content, changes.status, enforce_transitions=enforce_transitions)
    session.flush()
    return content


def delete_translation(session: Session, article: Article, locale: str) -> None:
    content = get_editable_translation(article, locale)
    _touch_search_if_visible(session, article, ArticleStatus(content.status))
    article.contents.remove(content)
    article.updated_at = utcnow()
    session.flush()


def language_coverage(session: Session, article: Article) -> Coverage:
    versions = current_versions(session, [article.id])
    source_now = versions.get((article.id, article.source_locale), 0)
    ordered = sorted(article.contents, key=lambda content: (not content.is_source, content.locale))
    contents = [
        (content, versions.get((article.id, content.locale), 0), is_stale(content, source_now)) for content in ordered
    ]
    present = {content.locale for content in article.contents}
    missing = [locale for locale in get_settings().languages if locale not in present]
    return Coverage(article.source_locale, source_now, contents, missing)
