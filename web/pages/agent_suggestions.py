"""The ticket page's suggested replies, and turning a ticket into a knowledge-base draft.

The panel loads after the page (htmx ``load``): the top three articles for the ticket, best first,
each with the passage that matched, its confidence and its language, whether or not any is
confident (the confident ones are marked, and the panel says plainly when none is). "Insert" puts
the matched passage into the editor (the article's section, in the ticket's language when the
article has that translation: ``kb.search.suggestions.matched_passage``), followed by a citation
with the article's title and link; the whole article stays one click away. The insertion is
recorded, and whether the reply that was sent still contained it (after the reply's commit, from
the page or the API: ``kb.search.subscribers``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftercare.config import get_settings
from aftercare.errors import NotFound
from helpdesk import service
from helpdesk.models import Ticket
from kb import drafting
from kb import service as kb_service
from kb.models import Article, ArticleContent, ArticleStatus
from kb.search import suggestions
from kb.search.models import TicketSuggestion
from kb.search.service import SearchHit
from web import i18n
from web.csrf import verify_csrf
from web.deps import DbSession
from web.pages.agent_access import PageStaff
from web.pages.search import highlight
from web.templating import is_htmx, render

router = APIRouter()

# The inserted passage's citation, in the ticket's language.
CITATION = i18n.N_("From our help centre article “%(title)s”: %(url)s")
# kb.drafting.NO_ANSWER_YET, marked here for the message catalogue (babel reads web/ only).
_DRAFT_PLACEHOLDER = i18n.N_("Describe the solution here.")


@dataclass(frozen=True)
class SuggestionView:
    id: int
    title: str
    url: str
    locale: str
    confidence: float
    snippet_html: Markup
    reply_locale: str
    draft: str
    # Whether the search would claim this one as an answer (see ``_is_confident``).
    confident: bool
    # The requester's product the article is about (it was boosted for it), if any.
    owned_product: str | None = None

    @property
    def percent(self) -> int:
        return round(self.confidence * 100)

    @property
    def percent_label(self) -> str:
        """ "87%"; "<1%" rather than a "0%" that would read as "certainly wrong"."""
        return f"{self.percent}%" if self.percent >= 1 else "<1%"


# ---- reply drafts --------------------------------------------------------------------------

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)[^)]*\)")
_STRONG = re.compile(r"(\*\*|__)(.+?)\1")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_CODE = re.compile(r"`([^`]+)`")


def plain_text(markdown: str) -> str:
    """Article Markdown as the plain text of an e-mail reply: no #, **, backticks or link syntax."""
    text = _HEADING.sub("", markdown)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1 (\2)", text)
    text = _STRONG.sub(r"\2", text)
    text = _EMPHASIS.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def reply_content(article: Article, ticket_language: str, found_locale: str) -> ArticleContent:
    """The article's published text in the ticket's language if it has one, else its source (the
    language it was written in, usually the site's own), else the version search found: a Polish
    customer reads English more likely than the Indonesian translation that happened to match."""
    visible = {content.locale: content for content in kb_service.visible_contents(article, include_unpublished=False)}
    return (
        visible.get(ticket_language)
        or visible.get(article.source_locale)
        or visible.get(found_locale)
        or article.source
    )


def article_link(article: Article, content: ArticleContent) -> str:
    # The slug as written (not percent-encoded): the link stays readable and recognisable in the reply.
    return get_settings().base_url.rstrip("/") + kb_service.article_path(
        article.slug, content.locale, article.source_locale
    )


def reply_draft(
    article: Article,
    content: ArticleContent,
    language: str,
    *,
    snippet: str,
    query: str,
    found: ArticleContent | None = None,
) -> str:
    """The matched passage as plain text, then the article's title and link as its source."""
    passage = suggestions.matched_passage(
        content.body_markdown, snippet, query, found_markdown=found.body_markdown if found is not None else None
    )
    citation = i18n.translations(language).gettext(CITATION) % {
        "title": content.title,
        "url": article_link(article, content),
    }
    return f"{plain_text(passage)}\n\n{citation}" if passage else citation


