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

Articles tagged with a product the ticket's requester owns are boosted (``OWNED_PRODUCT_BOOST``):
among the search's candidates for the ticket (``limit`` + ``OWNED_PRODUCT_POOL``), never adding
one, such an article moves up by a modest factor of its score, so that between two equally good
answers the one about the customer's own product comes first, while a clearly better answer
about another product stays ahead. Who owns what is aftersales' knowledge, a layer above this
one: it registers a provider (``kb.search.owned_products.provide_owned_products``) at start-up, and without one nothing
is boosted. The panel says why (``TicketSuggestions.owned_products``). A stored set is reused
while the index is unchanged, so a purchase made since shows at the next recomputation.

What "Insert" puts into a reply, the matched passage, is ``kb.search.suggestion_passages``; agents'
actions and the quality figures summed up from them are ``kb.search.suggestion_events``. Both are
importable from here too, so that their callers need not know where they live.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftercare.config import get_settings
from aftercare.db import Database, utcnow
from helpdesk.models import Message, MessageKind, Ticket
from kb.search.keeper import IndexKeeper, active_keeper
from kb.search.models import ResultType, SearchSource, TicketSuggestion
from kb.search.owned_products import OWNED_PRODUCT_POOL, boost_owned, owned_names, owned_products
from kb.search.service import SearchHit, compose_query, excerpt, parse_types, search
from kb.search.suggestion_events import (
    SNIPPET_MATCH_CHARS,
    SuggestionQuality,
    record_inserted,
    record_reply_outcomes,
    record_reply_sent,
    record_shown,
    suggestion_quality,
)
from kb.search.suggestion_passages import MAX_PASSAGE_CHARS, SNIPPET_PROBE_CHARS, article_sections, matched_passage
from kb.service import published_versions
from retrieval.lexical import tokenize

# The names callers import from here, those of the split-off modules included.
__all__ = [
    "DEFAULT_SUGGESTIONS",
    "MAX_PASSAGE_CHARS",
    "SNIPPET_MATCH_CHARS",
    "SNIPPET_PROBE_CHARS",
    "STORED_TYPES",
    "SuggestionQuality",
    "TicketSuggestions",
    "article_sections",
    "compute_for_ticket_id",
    "compute_on_keeper_thread",
    "current_suggestions",
    "matched_passage",
    "record_inserted",
    "record_reply_outcomes",
    "record_reply_sent",
    "record_shown",
    "suggest_for_ticket",
    "suggestion_quality",
    "ticket_query",
    "ticket_search",
]

logger = logging.getLogger(__name__)

DEFAULT_SUGGESTIONS = 3
STORED_TYPES: tuple[str, ...] = (ResultType.ARTICLE.value,)


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
