"""The ticket search's candidates on each database: the one place where SQLite and PostgreSQL differ.

- SQLite: ``ticket_fts``, an FTS5 external-content table over ``ticket_search`` kept by triggers;
  ranked by bm25 with the number and subject weighted above the bodies.
- PostgreSQL: ``ticket_search_vectors``, a narrow table of ``document`` and ``public_document``
  tsvectors (the ticket's language's text-search configuration, ``simple`` where PostgreSQL has
  none, such as Polish, Thai and Tagalog) with a GIN index on ``document``, kept by a trigger on
  ``ticket_search``; ranked by ``ts_rank``. A query is parsed with every configuration in use, so
  an English stem and a Polish exact word both match. The vectors live in TOAST storage, so the
  table's own pages (an id and two pointers per row) are few and stay cached: gathering a word's
  matches and ordering them newest first reads those pages only, and a vector is read when a row
  is tested or ranked.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    column,
    false,
    func,
    literal_column,
    select,
    table,
    true,
)
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session

from aftercare.config import get_settings
from helpdesk.models import Ticket
from helpdesk.ticket_search.tokens import PG_CONFIGS, SIMPLE, Term, pg_config

# FTS5 column weights for bm25, in the table's column order (upkeep.FTS_COLUMNS).
FTS_WEIGHTS = (20.0, 6.0, 4.0, 4.0, 1.0, 1.0)
PUBLIC_FTS_COLUMNS = ("number", "subject", "people", "tags", "public_text")
# On PostgreSQL, a query whose words are in this share of the tickets walks them newest first; see _dense().
DENSE_SHARE = 0.3

VECTORS = table("ticket_search_vectors", column("ticket_id", Integer), column("document"), column("public_document"))


def candidates(
    session: Session, terms: list[Term], *, internal: bool, customer_id: int | None, facets: list[Any], limit: int
) -> Any:
    """A query of (ticket_id, score, status, passes the facets) for the newest ``limit`` matching
    tickets, higher scores better.

    Bounded by ticket id, newest first, so that a word in most tickets costs no more than one in
    a few thousand: each engine finds its matches in id order and stops at the bound, and the
    score (bm25, ts_rank: the costly part) is computed only for the rows kept. The facets are a
    column, not a condition, so that the window is the same whatever they are and a rare facet
    never makes the walk run through every match. A customer's window is within their own tickets."""
    if session.get_bind().dialect.name == "postgresql":
        return _postgresql(session, terms, internal=internal, customer_id=customer_id, facets=facets, limit=limit)
    return _sqlite(terms, internal=internal, customer_id=customer_id, facets=facets, limit=limit)


def _sqlite(terms: list[Term], *, internal: bool, customer_id: int | None, facets: list[Any], limit: int) -> Any:
    weights = ", ".join(str(weight) for weight in FTS_WEIGHTS)
    fts = table("ticket_fts", column("rowid", Integer))
    statement = (
        select(
            fts.c.rowid,
            literal_column(f"-bm25(ticket_fts, {weights})", Float).label("score"),
            Ticket.status,
            case((and_(*facets), True), else_=False),
        )
        # FTS5 drives: it walks the matches in rowid order and stops at the bound.
        .join_from(fts, Ticket, Ticket.id == fts.c.rowid)
        .where(sql("ticket_fts MATCH :q").bindparams(q=fts_match(terms, internal=internal)))
        .order_by(fts.c.rowid.desc())
        .limit(limit)
    )
    if customer_id is not None:
        statement = statement.where(Ticket.requester_id == customer_id)
    return statement


def fts_match(terms: list[Term], *, internal: bool) -> str:
    parts = []
    for term in terms:
        phrase = '"' + " ".join(term.words).replace('"', '""') + '"'
        parts.append(phrase + ("*" if term.prefix else ""))
    expression = " AND ".join(parts)
    if internal:
        return expression
    return "{" + " ".join(PUBLIC_FTS_COLUMNS) + "} : (" + expression + ")"


def pg_tsquery(terms: list[Term]) -> str:
    parts = []
    for term in terms:
        quoted = ["'" + word.replace("\\", "\\\\").replace("'", "''") + "'" for word in term.words]
        phrase = " <-> ".join(quoted)
        parts.append(f"({phrase}{':*' if term.prefix else ''})")
    return " & ".join(parts)


