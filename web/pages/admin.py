"""Admin knowledge studio: the article list with language coverage, the editor with live preview,
and the status workflow (draft -> in review -> published).

Admins change articles; agents may read everything here (drafts, history, diffs) but change
nothing, except that they may capture a draft from a ticket (see ``web.pages.agent_suggestions``),
which an admin then reviews and publishes. Translations, history and insights have their own
modules, included below.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from accounts.service import Principal
from aftercare.config import get_settings
from aftercare.errors import Conflict, DomainError, InvalidTransition, ValidationFailed
from kb import service, versions
from kb.feedback.service import feedback_counts
from kb.markdown import render_markdown
from kb.models import Article, ArticleKind, ArticleStatus
from kb.schemas import MAX_ARTICLE_BODY_CHARS, ArticleCreate, ArticleUpdate
from web import i18n
from web.csrf import verify_csrf
from web.deps import DbSession, PageAdmin, PageStaff
from web.i18n import N_
from web.pages.admin_forms import (
    KIND_LABELS,
    STATUS_ACTIONS,
    STATUS_LABELS,
    coverage_by_article,
    split_lines,
    split_list,
)
from web.pages.admin_history import router as history_router
from web.pages.admin_insights import router as insights_router
from web.pages.admin_translations import router as translations_router
from web.pages.forms import field_errors
from web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
router.include_router(translations_router)
router.include_router(history_router)
router.include_router(insights_router)
PAGE_SIZE = 25

CONCURRENT_EDIT = N_(
    "Someone else saved this article (version %(current)s) after you opened it (version "
    "%(base)s). Check the history, then save again to keep your text."
)
SAVED_MESSAGES = {
    "created": N_("Draft created."),
    "saved": N_("Saved."),
    "unchanged": N_("Nothing changed."),
    "status": N_("Status changed."),
    "drafted": N_("Draft created from the ticket. An admin reviews and publishes it."),
}


@router.get("")
def studio_home() -> Response:
    return RedirectResponse("/admin/articles", status_code=303)


@router.get("/articles")
def article_list(
    request: Request,
    session: DbSession,
    principal: PageStaff,
    status: Annotated[str, Query(max_length=16)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    chosen = ArticleStatus(status) if status in set(ArticleStatus) else None
    filters = service.ArticleFilters(status=chosen, q=q.strip() or None)
    articles, total = service.list_articles(session, filters, include_unpublished=True, page=page, page_size=PAGE_SIZE)
    kept = {key: value for key, value in {"status": status if chosen else "", "q": q.strip()}.items() if value}

    def page_url(number: int) -> str:
        return "/admin/articles?" + urlencode({**kept, "page": number})

    context = {
        "articles": articles,
        "total": total,
        "coverage": coverage_by_article(session, articles),
        "languages": get_settings().languages,
        "filters": {"status": status if chosen else "", "q": q.strip()},
        "statuses": list(ArticleStatus),
        "status_labels": STATUS_LABELS,
        "newer_url": page_url(page - 1) if page > 1 else None,
        "older_url": page_url(page + 1) if page * PAGE_SIZE < total else None,
    }
    return render(request, "admin/articles.html", context, block="results")


def _editor_values(article: Article) -> dict[str, str]:
    source = article.source
    return {
        "title": source.title,
        "body": source.body_markdown,
        "questions": "\n".join(source.questions),
        "products": ", ".join(article.products),
        "tags": ", ".join(article.tags),
        "kind": str(article.kind),
        "slug": article.slug,
    }


def _editor_page(
    request: Request,
    session: Session,
    principal: Principal,
    article: Article,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    base_version: int | None = None,
) -> Response:
    shown = values or _editor_values(article)
    current = versions.current_version(session, article.id, article.source_locale)
    context = {
        "article": article,
        "values": shown,
        "errors": errors or {},
        "preview": render_markdown(shown["body"]),
        "coverage": coverage_by_article(session, [article])[article.id],
        "languages": get_settings().languages,
        "version": current,
        "base_version": base_version if base_version is not None else current,
        "kinds": list(ArticleKind),
        "kind_labels": KIND_LABELS,
        "status_labels": STATUS_LABELS,
        "actions": _allowed_actions(article.status),
        "counts": feedback_counts(session, article.id),
        "notice": SAVED_MESSAGES.get(request.query_params.get("done", "")),
        "read_only": not principal.is_admin,
        "max_body": MAX_ARTICLE_BODY_CHARS,
    }
    return render(request, "admin/article.html", context, status_code=status_code)


def _allowed_actions(status: ArticleStatus) -> list[tuple[str, str]]:
    """(action, label) for the status buttons this article's status allows."""
    allowed = service.ALLOWED_TRANSITIONS[ArticleStatus(status)]
    return [(action, label) for action, (target, label) in STATUS_ACTIONS.items() if target in allowed]


@router.get("/articles/new")
def new_article_page(request: Request, principal: PageAdmin) -> Response:
    values = {
        "title": "",
        "body": "",
        "questions": "",
        "products": "",
        "tags": "",
        "kind": "troubleshooting",
        "locale": get_settings().default_language,
        "slug": "",
    }
    return render(
        request,
        "admin/new_article.html",
        {
            "values": values,
            "errors": {},
            "kinds": list(ArticleKind),
            "kind_labels": KIND_LABELS,
            "languages": get_settings().languages,
            "max_body": MAX_ARTICLE_BODY_CHARS,
            "preview": "",
        },
    )


