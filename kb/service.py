"""Articles: create, edit (PATCH semantics), the status state machine, slugs, lookup and listing.

Translations live in ``kb.translations``, version history in ``kb.versions``, the search feed in
``kb.indexing``. Every function takes a Session, flushes, and raises ``aftercare.errors``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, selectinload

from accounts.models import User
from aftercare.config import get_settings
from aftercare.db import utcnow
from aftercare.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from aftercare.pagination import page_offset, paginate
from kb.indexing import record_search_change
from kb.models import (
    Article,
    ArticleContent,
    ArticleKind,
    ArticleStatus,
    ArticleTag,
    TagKind,
)
from kb.schemas import MAX_SLUG_CHARS, ArticleCreate, ArticleUpdate
from kb.urls import version_path as article_path  # noqa: F401 - imported from here by kb.search and the pages
from kb.versions import save_content
from retrieval.language import normalize_language_tag

# draft -> in_review -> published -> archived is the usual path. An admin may publish a draft
# directly, send a review back to draft, unpublish (published -> draft) and take an archived
# article back to draft to work on it again; archived never jumps straight back to published.
ALLOWED_TRANSITIONS: dict[ArticleStatus, frozenset[ArticleStatus]] = {
    ArticleStatus.DRAFT: frozenset({ArticleStatus.IN_REVIEW, ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED}),
    ArticleStatus.IN_REVIEW: frozenset({ArticleStatus.DRAFT, ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED}),
    ArticleStatus.PUBLISHED: frozenset({ArticleStatus.DRAFT, ArticleStatus.ARCHIVED}),
    ArticleStatus.ARCHIVED: frozenset({ArticleStatus.DRAFT}),
}
MAX_PAGE_SIZE = 100
_SLUG_SEPARATORS = re.compile(r"-+")
# Latin letters that Unicode does not decompose into a base letter plus an accent.
_LATIN_FOLDS = {"ł": "l", "đ": "d", "ð": "d", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i"}


@dataclass(frozen=True)
class ArticleFilters:
    status: ArticleStatus | None = None
    kind: ArticleKind | None = None
    product: str | None = None
    tag: str | None = None
    # Articles with text in this locale (published text, for readers who are not staff).
    locale: str | None = None
    # Case-insensitive substring of a title in any locale.
    q: str | None = None


def check_transition(old: ArticleStatus, new: ArticleStatus, what: str) -> None:
    if new != old and new not in ALLOWED_TRANSITIONS[old]:
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[old]))
        raise InvalidTransition(f"{what} cannot go from {old} to {new}; allowed from {old}: {allowed}")


def supported_locale(locale: str) -> str:
    """The normal form of a language tag this installation supports, else ValidationFailed."""
    settings = get_settings()
    tag = normalize_language_tag(locale)
    if tag is None:
        raise ValidationFailed(f"{locale!r} is not a language tag such as 'en', 'pl' or 'th'")
    if tag not in settings.languages:
        raise ValidationFailed(f"locale {tag!r} is not supported here; supported: {', '.join(settings.languages)}")
    return tag


def slugify(text: str) -> str:
    """A readable slug in any script: Latin accents folded to ASCII, other scripts kept as written."""
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text.lower()):
        if char in _LATIN_FOLDS:
            out.append(_LATIN_FOLDS[char])
        elif char.isascii():
            out.append(char if char.isalnum() else "-")
        else:
            category = unicodedata.category(char)[0]
            ascii_form = "".join(c for c in unicodedata.normalize("NFKD", char) if c.isascii() and c.isalnum())
            if category in ("L", "N") and ascii_form:
                out.append(ascii_form.lower())  # é -> e, ｆｕｌｌ-width -> ascii
            elif category in ("L", "N"):
                out.append(char)
            elif category == "M" and out and not out[-1][-1:].isascii():
                # Thai writes vowels and tone marks as combining marks: they belong to the word.
                out.append(char)
            elif category != "M":
                out.append("-")
    slug = _SLUG_SEPARATORS.sub("-", "".join(out)).strip("-")
    slug = slug[:MAX_SLUG_CHARS].rstrip("-")
    if not slug or slug.isdigit():
        slug = f"article-{slug}" if slug else "article"
    return slug


def unique_slug(session: Session, base: str, *, exclude_article_id: int | None = None) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever no other article uses."""
    base = base[: MAX_SLUG_CHARS - 6].rstrip("-") if len(base) > MAX_SLUG_CHARS - 6 else base
    query = select(Article.slug).where(or_(Article.slug == base, Article.slug.like(f"{base}-%")))
    if exclude_article_id is not None:
        query = query.where(Article.id != exclude_article_id)
    taken = set(session.scalars(query))
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


