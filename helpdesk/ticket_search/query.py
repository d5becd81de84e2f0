"""The ticket search as the inbox and the API run it: one ranked, faceted page of matching tickets.

Tickets whose text matches every word of the query (see ``tokens``), found by the database's own
full-text index (see ``engines``). Customers search only their own tickets and never internal
notes. Results are ranked, faceted by status and paged by keyset on (score, id): a score depends
only on the ticket and the query on PostgreSQL, and on SQLite also on the corpus' statistics, so a
page boundary moves only when tickets are written meanwhile.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from accounts.service import Principal
from aftercare.errors import Forbidden, ValidationFailed
from helpdesk import inbox
from helpdesk.models import MessageKind, Ticket, TicketStatus
from helpdesk.ticket_search import engines
from helpdesk.ticket_search.highlight import Fragment, Highlighter
from helpdesk.ticket_search.tokens import parse

MAX_PAGE_SIZE = 100
# How many matching tickets a search ranks at most (the newest); see search().
RANKED_WINDOW = 1_000
_CURSOR = re.compile(r"^(-?0x[0-9a-f]\.?[0-9a-f]*p[+-]\d{1,4})~(\d{1,19})$")


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
    # More tickets match than were ranked: total and facets count the newest RANKED_WINDOW only.
    capped: bool = False


def search(
    session: Session,
    query: SearchQuery,
    principal: Principal,
    *,
    after: SearchCursor | None = None,
    size: int = 25,
) -> SearchPage:
    """Tickets whose text matches every word of the query, best first; one page of them.

    Up to ``RANKED_WINDOW`` matching tickets this is exact: every match ranked, counted and
    faceted. Beyond, the newest ``RANKED_WINDOW`` matches are the candidates (ranked, faceted
    and paged among themselves) and ``total`` is a lower bound (``capped``): ranking a word found
    in most of 100k tickets would cost ten times the inbox's budget, and such a search is refined
    with a second word rather than read to its end."""
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"page size must be between 1 and {MAX_PAGE_SIZE}")
    customer_id = None
    if not principal.is_staff:
        if principal.customer is None or principal.user is None:
            raise Forbidden("sign in to search tickets")
        customer_id = principal.customer.id
    terms = parse(query.text)
    if not terms:
        return SearchPage(hits=[], total=0)
    facets = inbox.InboxQuery(view=inbox.InboxView.ALL, assignee=query.assignee, language=query.language, tag=query.tag)
    # One pass over the candidates; the counts and the page are taken from it here rather than
    # by a second and third query.
    candidates = engines.candidates(
        session,
        terms,
        internal=principal.is_staff,
        customer_id=customer_id,
        facets=inbox._filters(facets, principal),
        limit=RANKED_WINDOW + 1,
    )
    rows = session.execute(candidates).all()
    capped = len(rows) > RANKED_WINDOW
    if capped:
        oldest = min(row[0] for row in rows)
        rows = [row for row in rows if row[0] != oldest]
    passing = [(score, ticket_id, TicketStatus(status)) for ticket_id, score, status, passes in rows if passes]
    by_status = dict(Counter(status for _score, _id, status in passing))
    ranked = sorted(
        (
            (score, ticket_id)
            for score, ticket_id, status in passing
            if (query.status is None or status == query.status)
            and (after is None or (score, ticket_id) < (after.score, after.id))
        ),
        reverse=True,
    )[: size + 1]
    tickets = {
        ticket.id: ticket
        for ticket in session.scalars(
            select(Ticket)
            .where(Ticket.id.in_([ticket_id for _score, ticket_id in ranked[:size]]))
            .options(
                # One row each, joined: two round trips fewer than loading them apart.
                joinedload(Ticket.requester),
                joinedload(Ticket.assignee),
                selectinload(Ticket.tag_rows),
                selectinload(Ticket.messages),
            )
        )
    }
    highlighter = Highlighter(terms)
    hits = [_hit(tickets[ticket_id], score, highlighter, principal) for score, ticket_id in ranked[:size]]
    total = by_status.get(query.status, 0) if query.status is not None else sum(by_status.values())
    last = hits[-1] if len(ranked) > size else None
    return SearchPage(
        hits=hits,
        total=total,
        next=SearchCursor(last.score, last.ticket.id) if last is not None else None,
        facets=by_status,
        capped=capped,
    )


def _hit(ticket: Ticket, score: float, highlighter: Highlighter, principal: Principal) -> SearchHit:
    messages = [m for m in ticket.messages if principal.is_staff or m.kind == MessageKind.PUBLIC_REPLY]
    texts = [m.body for m in messages] + [ticket.requester.name or "", ticket.requester.email, " ".join(ticket.tags)]
    return SearchHit(
        ticket=ticket,
        score=score,
        subject=highlighter.fragments(ticket.subject),
        snippet=highlighter.snippet([text for text in texts if text]),
    )
