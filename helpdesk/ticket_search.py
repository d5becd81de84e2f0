"""Full-text ticket search: the index's upkeep and the query, on SQLite (FTS5) and PostgreSQL (tsvector).

One row per ticket in ``ticket_search`` holds its searchable text as words separated by spaces:
the number, subject, requester's name and e-mail, tags, public messages and internal notes. The
words are cut here, in Python, for both databases, so that Thai is segmented as the knowledge-base
search segments it (PyThaiNLP, through ``retrieval.lexical``) and a query is cut exactly as the
text was. The row is rewritten in the same transaction as the change, from the flush (an ORM
listener below), so a search sees a new message at once and a rollback takes the index back with
the rest. Code that writes tickets with bulk SQL calls :func:`reindex` itself.

Each database keeps its own index of that row (the migration ``54b7d6707896`` builds both):
- SQLite: ``ticket_fts``, an FTS5 external-content table over ``ticket_search`` kept by triggers;
  ranked by bm25 with the number and subject weighted above the bodies.
- PostgreSQL: ``document`` and ``public_document`` tsvectors set by a trigger with the ticket's
  language's text-search configuration (``simple`` where PostgreSQL has none, such as Polish, Thai
  and Tagalog) and a GIN index on ``document``; ranked by ``ts_rank``. A query is parsed with every
  configuration in use, so an English stem and a Polish exact word both match.

Customers search only their own tickets and never internal notes (``public_document``; the FTS5
columns without ``internal_text``). Results are ranked, faceted by status and paged by keyset on
(score, id): a score depends only on the ticket and the query on PostgreSQL, and on SQLite also on
the corpus' statistics, so a page boundary moves only when tickets are written meanwhile.

Highlights are built here from the stored text, never from the database's ``snippet()``: the
pieces are plain text, escaped when written as HTML (:func:`to_html`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import (
    Connection,
    Float,
    Integer,
    and_,
    column,
    delete,
    event,
    func,
    insert,
    inspect,
    or_,
    select,
    table,
)
from sqlalchemy import text as sql
from sqlalchemy.engine import Result
from sqlalchemy.orm import ORMExecuteState, Session, selectinload

from accounts.models import Customer
from accounts.service import Principal
from aftercare.config import get_settings
from aftercare.errors import Forbidden, ValidationFailed
from helpdesk import inbox
from helpdesk.models import Message, MessageKind, Ticket, TicketStatus, TicketTag
from retrieval.lexical import normalize_word, tokenize_with_spans

MAX_PAGE_SIZE = 100
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
# A ticket's bodies beyond this are not indexed (PostgreSQL refuses a tsvector over 1 MB).
MAX_FIELD_CHARS = 200_000
SNIPPET_CHARS = 180
REINDEX_BATCH = 500
# PostgreSQL's built-in configurations by language code; any other language is indexed 'simple'.
PG_CONFIGS = {
    "ar": "arabic", "ca": "catalan", "da": "danish", "de": "german", "el": "greek", "en": "english",
    "es": "spanish", "eu": "basque", "fi": "finnish", "fr": "french", "ga": "irish", "hi": "hindi",
    "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian", "lt": "lithuanian",
    "nb": "norwegian", "ne": "nepali", "nl": "dutch", "no": "norwegian", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish",
}  # fmt: skip
SIMPLE = "simple"
# FTS5 column weights for bm25, in the table's column order (see the migration).
FTS_COLUMNS = ("number", "subject", "people", "tags", "public_text", "internal_text")
FTS_WEIGHTS = (20.0, 6.0, 4.0, 4.0, 1.0, 1.0)
PUBLIC_FTS_COLUMNS = FTS_COLUMNS[:-1]

INDEX = table(
    "ticket_search",
    column("ticket_id", Integer),
    column("config"),
    *(column(name) for name in FTS_COLUMNS),
)

_THAI_RUN = "\u0e00-\u0e7f"
_THAI = re.compile(f"([{_THAI_RUN}]+)")
# Letters and digits with their combining marks (Thai, Indic and Latin accents are marks: a
# plain \w would cut a word at each of them). Underscores and punctuation separate words.
_WORD = re.compile(rf"(?:[^\W_]|[\u0300-\u036f\u0900-\u0dff{_THAI_RUN}\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff])+")
_CURSOR = re.compile(r"^(-?0x[0-9a-f]\.?[0-9a-f]*p[+-]\d{1,4})~(\d{1,19})$")


# --- Words: one cutter for the stored text, the query and the highlight.


def word_spans(text: str) -> list[tuple[int, int]]:
    """Where each word of ``text`` is; Thai runs are segmented into their words."""
    spans: list[tuple[int, int]] = []
    for match in _WORD.finditer(text):
        if not _THAI.search(match.group()):
            spans.append(match.span())
            continue
        offset = match.start()
        for piece in _THAI.split(match.group()):
            if _THAI.fullmatch(piece):
                spans.extend((offset + token.start, offset + token.end) for token in tokenize_with_spans(piece))
            elif piece:
                spans.append((offset, offset + len(piece)))
            offset += len(piece)
    return spans


def words(text: str) -> list[str]:
    if not _THAI.search(text):
        return _WORD.findall(text)
    return [text[start:end] for start, end in word_spans(text)]


def _field(texts: Iterable[str]) -> str:
    return " ".join(" ".join(words(text)) for text in texts if text)[:MAX_FIELD_CHARS]


def pg_config(language: str) -> str:
    return PG_CONFIGS.get(language.split("-")[0].lower(), SIMPLE)


# --- Upkeep.


def _documents(connection: Connection, ticket_ids: Sequence[int]) -> list[dict[str, Any]]:
    bodies: dict[tuple[int, bool], list[str]] = {}
    for ticket_id, kind, body in connection.execute(
        select(Message.ticket_id, Message.kind, Message.body)
        .where(Message.ticket_id.in_(ticket_ids))
        # By ticket first, so that the index on ticket_id serves the order too (by id alone,
        # SQLite may walk every message in id order instead).
        .order_by(Message.ticket_id, Message.id)
    ):
        bodies.setdefault((ticket_id, kind == MessageKind.INTERNAL_NOTE), []).append(body)
    tags: dict[int, list[str]] = {}
    for ticket_id, tag in connection.execute(
        select(TicketTag.ticket_id, TicketTag.tag).where(TicketTag.ticket_id.in_(ticket_ids))
    ):
        tags.setdefault(ticket_id, []).append(tag)
    rows = connection.execute(
        select(Ticket.id, Ticket.subject, Ticket.language, Customer.name, Customer.email)
        .join(Customer, Customer.id == Ticket.requester_id)
        .where(Ticket.id.in_(ticket_ids))
    )
    return [
        {
            "ticket_id": ticket_id,
            "config": pg_config(language),
            "number": str(ticket_id),
            "subject": _field([subject]),
            "people": _field([name or "", email]),
            "tags": _field(tags.get(ticket_id, [])),
            "public_text": _field(bodies.get((ticket_id, False), [])),
            "internal_text": _field(bodies.get((ticket_id, True), [])),
        }
        for ticket_id, subject, language, name, email in rows
    ]


def reindex(connection: Connection, ticket_ids: Iterable[int]) -> None:
    """Rewrite the index rows of these tickets from the tables (a deleted ticket loses its row)."""
    ids = sorted(set(ticket_ids))
    for start in range(0, len(ids), REINDEX_BATCH):
        batch = ids[start : start + REINDEX_BATCH]
        documents = _documents(connection, batch)
        connection.execute(delete(INDEX).where(INDEX.c.ticket_id.in_(batch)))
        if documents:
            connection.execute(insert(INDEX), documents)


def reindex_all(connection: Connection) -> int:
    """Rebuild every ticket's row (after bulk SQL that bypassed the session); returns how many."""
    connection.execute(delete(INDEX))
    ids = list(connection.scalars(select(Ticket.id)))
    reindex(connection, ids)
    return len(ids)