def _load_options() -> list:
    return [
        selectinload(Article.tag_rows),
        selectinload(Article.contents).selectinload(ArticleContent.question_rows),
    ]


def get_article(session: Session, article_id: int, *, for_update: bool = False) -> Article:
    query = select(Article).where(Article.id == article_id).options(*_load_options())
    if for_update:
        # Concurrent saves of one article take turns, so version numbers never collide.
        query = query.with_for_update(of=Article)
    article = session.scalar(query)
    if article is None:
        raise NotFound(f"article {article_id} not found")
    return article


def get_article_by_slug(session: Session, slug: str) -> Article:
    article = session.scalar(select(Article).where(Article.slug == slug).options(*_load_options()))
    if article is None:
        raise NotFound(f"article {slug!r} not found")
    return article


def find_article_by_slug(session: Session, slug: str) -> Article | None:
    return session.scalar(select(Article).where(Article.slug == slug).options(*_load_options()))


def is_visible(article: Article, *, include_unpublished: bool) -> bool:
    return include_unpublished or article.status == ArticleStatus.PUBLISHED


def get_visible_article(session: Session, article_id: int, *, include_unpublished: bool) -> Article:
    """The article if this reader may see it; otherwise 'not found', so drafts leak nothing."""
    article = get_article(session, article_id)
    if not is_visible(article, include_unpublished=include_unpublished):
        raise NotFound(f"article {article_id} not found")
    return article


def visible_contents(article: Article, *, include_unpublished: bool) -> list[ArticleContent]:
    if include_unpublished:
        return list(article.contents)
    if article.status != ArticleStatus.PUBLISHED:
        return []
    return [content for content in article.contents if content.status == ArticleStatus.PUBLISHED]


def _set_tags(article: Article, kind: TagKind, values: Iterable[str]) -> bool:
    wanted = set(values)
    current = {row.tag for row in article.tag_rows if row.tag_kind == kind}
    if wanted == current:
        return False
    article.tag_rows[:] = [row for row in article.tag_rows if row.tag_kind != kind or row.tag in wanted]
    for tag in sorted(wanted - current):
        article.tag_rows.append(ArticleTag(tag_kind=kind, tag=tag))
    return True


def set_status(session: Session, article: Article, status: ArticleStatus, *, enforce_transitions: bool = True) -> bool:
    """Change the article's status (the source content's status follows). Returns whether it changed.

    ``enforce_transitions=False`` is for declarative imports, where the file states the outcome.
    """
    old = ArticleStatus(article.status)
    if status == old:
        return False
    if enforce_transitions:
        check_transition(old, status, f"article {article.slug!r}")
    now = utcnow()
    article.status = status
    article.source.status = status
    article.updated_at = now
    if status == ArticleStatus.PUBLISHED:
        article.published_at = now
    if ArticleStatus.PUBLISHED in (old, status):
        record_search_change(session, article.id)
    session.flush()
    return True


def publish(session: Session, article: Article) -> Article:
    set_status(session, article, ArticleStatus.PUBLISHED)
    return article


def unpublish(session: Session, article: Article) -> Article:
    if article.status != ArticleStatus.PUBLISHED:
        raise InvalidTransition(f"article {article.slug!r} is {article.status}, not published")
    set_status(session, article, ArticleStatus.DRAFT)
    return article


def archive(session: Session, article: Article) -> Article:
    set_status(session, article, ArticleStatus.ARCHIVED)
    return article


def create_article(session: Session, data: ArticleCreate, *, author: User | None = None) -> Article:
    locale = supported_locale(data.locale or get_settings().default_language)
    if data.slug is not None:
        if session.scalar(select(Article.id).where(Article.slug == data.slug)) is not None:
            raise Conflict(f"an article with slug {data.slug!r} already exists")
        slug = data.slug
    else:
        slug = unique_slug(session, slugify(data.title))
    now = utcnow()
    article = Article(
        slug=slug,
        kind=data.kind,
        status=data.status,
        source_locale=locale,
        author_id=author.id if author is not None else None,
        published_at=now if data.status == ArticleStatus.PUBLISHED else None,
        created_at=now,
        updated_at=now,
    )
    content = ArticleContent(
        locale=locale, title=data.title, body_markdown=data.body, status=data.status, created_at=now, updated_at=now
    )
    article.contents.append(content)
    _set_tags(article, TagKind.PRODUCT, data.products)
    _set_tags(article, TagKind.TOPIC, data.tags)
    session.add(article)
    session.flush()
    # The first version; it also records the search change when the article is born published.
    save_content(session, content, questions=data.questions, author=author, force_version=True)
    return article


