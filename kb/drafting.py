"""Turning a solved ticket into a knowledge-base draft (an agent's "Draft an article").

The draft's questions are the customer's own words (the subject, then the first message), its
text the agent's last public answer; it is saved as a draft for an admin to edit and publish.
The ticket page (``POST /agent/tickets/{id}/draft-article``) and the API
(``POST /api/v1/tickets/{id}/draft-article``) both call ``draft_article_from_ticket``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import guards
from accounts.service import Principal
from aftercare.config import get_settings
from helpdesk.models import Message, MessageKind, Ticket
from kb import service
from kb.models import Article, ArticleKind
from kb.schemas import MAX_QUESTION_CHARS, MAX_TITLE_CHARS, ArticleCreate

# The body when no agent has answered yet. English source text: the web layer passes it
# translated into the ticket's language (it is in the interface's message catalogue).
NO_ANSWER_YET = "Describe the solution here."


def one_line(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word boundary with an ellipsis when longer than ``limit``."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rsplit(" ", 1)[0] + "…"


def draft_article_from_ticket(
    session: Session, ticket: Ticket, principal: Principal, *, placeholder: str = NO_ANSWER_YET
) -> Article:
    """A draft article from ``ticket`` (agents only; the caller has checked they may read it).

    ``placeholder`` is the body used when no agent has answered publicly, in the ticket's language.
    """
    guards.require_staff(principal)
    messages = session.scalars(
        select(Message)
        .where(Message.ticket_id == ticket.id, Message.kind == MessageKind.PUBLIC_REPLY)
        .order_by(Message.id)
    ).all()
    first = next((m for m in messages if m.author_customer_id is not None or m.author_user is None), None)
    answer = next((m for m in reversed(messages) if m.author_user is not None and m.author_user.is_staff), None)
    questions = [one_line(ticket.subject, MAX_QUESTION_CHARS)]
    if first is not None and first.body.strip():
        questions.append(one_line(first.body, MAX_QUESTION_CHARS))
    body = answer.body.strip() if answer is not None and answer.body.strip() else placeholder
    settings = get_settings()
    # An article is written in a language the site offers; a ticket may be in any language.
    locale = ticket.language if ticket.language in settings.languages else settings.default_language
    data = ArticleCreate(
        title=one_line(ticket.subject, MAX_TITLE_CHARS),
        body=body,
        kind=ArticleKind.TROUBLESHOOTING,
        locale=locale,
        questions=[q for q in questions if q.strip()],
    )
    return service.create_article(session, data, author=principal.user)