@router.post("/articles", dependencies=[Depends(verify_csrf)])
def create_article(
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    title: Annotated[str, Form(max_length=2000)] = "",
    body: Annotated[str, Form(max_length=MAX_ARTICLE_BODY_CHARS * 2)] = "",
    kind: Annotated[str, Form(max_length=32)] = "",
    locale: Annotated[str, Form(max_length=35)] = "",
    slug: Annotated[str, Form(max_length=500)] = "",
    questions: Annotated[str, Form(max_length=20_000)] = "",
    products: Annotated[str, Form(max_length=2000)] = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    values = {
        "title": title,
        "body": body,
        "kind": kind,
        "locale": locale,
        "slug": slug,
        "questions": questions,
        "products": products,
        "tags": tags,
    }
    errors: dict[str, str] = {}
    try:
        data = ArticleCreate(
            title=title,
            body=body,
            kind=kind,
            locale=locale or None,
            slug=slug.strip() or None,
            questions=split_lines(questions),
            products=split_list(products),
            tags=split_list(tags),
        )
        article = service.create_article(session, data, author=principal.user)
    except ValidationError as error:
        errors = field_errors(error)
    except (ValidationFailed, Conflict) as error:
        errors = {"slug" if "slug" in error.message else "form": error.message}
    if errors:
        return render(
            request,
            "admin/new_article.html",
            {
                "values": values,
                "errors": errors,
                "kinds": list(ArticleKind),
                "kind_labels": KIND_LABELS,
                "languages": get_settings().languages,
                "max_body": MAX_ARTICLE_BODY_CHARS,
                "preview": render_markdown(body),
            },
            status_code=422,
        )
    return RedirectResponse(f"/admin/articles/{article.id}?done=created", status_code=303)


@router.get("/articles/{article_id}")
def article_editor(article_id: int, request: Request, session: DbSession, principal: PageStaff) -> Response:
    article = service.get_article(session, article_id)
    return _editor_page(request, session, principal, article)


@router.post("/articles/{article_id}", dependencies=[Depends(verify_csrf)])
def save_article(
    article_id: int,
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    title: Annotated[str, Form(max_length=2000)] = "",
    body: Annotated[str, Form(max_length=MAX_ARTICLE_BODY_CHARS * 2)] = "",
    kind: Annotated[str, Form(max_length=32)] = "",
    slug: Annotated[str, Form(max_length=500)] = "",
    questions: Annotated[str, Form(max_length=20_000)] = "",
    products: Annotated[str, Form(max_length=2000)] = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
    base_version: Annotated[int, Form(ge=0)] = 0,
) -> Response:
    article = service.get_article(session, article_id, for_update=True)
    values = {
        "title": title,
        "body": body,
        "kind": kind,
        "slug": slug,
        "questions": questions,
        "products": products,
        "tags": tags,
    }
    current = versions.current_version(session, article.id, article.source_locale)
    if base_version != current:
        # Someone saved since this editor was opened: show their version's number, keep this text.
        message = i18n.translator(request).gettext(CONCURRENT_EDIT) % {"current": current, "base": base_version}
        return _editor_page(
            request,
            session,
            principal,
            article,
            values=values,
            errors={"form": message},
            status_code=409,
            base_version=current,
        )
    try:
        changes = ArticleUpdate(
            title=title,
            body=body,
            kind=kind,
            slug=slug.strip() or article.slug,
            questions=split_lines(questions),
            products=split_list(products),
            tags=split_list(tags),
        )
        before = versions.current_version(session, article.id, article.source_locale)
        service.update_article(session, article, changes, author=principal.user)
    except ValidationError as error:
        return _editor_page(
            request,
            session,
            principal,
            article,
            values=values,
            errors=field_errors(error),
            status_code=422,
            base_version=base_version,
        )
    except DomainError as error:
        return _editor_page(
            request,
            session,
            principal,
            article,
            values=values,
            errors={"slug" if "slug" in error.message else "form": error.message},
            status_code=error.status_code,
            base_version=base_version,
        )
    after = versions.current_version(session, article.id, article.source_locale)
    done = "saved" if after != before else "unchanged"
    return RedirectResponse(f"/admin/articles/{article.id}?done={done}", status_code=303)


@router.post("/articles/{article_id}/status", dependencies=[Depends(verify_csrf)])
def change_status(
    article_id: int,
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    action: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    article = service.get_article(session, article_id, for_update=True)
    if action not in STATUS_ACTIONS:
        raise ValidationFailed(f"unknown action {action!r}")
    target, _label = STATUS_ACTIONS[action]
    try:
        service.set_status(session, article, target)
    except InvalidTransition as error:
        return _editor_page(request, session, principal, article, errors={"form": error.message}, status_code=409)
    return RedirectResponse(f"/admin/articles/{article.id}?done=status", status_code=303)


@router.post("/preview", dependencies=[Depends(verify_csrf)])
def markdown_preview(
    request: Request,
    principal: PageStaff,
    body: Annotated[str, Form(max_length=MAX_ARTICLE_BODY_CHARS * 2)] = "",
) -> Response:
    """The editor's live preview: the same renderer and sanitiser as the public article page."""
    return render(
        request, "admin/_preview.html", {"preview": render_markdown(body)}, headers={"Cache-Control": "no-store"}
    )
