"""What agents do with a ticket's suggestions, and the quality figures summed up from it.

``record_shown`` and ``record_inserted`` store the panel's events; ``record_reply_sent`` decides,
once an agent's reply went out, whether each inserted suggestion went with it: its article link or
the start of its snippet still in the reply counts as sent with it, else as removed
(``record_reply_outcomes`` does it after the commit of any agent's public reply, page or API).
``suggestion_quality`` sums the events up for the insights pages. The suggestions themselves are
``kb.search.suggestions``'.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import User
from aftercare.errors import NotFound
from helpdesk.models import Message, MessageKind, Ticket
from kb.models import Article
from kb.search.models import SuggestionEvent, SuggestionEventKind, TicketSuggestion

# Enough of a snippet to recognise it in a reply after the agent trimmed its ends.
SNIPPET_MATCH_CHARS = 60


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
