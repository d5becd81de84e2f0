"""The help desk's own e-mails: the confirmation of a new ticket and an agent's public reply.

``helpdesk.service`` calls ``on_agent_reply`` (one line); a new ticket's confirmation is queued
after its commit by the subscriber of ``helpdesk.events.TicketCreated`` (the knowledge base's,
which adds articles to try: ``kb.feedback.subscribers``), with ``send_ticket_confirmation``; for a
ticket that arrived by e-mail the event carries the customer's Message-ID, so that the
confirmation threads under the customer's message. Confirmations are automatic mail
(``Auto-Submitted: auto-replied``), never go to no-reply and mailer-daemon addresses, and go to
one address at most ``MAX_CONFIRMATIONS_PER_DAY`` times a day; agents' replies always go.

Threading: every message about a ticket carries ``[#id]`` in the subject, a Message-ID of ours,
``In-Reply-To`` the customer's last message (else our last one) and ``References`` the ticket's
chain, so that mail clients group the conversation and replies find their way back to the ticket
(``helpdesk.email.mail_in.threading``). ``Reply-To`` is the inbound receiver's address.

Suggestions: the confirmation lists up to three articles for the new ticket, given by the
caller (this layer cannot search: the knowledge base sits above it). The e-mail words them honestly: an article
"may answer your question" only when the search claims it does (``Suggestion.answers``), else
they "might help". Each carries an absolute link to the article in the offered language and a
signed "This solved it" link; that link opens a page with a button (a POST), because mail
scanners follow links and a GET must change nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftercare.config import Settings, get_settings
from aftercare.db import utcnow
from helpdesk.email.addressing import one_line
from helpdesk.email.models import Attachment, EmailKind, InboundMessage, OutboxMessage, OutboxStatus
from helpdesk.email.outbox import enqueue_email
from helpdesk.email.rendering import greeting, render_email
from helpdesk.email.strings import LANGUAGE_NAMES
from helpdesk.models import Message, MessageKind, Ticket
from helpdesk.ticket_links import sign_ticket_link

# Addresses that never read mail: answering them only feeds loops and bounces.
AUTOMATED_LOCAL_PARTS = frozenset(
    {
        "mailer-daemon",
        "postmaster",
        "noreply",
        "no-reply",
        "donotreply",
        "do-not-reply",
        "bounce",
        "bounces",
    }
)
MAX_REFERENCES = 10
# RFC 3834 §2: an automatic responder answers one sender at most so often. Also stops someone
# from flooding an address with confirmations by opening tickets in its name.
MAX_CONFIRMATIONS_PER_DAY = 5
CONFIRMATION_PREFIX = "ticket-confirmation:"


@dataclass(frozen=True)
class Suggestion:
    title: str
    # The article's page; a path ("/articles/...") is made absolute with the site's base URL.
    url: str
    article_id: int | None = None
    # The article's language when it is not the ticket's (no translation yet): said beside the title.
    language: str | None = None
    # The search claims this article answers the ticket (else it only "might help").
    answers: bool = False
    # The signed "This solved it" page for this article (filled in by the confirmation).
    solved_url: str = ""

    @property
    def language_name(self) -> str:
        return LANGUAGE_NAMES.get(self.language or "", self.language or "")


def is_automated_address(address: str) -> bool:
    local = address.partition("@")[0].lower()
    return local in AUTOMATED_LOCAL_PARTS or local.startswith(("noreply", "no-reply", "bounce"))


def ticket_link(settings: Settings, ticket: Ticket) -> str:
    return f"{settings.base_url.rstrip('/')}/tickets/{ticket.id}?access_token={sign_ticket_link(settings.secret_key, ticket)}"


def solved_link(settings: Settings, ticket: Ticket, article_id: int) -> str:
    """The page that asks "Did this article solve your problem?" (its button does the change)."""
    token = sign_ticket_link(settings.secret_key, ticket)
    return f"{settings.base_url.rstrip('/')}/tickets/{ticket.id}/solved/{article_id}?access_token={token}"


def _linked(settings: Settings, ticket: Ticket, suggestion: Suggestion) -> Suggestion:
    url = suggestion.url
    if url.startswith("/"):
        url = settings.base_url.rstrip("/") + url
    solved = solved_link(settings, ticket, suggestion.article_id) if suggestion.article_id is not None else ""
    return replace(suggestion, url=url, solved_url=suggestion.solved_url or solved)


def may_confirm(session: Session, ticket: Ticket, now: datetime | None = None) -> bool:
    """Whether the requester may get a confirmation: not a no-reply address, not over the day's limit."""
    customer = ticket.requester
    if is_automated_address(customer.email):
        return False
    return _confirmations_today(session, customer.id, now) < MAX_CONFIRMATIONS_PER_DAY


