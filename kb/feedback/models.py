"""Feedback tables: "Was this helpful?" votes on articles, the contact-form deflection funnel, and
the articles offered to a customer on intake with whether one of them solved the ticket.

Article ids are plain integers without a foreign key: the articles table comes from another
migration branch whose order against ours is not fixed, and the figures of a deleted article
still belong in the period they were collected in (insights show it as deleted).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftercare.db import Base, TimestampMixin, utcnow


class FunnelEvent(StrEnum):
    """The stages of one contact attempt, in funnel order.

    ``DEFLECTED`` (an article was opened and no ticket followed) is what the customer did *not*
    do, so the web flow never writes it: insights derive it from the other rows. It is here so
    that stored events and funnel stages share one vocabulary.
    """

    SUGGESTIONS_SHOWN = "suggestions_shown"
    ARTICLE_OPENED = "article_opened"
    DEFLECTED = "deflected"
    DEFLECTION_CONFIRMED = "deflection_confirmed"
    TICKET_SUBMITTED = "ticket_submitted"


class ArticleFeedback(TimestampMixin, Base):
    """One reader's answer to "Was this helpful?" on one article (changeable: one row per reader)."""

    __tablename__ = "article_feedback"
    __table_args__ = (
        UniqueConstraint("article_id", "visitor_key"),
        Index("ix_article_feedback_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(index=True)
    # The locale the reader was reading when they answered.
    locale: Mapped[str] = mapped_column(String(16))
    helpful: Mapped[bool]
    # Why not, in the reader's words (only asked after "no").
    reason: Mapped[str | None] = mapped_column(Text)
    # A hash of the browser's anonymous visitor cookie: one vote per reader without knowing who.
    visitor_key: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))


class DeflectionEvent(Base):
    """One step of one contact attempt (a visit to the contact form, named by a random id)."""

    __tablename__ = "deflection_events"
    __table_args__ = (
        Index("ix_deflection_events_attempt", "attempt_id"),
        Index("ix_deflection_events_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[str] = mapped_column(String(64))
    event: Mapped[FunnelEvent] = mapped_column(String(32))
    article_id: Mapped[int | None]
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SolvedVia(StrEnum):
    """Where the customer said "This solved it": their ticket page, or the confirmation e-mail's link."""

    PAGE = "page"
    EMAIL = "email"


class IntakeSuggestion(Base):
    """One article offered to a ticket's requester on intake (e-mail and ticket page show the same set).

    ``solved_at`` is set on the one the customer said solved their problem; the self-resolution
    rate counts those against the tickets that were offered any (``kb.feedback.insights``).
    """

    __tablename__ = "intake_suggestions"
    __table_args__ = (
        UniqueConstraint("ticket_id", "article_id"),
        Index("ix_intake_suggestions_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int]
    article_id: Mapped[int]
    # The version offered: the ticket's language when translated, else the article's source.
    locale: Mapped[str] = mapped_column(String(16))
    # The ticket's language when offered (insights group by it).
    language: Mapped[str] = mapped_column(String(16))
    # Whether the search claimed this one answers the ticket (only ever the first).
    answered: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    solved_at: Mapped[datetime | None]
    solved_via: Mapped[SolvedVia | None] = mapped_column(String(16))


__all__ = ["ArticleFeedback", "DeflectionEvent", "FunnelEvent", "IntakeSuggestion", "SolvedVia"]
