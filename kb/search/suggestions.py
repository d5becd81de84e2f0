"""Article suggestions for a ticket, and what agents do with them.

``suggest_for_ticket`` searches with the ticket's subject and first message in the ticket's
language and stores the result as ``ticket_suggestions`` rows; later calls return the stored set
while the search index version is unchanged, and recompute when it moved (a set that comes out
the same keeps its rows, so agents' events stay attached to them).

New tickets get their suggestions right after the commit that created them, without slowing the
request: ``kb.search.subscribers`` hands each ``TicketCreated`` to the running keeper's thread,
which runs ``compute_on_keeper_thread`` in a transaction of its own. A process without that
thread (an e-mail worker, a test) computes them on first view instead. A failure there never
touches the ticket.

What "Insert" puts into a reply is the matched passage, not the whole article: ``matched_passage``
finds the section of the article that holds the search's snippet (or, when the title or a listed
question matched, the section that shares most of the ticket's rarer words) and cuts it to a reply's
length.

Articles tagged with a product the ticket's requester owns are boosted (``OWNED_PRODUCT_BOOST``):
among the search's candidates for the ticket (``limit`` + ``OWNED_PRODUCT_POOL``), never adding
one, such an article moves up by a modest factor of its score, so that between two equally good
answers the one about the customer's own product comes first, while a clearly better answer
about another product stays ahead. Who owns what is aftersales' knowledge, a layer above this
one: it registers a provider (``kb.search.owned_products.provide_owned_products``) at start-up, and without one nothing
is boosted. The panel says why (``TicketSuggestions.owned_products``). A stored set is reused
while the index is unchanged, so a purchase made since shows at the next recomputation.

Agents' actions feed quality figures: ``record_shown``, ``record_inserted`` and
``record_reply_sent`` (an inserted suggestion whose link or snippet is still in the reply that
was sent counts as sent with it, else as removed; ``record_reply_outcomes`` does it after the
commit of any agent's public reply, page or API); ``suggestion_quality`` sums them up.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import User
from aftercare.config import get_settings
from aftercare.db import Database, utcnow
from aftercare.errors import NotFound
from helpdesk.models import Message, MessageKind, Ticket
from kb.models import Article
from kb.search.keeper import IndexKeeper, active_keeper
from kb.search.models import (
    ResultType,
    SearchSource,
    SuggestionEvent,
    SuggestionEventKind,
    TicketSuggestion,
)
from kb.search.owned_products import OWNED_PRODUCT_POOL, boost_owned, owned_names, owned_products
from kb.search.service import SearchHit, compose_query, excerpt, parse_types, search
from kb.service import published_versions
from retrieval.chunking import markdown_to_text
from retrieval.lexical import tokenize

logger = logging.getLogger(__name__)

DEFAULT_SUGGESTIONS = 3
STORED_TYPES: tuple[str, ...] = (ResultType.ARTICLE.value,)
# Enough of a snippet to recognise it in a reply after the agent trimmed its ends.
SNIPPET_MATCH_CHARS = 60
# A passage for a reply: one section of an article (the demo's run 200-500 characters), cut at a
# paragraph or line if longer; a third of a typical 1,600-character article at most.
MAX_PASSAGE_CHARS = 700
# Characters of a snippet's start that locate it in a section (after punctuation and markup are
# dropped); long enough not to occur by chance, short enough to survive the excerpt's cut.
SNIPPET_PROBE_CHARS = 40


@dataclass
class TicketSuggestions:
    ticket_id: int
    query_language: str
    answered: bool
    results: list[SearchHit]
    # Row id per result (None when computed for other types than the stored ones).
    suggestion_ids: list[int | None]
    index_version: int
    # Per result: the name of the requester's product the article is tagged with, if any.
    owned_products: list[str | None] = field(default_factory=list)


def ticket_query(session: Session, ticket: Ticket) -> str:
    """The ticket's subject and first customer message, cut to what a search takes."""
    first = session.scalar(
        select(Message.body)
        .where(Message.ticket_id == ticket.id, Message.kind == MessageKind.PUBLIC_REPLY)
        .order_by(Message.id)
        .limit(1)
    )
    return compose_query(ticket.subject, first)


def _ticket_language(ticket: Ticket) -> str | None:
    # The ticket's language, unless the site no longer offers it (then detection decides).
    return ticket.language if ticket.language in get_settings().languages else None


def ticket_search(session: Session, ticket_id: int) -> tuple[str, str | None] | None:
    """What the ticket's suggestions search for, (query, language); None when there is no such ticket."""
    ticket = session.get(Ticket, ticket_id)
    return None if ticket is None else (ticket_query(session, ticket), _ticket_language(ticket))