def update_article(
    session: Session,
    article: Article,
    changes: ArticleUpdate,
    *,
    author: User | None = None,
    enforce_transitions: bool = True,
) -> Article:
    """Apply the fields given (PATCH); text changes make a new version of the source locale."""
    given = changes.model_fields_set
    was_published = article.status == ArticleStatus.PUBLISHED
    if "status" in given and changes.status is not None and enforce_transitions:
        # Check first, so that a refused transition leaves nothing else changed either.
        check_transition(ArticleStatus(article.status), changes.status, f"article {article.slug!r}")
    metadata_changed = False
    if "slug" in given and changes.slug is not None and changes.slug != article.slug:
        if session.scalar(select(Article.id).where(Article.slug == changes.slug)) is not None:
            raise Conflict(f"an article with slug {changes.slug!r} already exists")
        article.slug, metadata_changed = changes.slug, True
    if "kind" in given and changes.kind is not None and changes.kind != article.kind:
        article.kind, metadata_changed = changes.kind, True
    if "products" in given and changes.products is not None:
        metadata_changed |= _set_tags(article, TagKind.PRODUCT, changes.products)
    if "tags" in given and changes.tags is not None:
        metadata_changed |= _set_tags(article, TagKind.TOPIC, changes.tags)
    if metadata_changed:
        article.updated_at = utcnow()
        if was_published:
            record_search_change(session, article.id)
    save_content(
        session,
        article.source,
        title=changes.title if "title" in given else None,
        body=changes.body if "body" in given else None,
        questions=changes.questions if "questions" in given else None,
        author=author,
    )
    if "status" in given and changes.status is not None:
        set_status(session, article, changes.status, enforce_transitions=enforce_transitions)
    session.flush()
    return article


def delete_article(session: Session, article: Article) -> None:
    if article.status == ArticleStatus.PUBLISHED:
        record_search_change(session, article.id)
    session.delete(article)
    session.flush()


def _title_matches(q: str) -> ColumnElement[bool]:
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return Article.contents.any(ArticleContent.title.ilike(pattern, escape="\\"))


def list_articles(
    session: Session,
    filters: ArticleFilters,
    *,
    include_unpublished: bool,
    page: int = 1,
    page_size: int = 25,
) -> tuple[list[Article], int]:
    offset = page_offset(page, page_size, max_page_size=MAX_PAGE_SIZE)
    query = select(Article)
    if not include_unpublished:
        query = query.where(Article.status == ArticleStatus.PUBLISHED)
    if filters.status is not None:
        query = query.where(Article.status == filters.status)
    if filters.kind is not None:
        query = query.where(Article.kind == filters.kind)
    if filters.product is not None:
        query = query.where(
            Article.tag_rows.any((ArticleTag.tag_kind == TagKind.PRODUCT) & (ArticleTag.tag == filters.product.lower()))
        )
    if filters.tag is not None:
        query = query.where(
            Article.tag_rows.any((ArticleTag.tag_kind == TagKind.TOPIC) & (ArticleTag.tag == filters.tag.lower()))
        )
    if filters.locale is not None:
        in_locale = ArticleContent.locale == filters.locale
        if not include_unpublished:
            in_locale = in_locale & (ArticleContent.status == ArticleStatus.PUBLISHED)
        query = query.where(Article.contents.any(in_locale))
    if filters.q is not None and filters.q.strip():
        query = query.where(_title_matches(filters.q.strip()))
    found = paginate(
        session,
        query.options(*_load_options()).order_by(Article.updated_at.desc(), Article.id.desc()),
        offset=offset,
        limit=page_size,
    )
    return found.items, found.total


@dataclass(frozen=True)
class PublishedVersion:
    """One published language version of a published article, as results and offers link to it."""

    article_id: int
    slug: str
    source_locale: str
    locale: str
    title: str

    @property
    def url(self) -> str:
        return article_path(self.slug, self.locale, self.source_locale)


def published_versions(session: Session, article_ids: Iterable[int]) -> dict[tuple[int, str], PublishedVersion]:
    """(article id, locale) -> that version, for every published version of the published
    articles among ``article_ids``: what a search result, a stored suggestion or an offered
    article may still show."""
    wanted = set(article_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(Article.id, Article.slug, Article.source_locale, ArticleContent.locale, ArticleContent.title)
        .join(ArticleContent, ArticleContent.article_id == Article.id)
        .where(
            Article.id.in_(wanted),
            Article.status == ArticleStatus.PUBLISHED,
            ArticleContent.status == ArticleStatus.PUBLISHED,
        )
    )
    return {(row[0], row[3]): PublishedVersion(*row) for row in rows}
