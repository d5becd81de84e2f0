"""Knowledge studio: one translation beside its source, with a stale marker and what changed since.

A translation records the source version it was made from; when the source has moved on, the page
says so and shows the source's changes since then, so the translator updates only what changed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from accounts.service import Principal
from aftercare.errors import DomainError, ValidationFailed
from kb import service, translations, versions
from kb.markdown import render_markdown
from kb.models import Article, ArticleStatus
from kb.schemas import MAX_ARTICLE_BODY_CHARS, TranslationCreate, TranslationUpdate
from web.csrf import verify_csrf
from web.deps import DbSession, PageAdmin, PageStaff
from web.i18n import N_
from web.pages.admin_diff import version_diff
from web.pages.admin_forms import STATUS_ACTIONS, STATUS_LABELS, split_lines
from web.pages.forms import field_errors
from web.templating import render

router = APIRouter()

DONE_MESSAGES = {
    "saved": N_("Translation saved."),
    "unchanged": N_("Nothing changed."),
    "status": N_("Status changed."),
    "current": N_("Marked as up to date with the source."),
}


def _translation_page(
    request: Request,
    session: Session,
    principal: Principal,
    article: Article,
    locale: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    content = article.content(locale)
    source = article.source
    source_now = versions.current_version(session, article.id, article.source_locale)
    stale = content is not None and versions.is_stale(content, source_now)
    shown = values or {
        "title": content.title if content else "",
        "body": content.body_markdown if content else "",
        "questions": "\n".join(content.questions) if content else "",
    }
    source_changes = None
    if stale and content is not None and content.source_version:
        # What the translator has to catch up on: the source from the version they translated to now.
        old = versions.get_version(session, article, article.source_locale, content.source_version)
        new = versions.get_version(session, article, article.source_locale, source_now)
        source_changes = version_diff(old, new)
    allowed = service.ALLOWED_TRANSITIONS[ArticleStatus(content.status)] if content else frozenset()
    context = {
        "article": article,
        "source": source,
        "source_html": render_markdown(source.body_markdown),
        "source_version": source_now,
        "locale": locale,
        "content": content,
        "version": versions.current_version(session, article.id, locale) if content else 0,
        "stale": stale,
        "source_changes": source_changes,
        "values": shown,
        "errors": errors or {},
        "preview": render_markdown(shown["body"]),
        "status_labels": STATUS_LABELS,
        "actions": [(action, label) for action, (target, label) in STATUS_ACTIONS.items() if target in allowed],
        "notice": DONE_MESSAGES.get(request.query_params.get("done", "")),
        "read_only": not principal.is_admin,
        "max_body": MAX_ARTICLE_BODY_CHARS,
    }
    return render(request, "admin/translation.html", context, status_code=status_code)


def _target(session: Session, article_id: int, locale: str, *, for_update: bool = False) -> tuple[Article, str]:
    article = service.get_article(session, article_id, for_update=for_update)
    return article, service.supported_locale(locale)


@router.get("/articles/{article_id}/translations/{locale}")
def translation_page(
    article_id: int, locale: str, request: Request, session: DbSession, principal: PageStaff
) -> Response:
    article, code = _target(session, article_id, locale)
    if code == article.source_locale:
        return RedirectResponse(f"/admin/articles/{article.id}", status_code=303)
    return _translation_page(request, session, principal, article, code)


@router.post("/articles/{article_id}/translations/{locale}", dependencies=[Depends(verify_csrf)])
def save_translation(
    article_id: int,
    locale: str,
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    title: Annotated[str, Form(max_length=2000)] = "",
    body: Annotated[str, Form(max_length=MAX_ARTICLE_BODY_CHARS * 2)] = "",
    questions: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    article, code = _target(session, article_id, locale, for_update=True)
    values = {"title": title, "body": body, "questions": questions}
    content = article.content(code)
    before = versions.current_version(session, article.id, code)
    try:
        if content is None:
            data = TranslationCreate(locale=code, title=title, body=body, questions=split_lines(questions))
            translations.add_translation(session, article, data, author=principal.user)
        else:
            changes = TranslationUpdate(title=title, body=body, questions=split_lines(questions))
            translations.update_translation(session, article, code, changes, author=principal.user)
    except ValidationError as error:
        return _translation_page(
            request, session, principal, article, code, values=values, errors=field_errors(error), status_code=422
        )
    except DomainError as error:
        return _translation_page(
            request,
            session,
            principal,
            article,
            code,
            values=values,
            errors={"form": error.message},
            status_code=error.status_code,
        )
    done = "saved" if versions.current_version(session, article.id, code) != before else "unchanged"
    return RedirectResponse(f"/admin/articles/{article.id}/translations/{code}?done={done}", status_code=303)


@router.post("/articles/{article_id}/translations/{locale}/status", dependencies=[Depends(verify_csrf)])
def translation_status(
    article_id: int,
    locale: str,
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    action: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    article, code = _target(session, article_id, locale, for_update=True)
    if action not in STATUS_ACTIONS:
        raise ValidationFailed(f"unknown action {action!r}")
    content = translations.get_editable_translation(article, code)
    try:
        translations.set_translation_status(session, article, content, STATUS_ACTIONS[action][0])
    except DomainError as error:
        return _translation_page(
            request, session, principal, article, code, errors={"form": error.message}, status_code=error.status_code
        )
    return RedirectResponse(f"/admin/articles/{article.id}/translations/{code}?done=status", status_code=303)


@router.post("/articles/{article_id}/translations/{locale}/current", dependencies=[Depends(verify_csrf)])
def mark_current(article_id: int, locale: str, session: DbSession, principal: PageAdmin) -> Response:
    """The translator checked the source's changes and the translation still says the same."""
    article, code = _target(session, article_id, locale, for_update=True)
    source_now = versions.current_version(session, article.id, article.source_locale)
    translations.update_translation(
        session, article, code, TranslationUpdate(source_version=source_now), author=principal.user
    )
    return RedirectResponse(f"/admin/articles/{article.id}/translations/{code}?done=current", status_code=303)
