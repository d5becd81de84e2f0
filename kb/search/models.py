"""Tables of search: the search log (insights, content gaps) and agents' ticket suggestions.

``search_logs`` gets one row per search through ``kb.search.service.search``; a search that was
not answered is a content gap. ``ticket_suggestions`` keeps the articles suggested for a ticket
(the current set has ``superseded_at`` NULL) and ``suggestion_events`` what agents did with them,
from which suggestion quality is derived (shown, inserted, sent with the reply, removed).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftercare.db import Base, utcnow


class SearchSource(StrEnum):
    """Where a search came from, so insights can tell self-service from agents' work."""

    PORTAL = "portal"  # the customer portal's search box
    CONTACT = "contact"  # deflection while a customer writes to support
    AGENT = "agent"  # an agent searching the knowledge base
    API = "api"  # GET /api/v1/search
    FORUM = "forum"  # similar threads while writing a forum question
    TICKET = "ticket"  # suggestions computed for a new ticket


class ResultType(StrEnum):
    ARTICLE = "article"
    THREAD = "thread"


class SearchLog(Base):
    __tablename__ = "search_logs"
    __table_args__ = (
        Index("ix_search_logs_answered_created", "answered", "created_at"),
        Index("ix_search_logs_normalized_query", "normalized_query"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(500))
    # Case-folded, punctuation-trimmed, single-spaced: groups "Reset password?" with "reset password".
    normalized_query: Mapped[str] = mapped_column(String(500))
    query_language: Mapped[str] = mapped_column(String(16))
    answered: Mapped[bool]
    results_count: Mapped[int]
    top_result_type: Mapped[ResultType | None] = mapped_column(String(16))
    top_result_id: Mapped[int | None]
    top_confidence: Mapped[float | None]
    source: Mapped[SearchSource] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class TicketSuggestion(Base):
    """One suggested article for a ticket, at one rank, as computed at one index version."""

    __tablename__ = "ticket_suggestions"
    __table_args__ = (Index("ix_ticket_suggestions_ticket_current", "ticket_id", "superseded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    rank: Mapped[int]
    # SET NULL: a deleted article must not erase what agents did with its suggestions.
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    score: Mapped[float]
    confidence: Mapped[float]
    snippet: Mapped[str] = mapped_column(Text)
    # The set's "confident answer" decision (the same on each row of a set).
    answered: Mapped[bool] = mapped_column(default=False)
    # The search index version (max search_index_changes id applied) the set was computed at.
    index_version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a recomputation replaced this set; the current set has NULL.
    superseded_at: Mapped[datetime | None]

    events: Mapped[list[SuggestionEvent]] = relationship(
        back_populates="suggestion", order_by="SuggestionEvent.id", cascade="all, delete-orphan"
    )


class SuggestionEventKind(StrEnum):
    SHOWN = "shown"
    INSERTED = "inserted"  # the agent put it into a reply draft
    SENT_WITH = "sent_with"  # the reply went out still containing it
    REMOVED = "removed"  # inserted, but gone from the reply that was sent


class SuggestionEvent(Base):
    __tablename__ = "suggestion_events"
    __table_args__ = (Index("ix_suggestion_events_event_created", "event", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("ticket_suggestions.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[SuggestionEventKind] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    suggestion: Mapped[TicketSuggestion] = relationship(back_populates="events")


__all__ = [
    "ResultType",
    "SearchLog",
    "SearchSource",
    "SuggestionEvent",
    "SuggestionEventKind",
    "TicketSuggestion",
]
