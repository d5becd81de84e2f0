"""Portal search: results as you type on the home page, the results page ``/search?q=``, the
contact form's suggested articles (deflection), and related articles for article pages.

Everything goes through ``kb.search.service.search``. Snippets are plain text from the index; the
page escapes them and wraps the matched character spans in ``<mark>`` here, so nothing from the
index is ever trusted as markup.

Whatever the search ranks is shown, confident or not: a customer who typed "wifi" or a Polish
question whose answer scores below the threshold still sees the article. ``answered`` decides only
what the page claims: "N results" against "These might help", whether the contact form says the
articles "may answer your question", and whether the deflection funnel counts the attempt (a
guess that was offered is not a deflection we can take credit for).

Typing logs one search per pause, and "how", "how do I", "how do I reset" are one question: each
browser's latest search is remembered (a signed cookie), and a search that only extends or trims
it within a short time replaces its row (see ``kb.feedback.service.settle_typed_search``).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from aftercare.errors import RateLimited, ValidationFailed
from kb.feedback import service as feedback
from kb.models import Article, ArticleContent
from kb.search import service as search_service
from kb.search.models import SearchSource
from web import i18n, ratelimit
from web.deps import DbSession, PagePrincipal, bookkeeping_session
from web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)

TYPING_LIMIT = 5
PAGE_LIMIT = 10
DEFLECTION_LIMIT = 3
MIN_QUERY_CHARS = 2
# Far above what typing produces (one request per 250 ms pause), far below what a scraper wants.
LAST_SEARCH_COOKIE = "aftercare_last_search"
ATTEMPT_COOKIE = "aftercare_contact_attempt"
ATTEMPT_MAX_AGE = 3 * 3600


@dataclass(frozen=True)
class ResultView:
    """One search result as the portal shows it."""

    type: str
    title: str
    url: str
    snippet_html: Markup
    locale: str
    confidence: float
    article_id: int | None
    slug: str | None
    has_answer: bool | None


def highlight(text: str, spans: list[tuple[int, int]] | list[list[int]]) -> Markup:
    """``text`` escaped, with each [start, end) span wrapped in ``<mark>`` (overlaps merged)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((int(a), int(b)) for a, b in spans):
        start, end = max(0, start), min(len(text), end)
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    parts: list[str] = []
    position = 0
    for start, end in merged:
        parts.append(str(escape(text[position:start])))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    parts.append(str(escape(text[position:])))
    return Markup("".join(parts))


def _view(hit: Any, *, attempt: str | None = None) -> ResultView:
    """``hit`` as shown; with ``attempt``, an article's link carries the contact attempt (the funnel)."""
    url = hit.url
    if attempt and hit.type == "article":
        url += ("&" if "?" in url else "?") + f"attempt={attempt}"
    return ResultView(
        type=hit.type,
        title=hit.title,
        url=url,
        snippet_html=highlight(hit.snippet, hit.highlight_spans),
        locale=hit.locale,
        confidence=hit.confidence,
        article_id=hit.article_id,
        slug=hit.slug,
        has_answer=hit.has_answer,
    )


# ---- the browser's latest search, so that typing replaces rather than piles up -----------------


