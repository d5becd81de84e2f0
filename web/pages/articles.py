"""Portal article pages: the article in the reader's language, other languages, related articles,
"Was this helpful?", and, for a customer who came from the contact form, "This solved my problem".

``?lang=`` chooses which translation to read; the interface itself stays in the reader's own
language (switcher cookie, then the browser's), so a Polish reader opening the English original
keeps Polish buttons. Drafts and unpublished translations are "not found" for the public; staff
see them with a banner (a preview).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from accounts.service import Principal
from aftercare.errors import NotFound
from kb import service
from kb.feedback import service as feedback
from kb.feedback.schemas import MAX_REASON_CHARS, FeedbackCreate, FeedbackReason
from kb.markdown import render_markdown
from kb.models import Article, ArticleContent
from kb.urls import article_path
from web import i18n
from web.csrf import verify_csrf
from web.deps import DbSession, PagePrincipal
from web.pages.forms import localized_field_errors
from web.pages.search import related_articles
from web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)

VISITOR_COOKIE = "aftercare_visitor"
VISITOR_MAX_AGE = 365 * 24 * 3600
RELATED_LIMIT = 4


def reader_language(request: Request) -> str:
    """The interface language from the reader's own choice, ignoring ``?lang=`` (which picks the text)."""
    settings = request.app.state.settings
    language = i18n.choose_language(
        query=None,
        cookie=request.cookies.get(i18n.LANGUAGE_COOKIE),
        accept_language=request.headers.get("accept-language"),
        available=i18n.interface_languages(settings.languages),
        default=settings.default_language,
    )
    request.state.ui_language = language
    return language


def visitor_token(request: Request) -> str:
    """This browser's anonymous visitor id (made now if it has none; ``remember_visitor`` stores it)."""
    token = request.cookies.get(VISITOR_COOKIE)
    if not feedback.is_token(token):
        token = getattr(request.state, "new_visitor", None) or feedback.new_token()
        request.state.new_visitor = token
    return token


def remember_visitor(request: Request, response: Response) -> Response:
    token = getattr(request.state, "new_visitor", None)
    if token:
        settings = request.app.state.settings
        response.set_cookie(
            VISITOR_COOKIE,
            token,
            max_age=VISITOR_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            path="/",
        )
    return response


def _visible_article(session: Session, slug: str, principal: Principal) -> Article:
    article = service.find_article_by_slug(session, slug)
    if article is None or not service.is_visible(article, include_unpublished=principal.is_staff):
        raise NotFound(f"article {slug!r} not found")
    return article


def _chosen_content(article: Article, wanted: str | None, reader: str, principal: Principal) -> ArticleContent:
    """The asked-for translation if visible, else the reader's language, else the source."""
    visible = service.visible_contents(article, include_unpublished=principal.is_staff)
    by_locale = {content.locale: content for content in visible}
    for candidate in (i18n.match_language(wanted, list(by_locale)) if wanted else None, reader):
        if candidate and candidate in by_locale:
            return by_locale[candidate]
    return by_locale.get(article.source_locale) or article.source


def _article_context(
    request: Request,
    session: Session,
    principal: Principal,
    article: Article,
    content: ArticleContent,
    attempt: str | None,
) -> dict:
    visible = service.visible_contents(article, include_unpublished=principal.is_staff)
    token = visitor_token(request)
    vote = feedback.find_feedback(session, article.id, token)
    from_contact = feedback.attempt_opened(session, attempt, article.id)
    return {
        "article": article,
        "content": content,
        "body_html": render_markdown(content.body_markdown),
        "languages": sorted((c.locale for c in visible), key=lambda code: (code != article.source_locale, code)),
        "related": related_articles(session, article, content, limit=RELATED_LIMIT),
        "vote": vote,
        "attempt": attempt if from_contact else None,
        "deflection_confirmed": from_contact and feedback.deflection_confirmed(session, attempt, article.id),
        "is_preview": article.status != "published" or content.status != "published",
        "max_reason": MAX_REASON_CHARS,
        "errors": {},
    }