def _changed(obj: object, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "after_flush")
def _keep_index(session: Session, _context: object) -> None:
    """Reindex the tickets whose searchable text this flush changed, in the same transaction."""
    ticket_ids: set[int] = set()
    customer_ids: set[int] = set()
    for obj in chain(session.new, session.deleted):
        if isinstance(obj, Ticket):
            ticket_ids.add(obj.id)
        elif isinstance(obj, Message | TicketTag):
            ticket_ids.add(obj.ticket_id)
    for obj in session.dirty:
        if isinstance(obj, Ticket) and _changed(obj, "subject", "language", "requester_id"):
            ticket_ids.add(obj.id)
        elif isinstance(obj, Message) and _changed(obj, "body", "kind", "ticket_id"):
            ticket_ids.add(obj.ticket_id)
        elif isinstance(obj, Customer) and _changed(obj, "name", "email"):
            customer_ids.add(obj.id)
    if customer_ids:
        ticket_ids.update(session.connection().scalars(select(Ticket.id).where(Ticket.requester_id.in_(customer_ids))))
    ticket_ids.discard(None)  # a message flushed without its ticket
    if ticket_ids:
        reindex(session.connection(), ticket_ids)


@event.listens_for(Session, "do_orm_execute")
def _keep_index_in_bulk(state: ORMExecuteState) -> Result[Any] | None:
    """The same for a bulk UPDATE or DELETE through the session (erasure rewrites subjects so)."""
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return None
    entity = state.bind_mapper.class_
    affected = {
        Ticket: select(Ticket.id),
        Message: select(Message.ticket_id),
        Customer: select(Ticket.id).join(Customer, Customer.id == Ticket.requester_id),
    }.get(entity)
    if affected is None:
        return None
    where = state.statement.whereclause
    # Which tickets, asked before the statement runs: after a DELETE the rows are gone.
    ticket_ids = set(state.session.connection().scalars(affected.where(where) if where is not None else affected))
    result = state.invoke_statement()
    reindex(state.session.connection(), ticket_ids)
    return result


