"""Moving knowledge between the forum, the knowledge base and tickets.

- An accepted answer becomes a knowledge-base draft (an agent reviews and publishes it there).
- A thread becomes a ticket when a customer's question needs the team (private details, a fault).
- A solved ticket becomes a forum thread, anonymised: the requester's names, e-mail addresses,
  phone numbers and signed links are removed before anyone else can read it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.service import Principal
from aftercare.config import get_settings
from aftercare.errors import Conflict, InvalidTransition, ValidationFailed
from helpdesk import service as helpdesk_service
from helpdesk.models import Message, Ticket, TicketChannel, TicketStatus
from helpdesk.schemas import MAX_BODY_CHARS, MAX_SUBJECT_CHARS, TicketCreate
from kb import service as kb_service
from kb.forum.access import require_moderator
from kb.forum.indexing import note_search_change
from kb.forum.models import (
    ForumAcceptedAnswer,
    ForumReply,
    ForumThread,
    ForumThreadTag,
    PostStatus,
)
from kb.forum.threads import get_category
from kb.models import Article, ArticleKind, ArticleStatus
from kb.schemas import MAX_TAGS as KB_MAX_TAGS
from kb.schemas import ArticleCreate
from kb.schemas import Tag as KbTag

# --- accepted answer -> knowledge-base draft ---------------------------------------------------


def promote_accepted_answer(session: Session, thread: ForumThread, principal: Principal) -> Article:
    """A draft article from the thread's accepted answer, in the thread's language."""
    agent = require_moderator(principal)
    if thread.status != PostStatus.PUBLISHED:
        raise InvalidTransition(f"thread {thread.id} is not published")
    acceptance = thread.acceptance
    if acceptance is None or acceptance.reply.status != PostStatus.PUBLISHED:
        raise InvalidTransition(f"thread {thread.id} has no accepted answer to promote")
    if thread.promoted_article_id is not None and session.get(Article, thread.promoted_article_id) is not None:
        raise Conflict(f"thread {thread.id} was already promoted to article {thread.promoted_article_id}")
    settings = get_settings()
    body = (
        f"{acceptance.reply.body.strip()}\n\n"
        f"---\n\n*From the community forum: [{_markdown_text(thread.title)}]"
        f"({settings.base_url}/forum/t/{thread.id})*"
    )
    try:
        data = ArticleCreate(
            title=" ".join(thread.title.split()),
            body=body,
            kind=ArticleKind.FAQ,
            locale=thread.language,
            status=ArticleStatus.DRAFT,
            tags=_kb_tags(thread.tags),
            # The asker's own words are exactly how the next customer will ask.
            questions=[" ".join(thread.title.split())],
        )
    except ValidationError as error:
        raise ValidationFailed(f"thread {thread.id} cannot become an article: {error.errors()[0]['msg']}") from error
    article = kb_service.create_article(session, data, author=agent)
    thread.promoted_article_id = article.id
    session.flush()
    return article


def _markdown_text(text: str) -> str:
    return re.sub(r"([\\`*_\[\]()#<>!])", r"\\\1", " ".join(text.split()))


_KB_TAG = TypeAdapter(KbTag)


def _kb_tags(tags: Iterable[str]) -> list[str]:
    """Forum tags that are also valid KB tags (the KB is stricter: letters, digits, hyphens)."""
    valid: list[str] = []
    for tag in tags:
        try:
            valid.append(_KB_TAG.validate_python(tag))
        except ValidationError:
            continue
    return sorted(set(valid))[:KB_MAX_TAGS]


# --- thread -> ticket ---------------------------------------------------------------------------


def thread_to_ticket(session: Session, thread: ForumThread, principal: Principal) -> Ticket:
    """Open a ticket for the asker with the thread's question; the thread records the link."""
    require_moderator(principal)
    if thread.ticket_id is not None:
        raise Conflict(f"thread {thread.id} already became ticket {thread.ticket_id}")
    asker = thread.author
    if asker is None or asker.customer is None:
        raise InvalidTransition(f"thread {thread.id} was not asked by a customer; there is no one to open a ticket for")
    if asker.customer.erased_at is not None:
        raise InvalidTransition(
            f"the customer who asked thread {thread.id} deleted their account; there is no one to open a ticket for"
        )
    settings = get_settings()
    footer = f"\n\n---\nFrom the forum: {settings.base_url}/forum/t/{thread.id}"
    data = TicketCreate(
        customer_email=asker.customer.email,
        customer_name=asker.customer.name or asker.name or None,
        subject=thread.title[:MAX_SUBJECT_CHARS],
        body=thread.body[: MAX_BODY_CHARS - len(footer)] + footer,
        language=thread.language if thread.language in settings.languages else None,
    )
    ticket = helpdesk_service.create_ticket(session, data, channel=TicketChannel.FORUM, author=asker)
    thread.ticket_id = ticket.id
    session.flush()
    return ticket


# --- solved ticket -> anonymised thread ----------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Digits with the usual separators; checked below for 7-15 digits (E.164 allows at most 15).
_PHONE_CANDIDATE = re.compile(r"(?<![\w+])\+?\(?\d[\d\s().\-/]{5,}\d(?!\w)")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Signed ticket links carry a token that would let anyone read the ticket.
_ACCESS_TOKEN = re.compile(r"(access_token=)[^\s&#]+")
_THAI = re.compile(r"[\u0e00-\u0e7f]")
EMAIL_MARK = "[email]"
PHONE_MARK = "[phone]"
NAME_MARK = "[name]"
# Name parts this short ("Li", "Jo") would also hit ordinary words; the full name still matches.
MIN_NAME_PART_CHARS = 3


