"""An answer on intake: articles offered to a new ticket's requester, and "This solved it".

``offer_articles`` picks up to ``OFFERED_ARTICLES`` articles for a ticket with the one search
(``kb.search.suggestions.suggest_for_ticket``, so the agents' panel reuses the same search and its
stored rows), each in the ticket's language when a published translation exists, else in the
site's default language (the reader is told which); an article in neither is skipped. The set is
stored as ``intake_suggestions`` rows the first time, so the confirmation e-mail and the
customer's ticket page offer the same articles and the self-resolution rate has a denominator.

``intake_suggestions`` is what the confirmation e-mail offers (``kb.feedback.subscribers`` queues
the confirmation after a ticket's commit; ``helpdesk.email.notifications`` cannot import this
layer). Searching never stops a confirmation: it runs in a savepoint, and any failure is logged
and offers nothing.

``solve_with_article`` is the customer's "This solved it": a public note on the thread in the
ticket's language, the legal transition to solved, and the offered row marked as the one that
solved it. Only the requester may do it; a ticket that is already solved or closed is refused
with a clear message (the same article twice is not an error: a double click).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from accounts.service import Principal
from aftercare.config import get_settings
from aftercare.db import utcnow
from aftercare.errors import Forbidden, InvalidTransition, NotFound
from helpdesk import service as tickets
from helpdesk.email import notifications
from helpdesk.models import Ticket, TicketStatus
from helpdesk.schemas import MessageCreate
from kb.feedback.models import IntakeSuggestion, SolvedVia
from kb.models import Article, ArticleStatus
from kb.search import suggestions as ticket_suggestions
from kb.search.keeper import IndexKeeper
from kb.service import article_path, published_versions

logger = logging.getLogger(__name__)

# Three is what a customer reads in an e-mail before giving up on the list.
OFFERED_ARTICLES = 3
# Search results asked for per article offered: room to skip articles the customer cannot read.
CANDIDATES_PER_OFFER = 2
# Offering articles to a ticket that is finished would only invite a wrong click.
OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


@dataclass(frozen=True)
class OfferedArticle:
    article_id: int
    slug: str
    title: str
    locale: str
    source_locale: str
    rank: int
    # The search claimed this article answers the ticket (only ever the first).
    answered: bool
    # Not in the ticket's language (no translation yet): the site's default language's version.
    other_language: bool
    solved: bool

    @property
    def url(self) -> str:
        """The article's page, in the version offered (``?lang=`` picks a translation)."""
        return article_path(self.slug, self.locale, self.source_locale)


def _stored(session: Session, ticket_id: int) -> list[IntakeSuggestion]:
    return list(
        session.scalars(
            select(IntakeSuggestion).where(IntakeSuggestion.ticket_id == ticket_id).order_by(IntakeSuggestion.rank)
        )
    )


def _readable(ticket: Ticket) -> list[str]:
    """The versions a ticket's requester is offered, in order: their language, then the site's default."""
    return list(dict.fromkeys([ticket.language, get_settings().default_language]))


def _present(session: Session, ticket: Ticket, rows: list[IntakeSuggestion]) -> list[OfferedArticle]:
    """The stored offer as it reads now: unpublished articles dropped, a withdrawn translation
    replaced by the default language's version."""
    versions = published_versions(session, [row.article_id for row in rows])
    offered = []
    for row in rows:
        # The stored version, else (a translation withdrawn since) the next readable one.
        keys = [(row.article_id, language) for language in [row.locale, *_readable(ticket)]]
        version = next((versions[key] for key in keys if key in versions), None)
        if version is None:
            continue
        offered.append(
            OfferedArticle(
                article_id=row.article_id,
                slug=version.slug,
                title=version.title,
                locale=version.locale,
                source_locale=version.source_locale,
                rank=row.rank,
                answered=row.answered,
                other_language=version.locale != ticket.language,
                solved=row.solved_at is not None,
            )
        )
    return offered


def offered_articles(session: Session, ticket: Ticket) -> list[OfferedArticle]:
    """What was offered to this ticket's requester (nothing when nothing was offered yet)."""
    return _present(session, ticket, _stored(session, ticket.id))


def _any_published(session: Session) -> bool:
    return session.scalar(select(Article.id).where(Article.status == ArticleStatus.PUBLISHED).limit(1)) is not None