def _sign(request: Request, value: str) -> str:
    secret = request.app.state.settings.secret_key.encode()
    return hmac.new(secret, f"last-search:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def _previous_log_id(request: Request, source: SearchSource) -> int | None:
    raw = request.cookies.get(LAST_SEARCH_COOKIE, "")
    value, _, signature = raw.rpartition(".")
    kind, _, log_id = value.partition(":")
    if kind != source.value or not log_id.isdigit() or not hmac.compare_digest(signature, _sign(request, value)):
        return None
    return int(log_id)


def _remember_log(request: Request, response: Response, source: SearchSource, log_id: int | None) -> None:
    if log_id is None:
        return
    value = f"{source.value}:{log_id}"
    response.set_cookie(
        LAST_SEARCH_COOKIE,
        f"{value}.{_sign(request, value)}",
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
        path="/",
    )


def _run(
    request: Request,
    session: Session,
    text: str,
    *,
    limit: int,
    source: SearchSource,
) -> search_service.SearchOutcome:
    with ratelimit.search_allowance(request, text):
        outcome = search_service.search(
            session,
            text,
            limit=limit,
            source=source,
            customer_language=i18n.request_language(request),
            log=False,
        )
    previous = _previous_log_id(request, source)
    with bookkeeping_session(request) as log_session:
        outcome.log_id = feedback.settle_typed_search(log_session, outcome, source, previous_log_id=previous)
    return outcome


# ---- the results page and the as-you-type fragment ----------------------------------------------


@router.get("/search")
def search_page(
    request: Request,
    session: DbSession,
    principal: PagePrincipal,
    q: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    text = " ".join(q.split())
    # Under the home page's box, a link to the full results page; on that page, none.
    more_link = is_htmx(request) and "/search" not in request.headers.get("hx-current-url", "")
    context: dict[str, Any] = {"q": text, "outcome": None, "results": [], "error": None, "more_link": more_link}
    status_code = 200
    headers: dict[str, str] = {}
    if len(text) >= MIN_QUERY_CHARS:
        try:
            outcome = _run(
                request,
                session,
                text,
                limit=TYPING_LIMIT if is_htmx(request) else PAGE_LIMIT,
                source=SearchSource.PORTAL,
            )
            context.update(outcome=outcome, results=[_view(hit) for hit in outcome.results])
        except ValidationFailed:
            context["error"] = i18n.translator(request).gettext("That search is too long. Please use fewer words.")
            status_code = 422
        except RateLimited as error:
            context["error"] = i18n.translator(request).gettext(
                "You have sent many requests in a short time. Please try again in %(seconds)s seconds."
            ) % {"seconds": error.retry_after}
            status_code, headers = 429, {"Retry-After": str(error.retry_after)}
    response = render(request, "portal/search.html", context, block="results", status_code=status_code, headers=headers)
    outcome = context["outcome"]
    _remember_log(request, response, SearchSource.PORTAL, outcome.log_id if outcome else None)
    return response


# ---- contact form: suggested articles while the customer types ----------------------------------


def contact_attempt(request: Request, session: Session) -> tuple[str, bool]:
    """(attempt id, whether it is new): the browser's current contact attempt, or a new one once the
    previous attempt ended (a ticket was sent or an article solved the problem)."""
    current = request.cookies.get(ATTEMPT_COOKIE)
    if feedback.is_token(current) and not feedback.attempt_finished(session, current):
        return current, False
    return feedback.new_token(), True


def deflection_query(subject: str, body: str) -> str:
    text = " ".join(f"{subject}\n{body}".split())
    return (
        text[: search_service.MAX_QUERY_CHARS].rsplit(" ", 1)[0] if len(text) > search_service.MAX_QUERY_CHARS else text
    )


@router.get("/contact/suggestions")
def contact_suggestions(
    request: Request,
    session: DbSession,
    principal: PagePrincipal,
    subject: Annotated[str, Query(max_length=2000)] = "",
    body: Annotated[str, Query(max_length=20_000)] = "",
    article: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The contact page's "Before you send" panel, for what the customer has typed so far."""
    if not is_htmx(request):
        return RedirectResponse("/contact", status_code=303)
    attempt, new_attempt = contact_attempt(request, session)
    text = deflection_query(subject, body)
    context: dict[str, Any] = {
        "results": [],
        "outcome": None,
        "answered": False,
        "attempt": attempt,
        "typed": bool(text),
        "from_article": None,
    }
    if article:
        found = _published_article(session, article)
        if found is not None:
            context["from_article"] = found
    if len(text) >= MIN_QUERY_CHARS * 3:
        try:
            outcome = _run(request, session, text, limit=DEFLECTION_LIMIT, source=SearchSource.CONTACT)
        except (ValidationFailed, RateLimited):
            outcome = None
        if outcome is not None:
            # Shown either way, labelled by ``answered``; only a confident set is offered as an
            # answer, so only it enters the deflection funnel (shown, opened, solved).
            link_attempt = attempt if outcome.answered else None
            context.update(
                outcome=outcome,
                answered=outcome.answered,
                results=[_view(hit, attempt=link_attempt) for hit in outcome.results],
            )
            if outcome.answered and outcome.results:
                with bookkeeping_session(request) as record_session:
                    feedback.record_suggestions_shown(record_session, attempt)
    response = render(request, "pages/contact.html", context, block="deflection_results")
    if new_attempt:
        settings = request.app.state.settings
        response.set_cookie(
            ATTEMPT_COOKIE,
            attempt,
            max_age=ATTEMPT_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            path="/",
        )
    outcome = context["outcome"]
    _remember_log(request, response, SearchSource.CONTACT, outcome.log_id if outcome else None)
    return response


def record_contact_submitted(request: Request, session: Session, ticket) -> None:
    """The contact form's hook: this browser's attempt ended in a ticket (sent anyway)."""
    feedback.record_ticket_submitted(session, request.cookies.get(ATTEMPT_COOKIE), ticket)


def _published_article(session: Session, slug: str) -> Article | None:
    from kb import service

    found = service.find_article_by_slug(session, slug)
    return found if found is not None and service.is_visible(found, include_unpublished=False) else None


# ---- related articles (article pages) -----------------------------------------------------------


def related_articles(session: Session, article: Article, content: ArticleContent, *, limit: int) -> list[ResultView]:
    """Other articles on the same subject: a search by this article's title, itself left out.

    Not logged: it is the page asking, not a customer.
    """
    try:
        outcome = search_service.search(
            session,
            content.title,
            language=content.locale,
            limit=limit + 1,
            types=("article",),
            source=SearchSource.PORTAL,
            customer_language=content.locale,
            log=False,
        )
    except ValidationFailed:
        return []
    return [_view(hit) for hit in outcome.results if hit.article_id != article.id][:limit]