def _replace_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if not 7 <= digits <= 15 or _ISO_DATE.match(text.strip()):
        return text
    return PHONE_MARK


def _name_pattern(name: str, *, whole: bool) -> re.Pattern[str]:
    escaped = re.escape(name)
    if _THAI.search(name):
        # Thai is written without spaces between words: no word boundaries to rely on.
        return re.compile(escaped)
    if whole:
        return re.compile(rf"(?<!\w){escaped}(?!\w)", re.IGNORECASE)
    # A name part as written (capitalised) or in capitals, with any inflected ending
    # ("Piotr" -> "Piotrze", "Piotra"); matching lower case too would blank ordinary words.
    return re.compile(rf"(?<!\w)(?:{escaped}|{re.escape(name.upper())})\w*")


def anonymise(text: str, names: Iterable[str], *, whole_words: Iterable[str] = ()) -> str:
    """``text`` without e-mail addresses, phone numbers, ticket tokens or any of ``names``.

    ``names`` are removed whole and part by part ("Emma Jones", "Emma", "Jones");
    ``whole_words`` only whole (an address's local part such as "emma.jones" or "info").
    """
    text = _ACCESS_TOKEN.sub(r"\1[removed]", text)
    text = _EMAIL.sub(EMAIL_MARK, text)
    text = _PHONE_CANDIDATE.sub(_replace_phone, text)
    full_names = {" ".join(name.split()) for name in names if name and name.strip()}
    wholes = full_names | {word.strip() for word in whole_words if len(word.strip()) >= MIN_NAME_PART_CHARS}
    for whole in sorted(wholes, key=len, reverse=True):
        text = _name_pattern(whole, whole=True).sub(NAME_MARK, text)
    parts = sorted(
        {part for full in full_names for part in full.split() if len(part) >= MIN_NAME_PART_CHARS},
        key=len,
        reverse=True,
    )
    for part in parts:
        text = _name_pattern(part, whole=False).sub(NAME_MARK, text)
    return text


@dataclass(frozen=True)
class TicketPublication:
    """What a solved ticket would look like as a forum thread (shown to the agent before publishing)."""

    ticket: Ticket
    title: str
    question: str
    answer: str
    answer_author: User | None


def _requester_names(session: Session, ticket: Ticket) -> tuple[list[str], list[str]]:
    """(names to remove whole and by part, words to remove only whole) for the requester."""
    customer = ticket.requester
    names = [customer.name]
    account = session.scalar(select(User).where(User.customer_id == customer.id))
    if account is not None:
        names.append(account.name)
    for message in ticket.messages:
        if message.author_customer is not None:
            names.append(message.author_customer.name)
    local_part = customer.email.split("@")[0]
    # "emma.jones" is often the name itself, also written "emma jones".
    whole_words = [local_part, re.sub(r"[._-]+", " ", local_part)]
    return [name for name in names if name], whole_words


def _is_staff_message(message: Message) -> bool:
    return message.is_public and message.author_user is not None and message.author_user.is_staff


def preview_ticket_publication(session: Session, ticket_id: int, principal: Principal) -> TicketPublication:
    require_moderator(principal)
    ticket = helpdesk_service.get_ticket(session, ticket_id)
    if ticket.status not in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        raise InvalidTransition(f"ticket {ticket.id} is {ticket.status}; only solved tickets can be published")
    question = next((m for m in ticket.messages if m.is_public and not _is_staff_message(m)), None)
    answer = next((m for m in reversed(ticket.messages) if _is_staff_message(m)), None)
    if question is None or answer is None:
        raise InvalidTransition(f"ticket {ticket.id} has no customer question and agent answer to publish")
    names, whole_words = _requester_names(session, ticket)

    def clean(text: str) -> str:
        return anonymise(text, names, whole_words=whole_words)

    return TicketPublication(
        ticket=ticket,
        title=clean(ticket.subject)[:MAX_SUBJECT_CHARS],
        question=clean(question.body),
        answer=clean(answer.body),
        answer_author=answer.author_user,
    )


def publish_ticket(
    session: Session, ticket_id: int, principal: Principal, *, category: str | None = None
) -> ForumThread:
    """Publish a solved ticket as an anonymous thread with the agent's answer accepted."""
    agent = require_moderator(principal)
    existing = session.scalar(select(ForumThread.id).where(ForumThread.source_ticket_id == ticket_id))
    if existing is not None:
        raise Conflict(f"ticket {ticket_id} is already published as thread {existing}")
    publication = preview_ticket_publication(session, ticket_id, principal)
    ticket = publication.ticket
    thread = ForumThread(
        title=publication.title,
        body=publication.question,
        author=None,
        category=get_category(session, category) if category else None,
        language=ticket.language,
        language_confidence=ticket.language_confidence,
        language_source=ticket.language_source,
        status=PostStatus.PUBLISHED,
        source_ticket_id=ticket.id,
        tag_rows=[ForumThreadTag(tag=tag) for tag in ticket.tags],
    )
    session.add(thread)
    session.flush()
    reply = ForumReply(
        thread=thread,
        author=publication.answer_author or agent,
        body=publication.answer,
        status=PostStatus.PUBLISHED,
    )
    session.add(reply)
    session.flush()
    thread.acceptance = ForumAcceptedAnswer(thread_id=thread.id, reply_id=reply.id, accepted_by_id=agent.id)
    note_search_change(session, thread)
    session.flush()
    return thread