# --- The query.


@dataclass(frozen=True)
class Term:
    """A word of the query, or a phrase (``c5@example.com`` is the phrase "c5 example com")."""

    words: tuple[str, ...]
    # The last word typed may be half a word (search as you type).
    prefix: bool = False


def parse(text: str) -> list[Term]:
    chunks = [words(chunk) for chunk in text[:MAX_QUERY_CHARS].split()]
    terms = [Term(tuple(chunk)) for chunk in chunks if chunk][:MAX_QUERY_WORDS]
    if terms and _prefixable(terms[-1]):
        terms[-1] = Term(terms[-1].words, prefix=True)
    return terms


def _prefixable(term: Term) -> bool:
    word = term.words[-1]
    return len(word) >= 3 and not word.isdigit() and not _THAI.search(word)


def _fts_match(terms: list[Term], *, internal: bool) -> str:
    parts = []
    for term in terms:
        phrase = '"' + " ".join(term.words).replace('"', '""') + '"'
        parts.append(phrase + ("*" if term.prefix else ""))
    expression = " AND ".join(parts)
    if internal:
        return expression
    return "{" + " ".join(PUBLIC_FTS_COLUMNS) + "} : (" + expression + ")"


def _pg_tsquery(terms: list[Term]) -> str:
    parts = []
    for term in terms:
        quoted = ["'" + word.replace("\\", "\\\\").replace("'", "''") + "'" for word in term.words]
        phrase = " <-> ".join(quoted)
        parts.append(f"({phrase}{':*' if term.prefix else ''})")
    return " & ".join(parts)