def current_suggestions(session: Session, ticket_id: int) -> list[TicketSuggestion]:
    return list(
        session.scalars(
            select(TicketSuggestion)
            .where(TicketSuggestion.ticket_id == ticket_id, TicketSuggestion.superseded_at.is_(None))
            .order_by(TicketSuggestion.rank)
        )
    )


def suggest_for_ticket(
    session: Session,
    ticket: Ticket,
    limit: int = DEFAULT_SUGGESTIONS,
    *,
    types: str | Iterable[str] | None = STORED_TYPES,
    keeper: IndexKeeper | None = None,
) -> TicketSuggestions:
    """Suggestions for ``ticket``; stored (article suggestions) and reused while the index is unchanged."""
    wanted = parse_types(types)
    keeper = keeper or active_keeper()
    keeper.ensure_current(session)
    version = keeper.applied_change_id
    stores = wanted == STORED_TYPES
    stored = current_suggestions(session, ticket.id) if stores else []
    if stored and stored[0].index_version == version and len(stored) >= limit:
        reused = _from_rows(session, ticket, stored[:limit])
        if reused is not None:
            return reused

    query, language = ticket_query(session, ticket), _ticket_language(ticket)
    owned = owned_products(session, ticket.requester_id)
    outcome = search(
        session,
        query,
        language=language,
        limit=limit + OWNED_PRODUCT_POOL if owned else limit,
        types=wanted,
        source=SearchSource.TICKET,
        keeper=keeper,
        log=not stored,  # one log row per ticket, not one per recomputation
    )
    results = boost_owned(session, outcome.results, owned)[:limit] if owned else outcome.results
    ids: list[int | None] = [None] * len(results)
    if stores:
        ids = [row.id for row in _store(session, ticket, results, outcome.answered, version, stored)]
    return TicketSuggestions(
        ticket.id,
        outcome.query_language,
        outcome.answered,
        results,
        ids,
        version,
        owned_names(session, results, owned),
    )