# ---- the panel -----------------------------------------------------------------------------


def _is_confident(found: suggestions.TicketSuggestions, hit: SearchHit) -> bool:
    """Whether ``hit`` is marked confident. The search claims only its first result (``answered``);
    a later one whose confidence (a calibrated chance of being right) is at least that first
    result's is as likely right, so it is marked too."""
    return found.answered and bool(found.results) and hit.confidence >= found.results[0].confidence


def _views(session: Session, ticket: Ticket, found: suggestions.TicketSuggestions) -> list[SuggestionView]:
    # All candidates, best first, confident or not: an agent judges a guess better than a blank panel.
    owned = found.owned_products or [None] * len(found.results)
    hits = [
        (hit, row_id, product)
        for hit, row_id, product in zip(found.results, found.suggestion_ids, owned, strict=False)
        if row_id is not None and hit.article_id is not None
    ]
    articles = {
        article.id: article
        for article in session.scalars(
            select(Article).where(
                Article.id.in_([hit.article_id for hit, _, _ in hits]), Article.status == ArticleStatus.PUBLISHED
            )
        )
    }
    query = suggestions.ticket_query(session, ticket) if hits else ""
    views = []
    for hit, row_id, product in hits:
        article = articles.get(hit.article_id)
        if article is None:
            continue
        content = reply_content(article, ticket.language, hit.locale)
        found_content = reply_content(article, hit.locale, hit.locale)  # the text the snippet comes from
        views.append(
            SuggestionView(
                id=row_id,
                title=hit.title,
                url=hit.url,
                locale=hit.locale,
                confidence=hit.confidence,
                snippet_html=highlight(hit.snippet, hit.highlight_spans),
                reply_locale=content.locale,
                draft=reply_draft(
                    article, content, ticket.language, snippet=hit.snippet, query=query, found=found_content
                ),
                confident=_is_confident(found, hit),
                owned_product=product,
            )
        )
    return views


@router.get("/tickets/{ticket_id}/suggestions")
def suggestion_panel(ticket_id: int, request: Request, session: DbSession, principal: PageStaff) -> Response:
    if not is_htmx(request):
        return RedirectResponse(f"/agent/tickets/{ticket_id}#suggestions", status_code=303)
    ticket = service.get_ticket_for(session, ticket_id, principal)
    found = suggestions.suggest_for_ticket(session, ticket)
    views = _views(session, ticket, found)
    if views:
        suggestions.record_shown(session, [view.id for view in views], principal.user)
    return render(
        request,
        "agent/ticket.html",
        {"ticket": ticket, "suggestions": views, "suggestions_answered": found.answered, "loaded": True},
        block="suggestion_list",
        headers={"Cache-Control": "no-store"},
    )


@router.post("/tickets/{ticket_id}/suggestions/{suggestion_id}/inserted", dependencies=[Depends(verify_csrf)])
def suggestion_inserted(ticket_id: int, suggestion_id: int, session: DbSession, principal: PageStaff) -> Response:
    ticket = service.get_ticket_for(session, ticket_id, principal)
    row = session.get(TicketSuggestion, suggestion_id)
    if row is None or row.ticket_id != ticket.id:
        raise NotFound(f"suggestion {suggestion_id} not found on ticket {ticket_id}")
    suggestions.record_inserted(session, row.id, principal.user)
    return Response(status_code=204)


# ---- ticket -> knowledge-base draft --------------------------------------------------------


@router.post("/tickets/{ticket_id}/draft-article", dependencies=[Depends(verify_csrf)])
def draft_article(ticket_id: int, session: DbSession, principal: PageStaff) -> Response:
    ticket = service.get_ticket_for(session, ticket_id, principal)
    placeholder = i18n.translations(ticket.language).gettext(drafting.NO_ANSWER_YET)
    article = drafting.draft_article_from_ticket(session, ticket, principal, placeholder=placeholder)
    return RedirectResponse(f"/admin/articles/{article.id}?done=drafted", status_code=303)