def _matches(session: Session, terms: list[Term], principal: Principal) -> Any:
    """A subquery of (ticket_id, score) for the tickets that match, higher scores better.

    The one place where the two databases differ."""
    internal = principal.is_staff
    if session.get_bind().dialect.name == "postgresql":
        configs = sorted({*PG_CONFIGS.values(), SIMPLE} & {*map(pg_config, _languages(session)), SIMPLE})
        query = " || ".join(f"to_tsquery('{config}'::regconfig, :q)" for config in configs)
        vector = "document" if internal else "public_document"
        statement = sql(
            # float8: a real would come back as its shortest text, not the value a cursor must compare with.
            f"SELECT ticket_id, ts_rank({vector}, {query})::float8 AS score FROM ticket_search WHERE {vector} @@ ({query})"
        ).bindparams(q=_pg_tsquery(terms))
    else:
        weights = ", ".join(str(weight) for weight in FTS_WEIGHTS)
        statement = sql(
            f"SELECT rowid AS ticket_id, -bm25(ticket_fts, {weights}) AS score FROM ticket_fts WHERE ticket_fts MATCH :q"
        ).bindparams(q=_fts_match(terms, internal=internal))
    return statement.columns(column("ticket_id", Integer), column("score", Float)).subquery("matched")


def _languages(session: Session) -> list[str]:
    # The configurations a query is parsed with: those of the languages tickets are written in.
    return get_settings().languages


@dataclass(frozen=True)
class SearchQuery:
    text: str
    # The inbox's filters, as facets: any of them narrows the results (all statuses by default).
    status: TicketStatus | None = None
    assignee: str | None = None
    language: str | None = None
    tag: str | None = None


@dataclass(frozen=True)
class SearchCursor:
    """A position in (score, id) order, best first, written "<score in hex>~<id>" in URLs."""

    score: float
    id: int

    def encode(self) -> str:
        # Hex keeps the float exact, so the next page starts exactly after this one.
        return f"{self.score.hex()}~{self.id}"

    @classmethod
    def decode(cls, value: str) -> SearchCursor:
        match = _CURSOR.match(value.strip())
        if match is None:
            raise ValidationFailed("invalid page position; go back to the first page")
        return cls(score=float.fromhex(match.group(1)), id=int(match.group(2)))


Fragment = tuple[str, bool]


@dataclass
class SearchHit:
    ticket: Ticket
    score: float
    # Plain-text pieces, True where a query word matched; see to_html.
    subject: list[Fragment]
    snippet: list[Fragment]


@dataclass
class SearchPage:
    hits: list[SearchHit]
    total: int
    next: SearchCursor | None = None
    # Matching tickets by status, with the other facets applied.
    facets: dict[TicketStatus, int] = field(default_factory=dict)


def search(
    session: Session,
    query: SearchQuery,
    principal: Principal,
    *,
    after: SearchCursor | None = None,
    size: int = 25,
) -> SearchPage:
    """Tickets whose text matches every word of the query, best first; one page of them."""
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"page size must be between 1 and {MAX_PAGE_SIZE}")
    scope = []
    if not principal.is_staff:
        if principal.customer is None or principal.user is None:
            raise Forbidden("sign in to search tickets")
        scope.append(Ticket.requester_id == principal.customer.id)
    terms = parse(query.text)
    if not terms:
        return SearchPage(hits=[], total=0)
    matched = _matches(session, terms, principal)
    facets = inbox.InboxQuery(view=inbox.InboxView.ALL, assignee=query.assignee, language=query.language, tag=query.tag)
    conditions = [*scope, *inbox._filters(facets, principal)]
    by_status = {
        TicketStatus(status): count
        for status, count in session.execute(
            select(Ticket.status, func.count())
            .join(matched, matched.c.ticket_id == Ticket.id)
            .where(*conditions)
            .group_by(Ticket.status)
        )
    }
    if query.status is not None:
        conditions.append(Ticket.status == query.status)
    if after is not None:
        conditions.append(
            or_(matched.c.score < after.score, and_(matched.c.score == after.score, Ticket.id < after.id))
        )
    rows = session.execute(
        select(Ticket, matched.c.score)
        .join(matched, matched.c.ticket_id == Ticket.id)
        .where(*conditions)
        .options(
            selectinload(Ticket.tag_rows),
            selectinload(Ticket.requester),
            selectinload(Ticket.assignee),
            selectinload(Ticket.messages),
        )
        .order_by(matched.c.score.desc(), Ticket.id.desc())
        .limit(size + 1)
    ).all()
    highlighter = Highlighter(terms)
    hits = [_hit(ticket, score, highlighter, principal) for ticket, score in rows[:size]]
    total = by_status.get(query.status, 0) if query.status is not None else sum(by_status.values())
    last = hits[-1] if len(rows) > size else None
    return SearchPage(
        hits=hits,
        total=total,
        next=SearchCursor(last.score, last.ticket.id) if last is not None else None,
        facets=by_status,
    )