def _store(
    session: Session,
    ticket: Ticket,
    hits: Sequence[SearchHit],
    answered: bool,
    version: int,
    stored: list[TicketSuggestion],
) -> list[TicketSuggestion]:
    if [(row.article_id, row.locale) for row in stored] == [(hit.article_id, hit.locale) for hit in hits]:
        # Same suggestions: keep the rows (and their events), refresh the figures.
        for row, hit in zip(stored, hits, strict=True):
            row.index_version, row.score, row.confidence, row.snippet, row.answered = (
                version,
                hit.score,
                hit.confidence,
                hit.snippet,
                answered,
            )
        session.flush()
        return stored
    now = utcnow()
    for row in stored:
        row.superseded_at = now
    rows = [
        TicketSuggestion(
            ticket_id=ticket.id,
            rank=rank,
            article_id=hit.article_id,
            locale=hit.locale,
            score=hit.score,
            confidence=hit.confidence,
            snippet=hit.snippet,
            answered=answered,
            index_version=version,
        )
        for rank, hit in enumerate(hits, start=1)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def _from_rows(session: Session, ticket: Ticket, rows: list[TicketSuggestion]) -> TicketSuggestions | None:
    """The stored set as results, or None when one of its articles is no longer published."""
    published = published_versions(session, (row.article_id for row in rows if row.article_id is not None))
    query_terms = set(tokenize(ticket_query(session, ticket)))
    hits: list[SearchHit] = []
    for row in rows:
        found = published.get((row.article_id, row.locale))
        if found is None:
            return None
        terms = [term for term in dict.fromkeys(tokenize(row.snippet)) if term in query_terms]
        snippet, spans = excerpt(row.snippet, terms)
        hits.append(
            SearchHit(
                type=ResultType.ARTICLE.value,
                id=row.article_id,
                article_id=row.article_id,
                slug=found.slug,
                title=found.title,
                locale=row.locale,
                snippet=snippet,
                highlights=terms,
                highlight_spans=spans,
                score=row.score,
                confidence=row.confidence,
                url=found.url,
            )
        )
    return TicketSuggestions(
        ticket.id,
        ticket.language,
        bool(rows) and rows[0].answered,
        hits,
        [row.id for row in rows],
        rows[0].index_version,
        owned_names(session, hits, owned_products(session, ticket.requester_id)),
    )


def compute_for_ticket_id(
    session: Session, ticket_id: int, *, keeper: IndexKeeper | None = None
) -> TicketSuggestions | None:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return None
    return suggest_for_ticket(session, ticket, keeper=keeper)


# ---- computing them right after a ticket is created ------------------------------------------
def compute_on_keeper_thread(ticket_id: int, keeper: IndexKeeper, database: Database) -> None:
    """A new ticket's suggestions, on the keeper's thread (``IndexKeeper.submit``)."""
    with database.session() as session:  # reads only: no write lock
        wanted = ticket_search(session, ticket_id)
    if wanted is None:
        return
    # The query's embedding is the slow part: made here, outside any transaction, so that the
    # write below holds SQLite's write lock (BEGIN IMMEDIATE: writers queue rather than fail) for
    # the ranking and the rows only.
    query, language = wanted
    embedded = keeper.engine.reusing([query], [language]) if query.strip() else contextlib.nullcontext()
    with embedded, database.session(write=True) as session:
        compute_for_ticket_id(session, ticket_id, keeper=keeper)


# ---- agents' actions -----------------------------------------------------------------------
def _suggestion(session: Session, suggestion_id: int) -> TicketSuggestion:
    row = session.get(TicketSuggestion, suggestion_id)
    if row is None:
        raise NotFound(f"suggestion {suggestion_id} not found")
    return row


def record_shown(session: Session, suggestion_ids: Iterable[int], user: User | None) -> list[SuggestionEvent]:
    events = [
        SuggestionEvent(
            ticket_suggestion_id=_suggestion(session, suggestion_id).id,
            event=SuggestionEventKind.SHOWN,
            user_id=user.id if user else None,
        )
        for suggestion_id in dict.fromkeys(suggestion_ids)
    ]
    session.add_all(events)
    session.flush()
    return events


def record_inserted(session: Session, suggestion_id: int, user: User | None) -> SuggestionEvent:
    row = _suggestion(session, suggestion_id)
    recorded = SuggestionEvent(
        ticket_suggestion_id=row.id, event=SuggestionEventKind.INSERTED, user_id=user.id if user else None
    )
    session.add(recorded)
    session.flush()
    return recorded


def record_reply_sent(
    session: Session, ticket: Ticket, reply_body: str, user: User | None = None
) -> list[SuggestionEvent]:
    """After an agent's reply went out: each suggestion inserted since its last outcome is
    ``sent_with`` when its article link or the start of its snippet is still in the reply, else ``removed``."""
    last_events = (
        select(SuggestionEvent.ticket_suggestion_id, func.max(SuggestionEvent.id).label("last_id"))
        .join(TicketSuggestion, TicketSuggestion.id == SuggestionEvent.ticket_suggestion_id)
        .where(
            TicketSuggestion.ticket_id == ticket.id,
            SuggestionEvent.event.in_(
                [SuggestionEventKind.INSERTED, SuggestionEventKind.SENT_WITH, SuggestionEventKind.REMOVED]
            ),
        )
        .group_by(SuggestionEvent.ticket_suggestion_id)
        .subquery()
    )
    open_rows = session.execute(
        select(TicketSuggestion, Article.slug)
        .join(last_events, last_events.c.ticket_suggestion_id == TicketSuggestion.id)
        .join(SuggestionEvent, SuggestionEvent.id == last_events.c.last_id)
        .outerjoin(Article, Article.id == TicketSuggestion.article_id)
        .where(SuggestionEvent.event == SuggestionEventKind.INSERTED)
    ).all()
    body = " ".join(reply_body.split())
    events = []
    for row, slug in open_rows:
        snippet_start = " ".join(row.snippet.split()).removeprefix("… ")[:SNIPPET_MATCH_CHARS]
        kept = (slug is not None and f"/articles/{slug}" in body) or (
            len(snippet_start) >= 20 and snippet_start in body
        )
        kind = SuggestionEventKind.SENT_WITH if kept else SuggestionEventKind.REMOVED
        events.append(SuggestionEvent(ticket_suggestion_id=row.id, event=kind, user_id=user.id if user else None))
    session.add_all(events)
    session.flush()
    return events


def record_reply_outcomes(session: Session, message_id: int) -> list[SuggestionEvent]:
    """``record_reply_sent`` for a stored public reply (after its commit, whatever route sent it)."""
    message = session.get(Message, message_id)
    if message is None or message.kind != MessageKind.PUBLIC_REPLY:
        return []
    return record_reply_sent(session, message.ticket, message.body, message.author_user)


@dataclass(frozen=True)
class SuggestionQuality:
    shown: int
    inserted: int
    sent_with: int
    removed: int

    @property
    def insert_rate(self) -> float | None:
        """Share of shown suggestions an agent inserted."""
        return self.inserted / self.shown if self.shown else None

    @property
    def kept_rate(self) -> float | None:
        """Share of inserted suggestions that went out with the reply."""
        decided = self.sent_with + self.removed
        return self.sent_with / decided if decided else None


def suggestion_quality(session: Session, *, since: datetime | None = None) -> SuggestionQuality:
    """Event counts (derived from rows) for the insights pages."""
    query = select(SuggestionEvent.event, func.count()).group_by(SuggestionEvent.event)
    if since is not None:
        query = query.where(SuggestionEvent.created_at >= since)
    counts = {str(kind): count for kind, count in session.execute(query)}
    return SuggestionQuality(
        shown=counts.get(SuggestionEventKind.SHOWN, 0),
        inserted=counts.get(SuggestionEventKind.INSERTED, 0),
        sent_with=counts.get(SuggestionEventKind.SENT_WITH, 0),
        removed=counts.get(SuggestionEventKind.REMOVED, 0),
    )


# ---- the passage an agent inserts ----------------------------------------------------------
_HEADING_LINE = re.compile(r"^\s{0,3}#{1,6}\s+")
_FENCE_LINE = re.compile(r"^\s{0,3}(```|~~~)")
_LIST_MARKER = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s+")
_NOT_WORD = re.compile(r"[\W_]+")


def article_sections(markdown: str) -> list[str]:
    """The article's Markdown split before each heading (outside code blocks); the text before the
    first heading is a section of its own. Empty sections are dropped."""
    sections: list[list[str]] = [[]]
    fence: str | None = None
    for line in markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        opened = _FENCE_LINE.match(line)
        if fence is None and opened:
            fence = opened.group(1)
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None and _HEADING_LINE.match(line):
            sections.append([])
        sections[-1].append(line)
    return [text for text in ("\n".join(lines).strip() for lines in sections) if text]


def _comparable(markdown: str) -> str:
    """Letters and digits only, case-folded, without list markers, headings' hashes or inline markup:
    the form in which an indexed snippet (plain text, "•" for list items) and its source agree."""
    lines = (_LIST_MARKER.sub("", _HEADING_LINE.sub("", line)) for line in markdown.split("\n"))
    return _NOT_WORD.sub("", markdown_to_text("\n".join(lines)).casefold())


def _section_with_snippet(sections: list[str], snippet: str) -> int | None:
    probe = _comparable(snippet)[:SNIPPET_PROBE_CHARS]
    if len(probe) < SNIPPET_PROBE_CHARS // 2:
        return None
    return next((index for index, section in enumerate(sections) if probe in _comparable(section)), None)


def _section_sharing_words(sections: list[str], query: str) -> int | None:
    """The section sharing the most of the query's words, each weighted by how few sections hold it
    (a word every section has, like the product's name, tells nothing)."""
    wanted = set(tokenize(query))
    if not wanted:
        return None
    terms = [set(tokenize(markdown_to_text(section))) & wanted for section in sections]
    counts: dict[str, int] = {}
    for found in terms:
        for term in found:
            counts[term] = counts.get(term, 0) + 1
    scores = [sum(math.log(1 + len(sections) / counts[term]) for term in found) for found in terms]
    best = max(range(len(sections)), key=lambda index: (scores[index], -index), default=None)
    return best if best is not None and scores[best] > 0 else None


def _reflow(markdown: str) -> str:
    """Lines wrapped inside a paragraph joined; list items, headings and blank lines kept."""
    out: list[str] = []
    for line in markdown.split("\n"):
        joins = (
            out
            and out[-1].strip()
            and line.strip()
            and not _LIST_MARKER.match(line)
            and not _HEADING_LINE.match(line)
            and not _HEADING_LINE.match(out[-1])
        )
        if joins:
            out[-1] = f"{out[-1].rstrip()} {line.strip()}"
        else:
            out.append(line.rstrip())
    return "\n".join(out)


def _cut_passage(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    for separator in ("\n\n", "\n", ". ", " "):
        cut = text.rfind(separator, 0, limit)
        if cut > limit // 2:
            return text[: cut + (1 if separator == ". " else 0)].rstrip() + "\n…"
    return text[:limit].rstrip() + "…"


def matched_passage(
    body_markdown: str,
    snippet: str,
    query: str,
    *,
    found_markdown: str | None = None,
    max_chars: int = MAX_PASSAGE_CHARS,
) -> str:
    """The section of ``body_markdown`` (Markdown, paragraphs unwrapped) that answers: the one
    holding ``snippet``, else the one sharing most of ``query``'s words, else the first.

    When the reply is in another translation than the one search matched (``found_markdown``),
    the section is located there and taken at the same position here, if both have as many
    sections; a translation keeps its source's structure, its words are another language's.
    """
    sections = article_sections(body_markdown)
    if not sections:
        return ""
    index: int | None = None
    if found_markdown is not None and found_markdown != body_markdown:
        found_sections = article_sections(found_markdown)
        if len(found_sections) == len(sections):
            index = _section_with_snippet(found_sections, snippet)
            if index is None:
                index = _section_sharing_words(found_sections, query)
    if index is None:
        index = _section_with_snippet(sections, snippet)
    if index is None:
        index = _section_sharing_words(sections, query)
    return _cut_passage(_reflow(sections[index or 0]), max_chars)
