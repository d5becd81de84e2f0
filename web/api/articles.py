"""Articles API: the knowledge base for readers (published only) and staff, writes for admins.

Readers without a staff token see published articles in their published locales; anything else
is "not found". Agents read everything, including drafts and history; only admins write.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from accounts.service import Principal
from aftercare.errors import NotFound
from kb import service, translations, versions
from kb.markdown import render_markdown
from kb.models import (
    Article,
    ArticleContent,
    ArticleKind,
    ArticleStatus,
    ArticleVersion,
)
from kb.schemas import (
    ArticleCreate,
    ArticlePage,
    ArticleRead,
    ArticleSummary,
    ArticleUpdate,
    ArticleVersionRead,
    LocaleCoverage,
    TranslationCreate,
    TranslationList,
    TranslationRead,
    TranslationUpdate,
)
from web.deps import AdminPrincipal, ApiPrincipal, DbSession, StaffPrincipal
from web.openapi import error_responses

router = APIRouter(prefix="/api/v1/articles", tags=["articles"])
# A slug or translation that exists already, or a status change the workflow does not allow.
CONFLICT = error_responses(409)

LocaleQuery = Annotated[str | None, Query(max_length=35, description="A language tag such as 'pl'.")]


def _shown_content(article: Article, locale: str | None, *, include_unpublished: bool) -> ArticleContent:
    """The text in the asked locale when this reader may see it, else the source text."""
    if locale is not None:
        wanted = service.supported_locale(locale)
        for content in service.visible_contents(article, include_unpublished=include_unpublished):
            if content.locale == wanted:
                return content
    return article.source


def article_summary(article: Article, principal: Principal, locale: str | None = None) -> ArticleSummary:
    staff = principal.is_staff
    content = _shown_content(article, locale, include_unpublished=staff)
    return ArticleSummary(
        id=article.id,
        slug=article.slug,
        kind=article.kind,
        status=article.status,
        source_locale=article.source_locale,
        locale=content.locale,
        title=content.title,
        products=article.products,
        tags=article.tags,
        locales=[c.locale for c in service.visible_contents(article, include_unpublished=staff)],
        created_at=article.created_at,
        updated_at=article.updated_at,
        published_at=article.published_at,
    )


def article_read(session: Session, article: Article, principal: Principal, locale: str | None = None) -> ArticleRead:
    summary = article_summary(article, principal, locale)
    content = article.content(summary.locale)
    assert content is not None
    coverage = missing = None
    if principal.is_staff:
        found = translations.language_coverage(session, article)
        coverage = [
            LocaleCoverage(
                locale=c.locale,
                status=c.status,
                is_source=c.is_source,
                version=number,
                source_version=c.source_version,
                stale=stale,
            )
            for c, number, stale in found.contents
        ]
        missing = found.missing_locales
    return ArticleRead(
        **summary.model_dump(),
        body=content.body_markdown,
        body_html=str(render_markdown(content.body_markdown)),
        questions=content.questions,
        version=versions.current_version(session, article.id, content.locale),
        author_id=article.author_id,
        coverage=coverage,
        missing_locales=missing,
    )


def translation_read(session: Session, article: Article, content: ArticleContent) -> TranslationRead:
    source_now = versions.current_version(session, article.id, article.source_locale)
    return TranslationRead(
        article_id=article.id,
        locale=content.locale,
        is_source=content.is_source,
        title=content.title,
        body=content.body_markdown,
        body_html=str(render_markdown(content.body_markdown)),
        questions=content.questions,
        status=content.status,
        version=versions.current_version(session, article.id, content.locale),
        source_version=content.source_version,
        source_current_version=source_now,
        stale=versions.is_stale(content, source_now),
        created_at=content.created_at,
        updated_at=content.updated_at,
    )


def version_read(version: ArticleVersion) -> ArticleVersionRead:
    return ArticleVersionRead(
        version=version.version,
        locale=version.locale,
        title=version.title,
        body=version.body_markdown,
        questions=list(version.questions),
        source_version=version.source_version,
        author_id=version.author_id,
        restored_from=version.restored_from,
        created_at=version.created_at,
    )


def _visible_translation(article: Article, locale: str, principal: Principal) -> ArticleContent:
    content = translations.get_translation(article, locale)
    if content not in service.visible_contents(article, include_unpublished=principal.is_staff):
        raise NotFound(f"article {article.id} has no {content.locale} translation")
    return content


@router.post("", status_code=201, response_model=ArticleRead, responses=CONFLICT)
def create_article(data: ArticleCreate, session: DbSession, principal: AdminPrincipal) -> ArticleRead:
    article = service.create_article(session, data, author=principal.user)
    return article_read(session, service.get_article(session, article.id), principal)


@router.get("", response_model=ArticlePage)
def list_articles(
    session: DbSession,
    principal: ApiPrincipal,
    status: ArticleStatus | None = None,
    kind: ArticleKind | None = None,
    product: Annotated[str | None, Query(max_length=64)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    locale: LocaleQuery = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of a title, in any locale.")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)] = 25,
) -> ArticlePage:
    filters = service.ArticleFilters(
        status=status,
        kind=kind,
        product=product,
        tag=tag,
        locale=service.supported_locale(locale) if locale is not None else None,
        q=q,
    )
    articles, total = service.list_articles(
        session, filters, include_unpublished=principal.is_staff, page=page, page_size=page_size
    )
    return ArticlePage(
        items=[article_summary(article, principal, filters.locale) for article in articles],
        page=page,
        page_size=page_size,
        total=total,
    )


@router.get("/slug/{slug}", response_model=ArticleRead)
def get_article_by_slug(
    slug: str, session: DbSession, principal: ApiPrincipal, locale: LocaleQuery = None
) -> ArticleRead:
    article = service.get_article_by_slug(session, slug)
    if not service.is_visible(article, include_unpublished=principal.is_staff):
        raise NotFound(f"article {slug!r} not found")
    return article_read(session, article, principal, locale)


@router.get("/{article_id}", response_model=ArticleRead)
def get_article(
    article_id: int, session: DbSession, principal: ApiPrincipal, locale: LocaleQuery = None
) -> ArticleRead:
    article = service.get_visible_article(session, article_id, include_unpublished=principal.is_staff)
    return article_read(session, article, principal, locale)


@router.patch("/{article_id}", response_model=ArticleRead, responses=CONFLICT)
def update_article(
    article_id: int, changes: ArticleUpdate, session: DbSession, principal: AdminPrincipal
) -> ArticleRead:
    article = service.get_article(session, article_id, for_update=True)
    service.update_article(session, article, changes, author=principal.user)
    return article_read(session, article, principal)


@router.delete("/{article_id}", status_code=204)
def delete_article(article_id: int, session: DbSession, principal: AdminPrincipal) -> Response:
    service.delete_article(session, service.get_article(session, article_id, for_update=True))
    return Response(status_code=204)


@router.get("/{article_id}/versions", response_model=list[ArticleVersionRead])
def list_versions(
    article_id: int, session: DbSession, principal: StaffPrincipal, locale: LocaleQuery = None
) -> list[ArticleVersionRead]:
    article = service.get_article(session, article_id)
    wanted = service.supported_locale(locale) if locale is not None else article.source_locale
    return [version_read(v) for v in versions.list_versions(session, article, wanted)]


@router.get("/{article_id}/versions/{number}", response_model=ArticleVersionRead)
def get_version(
    article_id: int, number: int, session: DbSession, principal: StaffPrincipal, locale: LocaleQuery = None
) -> ArticleVersionRead:
    article = service.get_article(session, article_id)
    wanted = service.supported_locale(locale) if locale is not None else article.source_locale
    return version_read(versions.get_version(session, article, wanted, number))


@router.post("/{article_id}/versions/{number}/restore", response_model=ArticleVersionRead)
def restore_version(
    article_id: int, number: int, session: DbSession, principal: AdminPrincipal, locale: LocaleQuery = None
) -> ArticleVersionRead:
    """Make version ``number`` current again, as a new version; answers with that new version."""
    article = service.get_article(session, article_id, for_update=True)
    wanted = service.supported_locale(locale) if locale is not None else article.source_locale
    return version_read(versions.restore_version(session, article, wanted, number, author=principal.user))


@router.get("/{article_id}/translations", response_model=TranslationList)
def list_translations(article_id: int, session: DbSession, principal: ApiPrincipal) -> TranslationList:
    staff = principal.is_staff
    article = service.get_visible_article(session, article_id, include_unpublished=staff)
    coverage = translations.language_coverage(session, article)
    visible = service.visible_contents(article, include_unpublished=staff)
    return TranslationList(
        article_id=article.id,
        source_locale=article.source_locale,
        source_version=coverage.source_version,
        items=[translation_read(session, article, c) for c in article.translations if c in visible],
        missing_locales=coverage.missing_locales if staff else None,
    )


@router.post("/{article_id}/translations", status_code=201, response_model=TranslationRead, responses=CONFLICT)
def add_translation(
    article_id: int, data: TranslationCreate, session: DbSession, principal: AdminPrincipal
) -> TranslationRead:
    article = service.get_article(session, article_id, for_update=True)
    content = translations.add_translation(session, article, data, author=principal.user)
    return translation_read(session, article, content)


@router.get("/{article_id}/translations/{locale}", response_model=TranslationRead)
def get_translation(article_id: int, locale: str, session: DbSession, principal: ApiPrincipal) -> TranslationRead:
    article = service.get_visible_article(session, article_id, include_unpublished=principal.is_staff)
    return translation_read(session, article, _visible_translation(article, locale, principal))


@router.patch("/{article_id}/translations/{locale}", response_model=TranslationRead, responses=CONFLICT)
def update_translation(
    article_id: int, locale: str, changes: TranslationUpdate, session: DbSession, principal: AdminPrincipal
) -> TranslationRead:
    article = service.get_article(session, article_id, for_update=True)
    content = translations.update_translation(session, article, locale, changes, author=principal.user)
    return translation_read(session, article, content)


@router.delete("/{article_id}/translations/{locale}", status_code=204, responses=CONFLICT)
def delete_translation(article_id: int, locale: str, session: DbSession, principal: AdminPrincipal) -> Response:
    article = service.get_article(session, article_id, for_update=True)
    translations.delete_translation(session, article, locale)
    return Response(status_code=204)