# --- Highlights.


class Highlighter:
    """Finds the query's words in text as the index matched them: the same words, folded the way
    ``retrieval.lexical.normalize_word`` folds them (case, accents, plural and -ed/-ing endings),
    and the half-typed last word as a beginning."""

    def __init__(self, terms: list[Term]) -> None:
        self.exact = {normalize_word(word) for term in terms for word in term.words}
        self.prefixes = [
            p for term in terms if term.prefix for p in (normalize_word(term.words[-1]), term.words[-1].casefold())
        ]
        # A quick first pass: where a word could begin that matches (its first letters).
        stems = {
            re.escape(
                word.casefold() if _THAI.search(word) or word.isdigit() else word.casefold()[: max(3, len(word) - 3)]
            )
            for term in terms
            for word in term.words
        }
        self.candidates = re.compile("|".join(sorted(stems, key=len, reverse=True)), re.IGNORECASE)

    def matches(self, word: str) -> bool:
        normal = normalize_word(word)
        folded = word.casefold()
        return normal in self.exact or any(normal.startswith(p) or folded.startswith(p) for p in self.prefixes)

    def first(self, text: str) -> int | None:
        """Where the first matching word of ``text`` begins, if any."""
        for candidate in self.candidates.finditer(text):
            around = max(0, candidate.start() - 40)
            for start, end in word_spans(text[around : candidate.end() + 40]):
                if around + start <= candidate.start() < around + end:
                    if self.matches(text[around + start : around + end]):
                        return around + start
                    break
        return None

    def fragments(self, text: str, start: int = 0, end: int | None = None) -> list[Fragment]:
        end = len(text) if end is None else end
        pieces: list[Fragment] = []
        position = start
        for word_start, word_end in word_spans(text[start:end]):
            word_start, word_end = word_start + start, word_end + start
            if self.matches(text[word_start:word_end]):
                if word_start > position:
                    pieces.append((text[position:word_start], False))
                pieces.append((text[word_start:word_end], True))
                position = word_end
        if position < end:
            pieces.append((text[position:end], False))
        return pieces

    def snippet(self, texts: Sequence[str], *, width: int = SNIPPET_CHARS) -> list[Fragment]:
        """A window of the first text with a match, around its first match (or the first text's start)."""
        for text in texts:
            first = self.first(text)
            if first is None:
                continue
            start = max(0, first - width // 3)
            if start > 0:
                # Start at a word, not inside one.
                space = text.find(" ", start, first)
                start = space + 1 if space != -1 else first
            end = min(len(text), start + width)
            if end < len(text):
                space = text.rfind(" ", start + width // 2, end)
                end = space if space != -1 else end
            pieces = self.fragments(text, start, end)
            return [*([("…", False)] if start > 0 else []), *pieces, *([("…", False)] if end < len(text) else [])]
        if texts:
            return [(texts[0][:width] + ("…" if len(texts[0]) > width else ""), False)]
        return []


def _hit(ticket: Ticket, score: float, highlighter: Highlighter, principal: Principal) -> SearchHit:
    messages = [m for m in ticket.messages if principal.is_staff or m.kind == MessageKind.PUBLIC_REPLY]
    texts = [m.body for m in messages] + [ticket.requester.name or "", ticket.requester.email, " ".join(ticket.tags)]
    return SearchHit(
        ticket=ticket,
        score=score,
        subject=highlighter.fragments(ticket.subject),
        snippet=highlighter.snippet([text for text in texts if text]),
    )


def to_html(fragments: Sequence[Fragment]) -> Markup:
    """The pieces as HTML: every piece escaped, the matches in <mark>."""
    return Markup("").join(Markup("<mark>{}</mark>").format(text) if hit else escape(text) for text, hit in fragments)