@router.get("/articles/{slug}")
def article_page(
    slug: str,
    request: Request,
    session: DbSession,
    principal: PagePrincipal,
    lang: Annotated[str, Query(max_length=35)] = "",
    attempt: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    reader = reader_language(request)
    article = _visible_article(session, slug, principal)
    content = _chosen_content(article, lang or None, reader, principal)
    if attempt:
        # Opened from a contact-form suggestion: a step of that attempt's funnel.
        feedback.record_article_opened(session, attempt, article.id)
    context = _article_context(request, session, principal, article, content, attempt or None)
    headers = {"Cache-Control": "no-store"} if context["is_preview"] else None
    return remember_visitor(request, render(request, "portal/article.html", context, headers=headers))


def _feedback_response(
    request: Request,
    session: Session,
    principal: Principal,
    article: Article,
    locale: str,
    *,
    status_code: int = 200,
    errors: dict | None = None,
    reason: str = "",
) -> Response:
    content = _chosen_content(article, locale, reader_language(request), principal)
    if not is_htmx(request) and not errors:
        target = article_path(article.slug, lang=content.locale) + "#feedback"
        return remember_visitor(request, RedirectResponse(target, status_code=303))
    context = _article_context(request, session, principal, article, content, None)
    context.update(errors=errors or {}, reason=reason, just_voted=True)
    return remember_visitor(
        request, render(request, "portal/article.html", context, block="feedback", status_code=status_code)
    )


@router.post("/articles/{slug}/feedback", dependencies=[Depends(verify_csrf)])
def vote(
    slug: str,
    request: Request,
    session: DbSession,
    principal: PagePrincipal,
    helpful: Annotated[str, Form(max_length=8)] = "",
    locale: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    article = _visible_article(session, slug, principal)
    if helpful not in ("yes", "no"):
        return _feedback_response(
            request,
            session,
            principal,
            article,
            locale,
            status_code=422,
            errors={"helpful": i18n.translator(request).gettext("Please choose yes or no.")},
        )
    content = _chosen_content(article, locale or None, reader_language(request), principal)
    feedback.record_feedback(
        session,
        article.id,
        FeedbackCreate(helpful=helpful == "yes", locale=content.locale),
        visitor_token=visitor_token(request),
        customer=principal.customer,
    )
    return _feedback_response(request, session, principal, article, content.locale)


@router.post("/articles/{slug}/feedback/reason", dependencies=[Depends(verify_csrf)])
def give_reason(
    slug: str,
    request: Request,
    session: DbSession,
    principal: PagePrincipal,
    reason: Annotated[str, Form(max_length=MAX_REASON_CHARS * 2)] = "",
    locale: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    article = _visible_article(session, slug, principal)
    try:
        data = FeedbackReason(reason=reason)
    except ValidationError as error:
        errors = localized_field_errors(error, i18n.translator(request))
        return _feedback_response(
            request, session, principal, article, locale, status_code=422, errors=errors, reason=reason
        )
    feedback.add_reason(session, article.id, data, visitor_token=visitor_token(request))
    return _feedback_response(request, session, principal, article, locale)


@router.post("/articles/{slug}/solved", dependencies=[Depends(verify_csrf)])
def solved(
    slug: str,
    request: Request,
    session: DbSession,
    principal: PagePrincipal,
    attempt: Annotated[str, Form(max_length=64)] = "",
    locale: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """ "This solved my problem" from a customer who left the contact form to read this article."""
    article = _visible_article(session, slug, principal)
    if feedback.confirm_deflection(session, attempt, article.id) is None:
        raise NotFound("this article was not opened from the contact form")
    content = _chosen_content(article, locale or None, reader_language(request), principal)
    if not is_htmx(request):
        return RedirectResponse(
            article_path(article.slug, lang=content.locale, attempt=attempt) + "#deflection", status_code=303
        )
    context = _article_context(request, session, principal, article, content, attempt)
    return render(request, "portal/article.html", context, block="deflection")