def send_ticket_confirmation(
    session: Session,
    ticket: Ticket,
    *,
    suggestions: Sequence[Suggestion] = (),
    in_reply_to: str | None = None,
    references: Sequence[str] | None = None,
    now: datetime | None = None,
) -> OutboxMessage | None:
    """Queue the confirmation of ``ticket`` with its signed link and the articles ``suggestions``
    (relative links are made absolute here); None when ``may_confirm`` says no."""
    settings = get_settings()
    customer = ticket.requester
    if not may_confirm(session, ticket, now):
        return None
    link = ticket_link(settings, ticket)
    rendered = render_email(
        "ticket_confirmation",
        ticket.language,
        {
            "ticket": ticket,
            "greeting": greeting(ticket.language, customer.name),
            "link": link,
            "suggestions": [_linked(settings, ticket, suggestion) for suggestion in suggestions],
            "is_reply": in_reply_to is not None,
        },
    )
    # RFC 3834: an automatic answer, so that the customer's own autoresponder does not answer it.
    headers = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
        headers["References"] = " ".join([*(references or [])[-MAX_REFERENCES:], in_reply_to])
    return enqueue_email(
        session,
        to=customer.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        kind=EmailKind.TRANSACTIONAL,
        dedupe_key=f"{CONFIRMATION_PREFIX}{ticket.id}",
        customer_id=customer.id,
        ticket_id=ticket.id,
        headers=headers,
        language=rendered.language,
        now=now,
    )


def _confirmations_today(session: Session, customer_id: int, now: datetime | None) -> int:
    since = (now or utcnow()) - timedelta(days=1)
    return (
        session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.customer_id == customer_id,
                OutboxMessage.dedupe_key.like(f"{CONFIRMATION_PREFIX}%"),
                OutboxMessage.created_at > since,
            )
        )
        or 0
    )


def thread_ids(session: Session, ticket_id: int) -> tuple[list[str], str | None]:
    """The ticket's Message-IDs in order (ours and the customer's), and the one to answer."""
    inbound = session.execute(
        select(InboundMessage.received_at, InboundMessage.message_id).where(
            InboundMessage.ticket_id == ticket_id, InboundMessage.message_id.is_not(None)
        )
    ).all()
    outbound = session.execute(
        select(OutboxMessage.created_at, OutboxMessage.message_id).where(
            OutboxMessage.ticket_id == ticket_id, OutboxMessage.status != OutboxStatus.SUPPRESSED
        )
    ).all()
    chain = [message_id for _, message_id in sorted([*inbound, *outbound], key=lambda pair: pair[0])]
    last_from_customer = max(inbound, key=lambda pair: pair[0])[1] if inbound else None
    answer_to = last_from_customer or (chain[-1] if chain else None)
    if len(chain) > MAX_REFERENCES:
        # RFC 5322: keep the first (the thread's root) and the most recent ones.
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
    return chain, answer_to


def on_agent_reply(session: Session, ticket: Ticket, message: Message) -> OutboxMessage | None:
    """Hook for ``helpdesk.service.add_message``: e-mail an agent's public reply to the requester."""
    if message.kind != MessageKind.PUBLIC_REPLY:
        return None
    settings = get_settings()
    customer = ticket.requester
    if is_automated_address(customer.email):
        return None
    agent_name = message.author_user.name if message.author_user is not None else ""
    rendered = render_email(
        "agent_reply",
        ticket.language,
        {
            "ticket": ticket,
            "body": message.body,
            "agent_name": one_line(agent_name),
            "link": ticket_link(settings, ticket),
        },
    )
    chain, answer_to = thread_ids(session, ticket.id)
    headers: dict[str, str] = {}
    if answer_to:
        headers["In-Reply-To"] = answer_to
        headers["References"] = " ".join(chain)
    return enqueue_email(
        session,
        to=customer.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        kind=EmailKind.TRANSACTIONAL,
        dedupe_key=f"ticket-message:{message.id}",
        customer_id=customer.id,
        ticket_id=ticket.id,
        headers=headers,
        language=rendered.language,
    )


def attach_to_reply(session: Session, message: Message, attachments: Sequence[Attachment], *, max_bytes: int) -> None:
    """Send ``attachments`` with the e-mail of the agent's reply ``message`` (queued by
    ``on_agent_reply``), in order, as many as fit in ``max_bytes``; the others stay on the ticket
    page, which the e-mail links to. Nothing if no e-mail was queued (an automated address)."""
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"ticket-message:{message.id}"))
    if row is None or row.status != OutboxStatus.QUEUED:
        return
    ids = list(row.attachment_ids or [])
    total = sum(a.size_bytes for a in session.scalars(select(Attachment).where(Attachment.id.in_(ids)))) if ids else 0
    for attachment in attachments:
        if attachment.stored_name is not None and total + attachment.size_bytes <= max_bytes:
            ids.append(attachment.id)
            total += attachment.size_bytes
    row.attachment_ids = ids