def offer_articles(
    session: Session, ticket: Ticket, *, limit: int = OFFERED_ARTICLES, keeper: IndexKeeper | None = None
) -> list[OfferedArticle]:
    """The articles offered to ``ticket``'s requester: stored ones, else searched for and stored now.

    Never raises: a failing search offers nothing and leaves the caller's transaction as it was.
    """
    rows = _stored(session, ticket.id)
    if rows:
        return _present(session, ticket, rows)
    # No knowledge base, nothing to offer: skip loading the search model for it.
    if ticket.status not in OPEN_STATUSES or not _any_published(session):
        return []
    try:
        with session.begin_nested():
            rows = _search_and_store(session, ticket, limit, keeper)
    except Exception:
        logger.exception("could not find articles to offer for ticket %s; offering none", ticket.id)
        return []
    return _present(session, ticket, rows)


def _search_and_store(
    session: Session, ticket: Ticket, limit: int, keeper: IndexKeeper | None
) -> list[IntakeSuggestion]:
    found = ticket_suggestions.suggest_for_ticket(session, ticket, limit * CANDIDATES_PER_OFFER, keeper=keeper)
    hits = [hit for hit in found.results if hit.article_id is not None]
    versions = published_versions(session, [hit.article_id for hit in hits])
    # The ticket's language whenever the article is translated into it, even when the search ranked
    # another version higher; else the site's default language (the knowledge base's common one).
    # An article in neither is skipped: a Polish customer gains nothing from a Thai-only article.
    rows: list[IntakeSuggestion] = []
    for position, hit in enumerate(hits):
        locale = next((language for language in _readable(ticket) if (hit.article_id, language) in versions), None)
        if locale is None:
            continue
        rows.append(
            IntakeSuggestion(
                ticket_id=ticket.id,
                rank=len(rows) + 1,
                article_id=hit.article_id,
                locale=locale,
                language=ticket.language,
                answered=found.answered and position == 0,
            )
        )
        if len(rows) == limit:
            break
    session.add_all(rows)
    session.flush()
    return rows


def intake_suggestions(session: Session, ticket: Ticket) -> list[notifications.Suggestion]:
    """What the confirmation e-mail offers: relative links, made absolute there."""
    return [
        notifications.Suggestion(
            title=item.title,
            url=item.url,
            article_id=item.article_id,
            language=item.locale if item.other_language else None,
            answers=item.answered,
        )
        for item in offer_articles(session, ticket)
    ]


# ---- "This solved it" --------------------------------------------------------------------------


def is_requester(ticket: Ticket, principal: Principal) -> bool:
    return not principal.is_staff and principal.customer is not None and principal.customer.id == ticket.requester_id


def require_requester(ticket: Ticket, principal: Principal) -> None:
    """Only the person who asked can say their problem is solved (agents close tickets otherwise)."""
    if not is_requester(ticket, principal):
        raise Forbidden("only the customer who opened this request can mark it solved by an article")


def offered_article(session: Session, ticket: Ticket, article_id: int) -> OfferedArticle:
    """The article as offered to this ticket; NotFound for one that was not offered (or is gone)."""
    for item in offered_articles(session, ticket):
        if item.article_id == article_id:
            return item
    raise NotFound(f"article {article_id} was not suggested for ticket {ticket.id}")


def solve_with_article(
    session: Session, ticket: Ticket, article_id: int, principal: Principal, *, via: SolvedVia, note: str
) -> IntakeSuggestion:
    """Mark ``ticket`` solved by the offered article: ``note`` (in the ticket's language) goes on the
    thread, the status goes to solved, and the offered row records it."""
    require_requester(ticket, principal)
    offered_article(session, ticket, article_id)
    row = session.scalar(
        select(IntakeSuggestion).where(
            and_(IntakeSuggestion.ticket_id == ticket.id, IntakeSuggestion.article_id == article_id)
        )
    )
    assert row is not None  # offered_article found it
    if row.solved_at is not None:
        return row  # the same answer twice (a double click, the e-mail after the page)
    if ticket.status not in OPEN_STATUSES:
        raise InvalidTransition(f"request {ticket.id} is already {ticket.status}; nothing to close")
    tickets.add_message(session, ticket, MessageCreate(body=note, status=TicketStatus.SOLVED), principal)
    row.solved_at = utcnow()
    row.solved_via = via
    session.flush()
    return row