def _postgresql(
    session: Session, terms: list[Term], *, internal: bool, customer_id: int | None, facets: list[Any], limit: int
) -> Any:
    parsed = _parsed(session, terms)
    # Written into the statement, not bound: psycopg prepares a statement run five times, and
    # PostgreSQL's generic plan for it, blind to the words, walks every match of a common one.
    query = cast(bindparam("q", parsed or "", literal_execute=True), TSQUERY)
    vector = VECTORS.c.document if internal else VECTORS.c.public_document
    window = select(VECTORS.c.ticket_id, vector.label("vector")).where(
        vector.op("@@")(query) if parsed is not None else false()
    )
    if customer_id is not None:
        window = window.where(VECTORS.c.ticket_id.in_(select(Ticket.id).where(Ticket.requester_id == customer_id)))
    # Newest first by walking the key backwards, or by gathering every match from the GIN
    # index and sorting (``+ 0``: not the key's order, so the walk is not an option).
    dense = customer_id is None and parsed is not None and _dense(session, window)
    order = VECTORS.c.ticket_id.desc() if dense else (VECTORS.c.ticket_id + 0).desc()
    matched = window.order_by(order).limit(limit).subquery("matched")
    # Ranked outside the bound, so only the rows kept are ranked (the sort carries each vector's
    # TOAST pointer, not the vector). float8: a real would come back as its shortest text, not
    # the value a cursor must compare with.
    score = cast(func.ts_rank(matched.c.vector, query), Float).label("score")
    # LATERAL with LIMIT (which keeps the planner from flattening it into a hash join over
    # all 100k tickets): a look-up by key per candidate.
    facts = (
        select(Ticket.status, case((and_(*facets), True), else_=False).label("passes"))
        .where(Ticket.id == matched.c.ticket_id)
        .limit(1)
        .lateral("facts")
    )
    return select(matched.c.ticket_id, score, facts.c.status, facts.c.passes).join_from(matched, facts, true())


def _parsed(session: Session, terms: list[Term]) -> str | None:
    """The query parsed with every configuration in use, as one tsquery's text; None if no
    configuration leaves a word (all stop words).

    Parsed before the search, not in it: most configurations parse most words alike (``simple``
    and ``indonesian`` both keep "docking"), and each copy would be looked up in the index and
    ranked again; without them "docking reset" took 49 ms, not 28."""
    configs = sorted({*PG_CONFIGS.values(), SIMPLE} & {*map(pg_config, _languages()), SIMPLE})
    return session.execute(
        sql(
            "SELECT string_agg(DISTINCT '(' || query::text || ')', ' | ') FROM "
            "(SELECT to_tsquery(config::regconfig, :q) AS query FROM unnest(CAST(:configs AS text[])) AS config) AS parsed "
            "WHERE numnode(query) > 0"
        ),
        {"q": pg_tsquery(terms), "configs": configs},
    ).scalar_one()


def _dense(session: Session, window: Any) -> bool:
    """Whether the planner expects the query's words in at least ``DENSE_SHARE`` of the tickets.

    Then walking the newest tickets and testing each stops soon; otherwise gathering the matches
    from the GIN index costs less. PostgreSQL makes this choice itself, but its cost model misses
    that the test reads each row's tsvector out of TOAST storage, and walked 34k rows for a word
    in 6% of the tickets (300 ms) where gathering took 30 ms."""
    compiled = window.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    plan = session.execute(sql("EXPLAIN (FORMAT JSON) " + str(compiled).replace(":", r"\:"))).scalar_one()
    rows = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"]
    return rows >= DENSE_SHARE * max(_indexed_tickets(session), 1.0)


# The planner's count of indexed tickets by database, with when it was read: it moves slowly, and
# asking for it costs a round trip per search.
_INDEXED: dict[str, tuple[float, float]] = {}
_INDEXED_TTL_SECONDS = 300.0


def _indexed_tickets(session: Session) -> float:
    key = str(session.get_bind().engine.url)
    cached = _INDEXED.get(key)
    if cached is not None and time.monotonic() - cached[1] < _INDEXED_TTL_SECONDS:
        return cached[0]
    tickets = float(
        session.execute(
            sql("SELECT reltuples FROM pg_class WHERE oid = 'ticket_search_vectors'::regclass")
        ).scalar_one()
    )
    _INDEXED[key] = (tickets, time.monotonic())
    return tickets


def _languages() -> list[str]:
    # The configurations a query is parsed with: those of the languages tickets are written in.
    return get_settings().languages
