"""Tickets: intake with language detection, the status state machine, replies, updates, listing.

Intake and privacy. Anyone may open a ticket for any e-mail address (the web form, the public API,
e-mail), so an intake that has not shown it owns the address (``requester_verified=False``: no
agent, no signed-in customer of that address) must learn nothing about the customer record behind
it and change nothing in it: the language is detected from the text alone (the stored language is
not used as a prior, whose effect on the answer would tell it), and the name and language are
filled in only on a customer record this intake created. The caller answers such an intake with
the ticket's number and status only (``schemas.TicketReceipt``); the signed link to follow the
ticket goes in the confirmation e-mail to the address given, so only its owner can read the ticket.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from accounts.models import User
from accounts.service import (
    Principal,
    get_customer_by_email,
    get_or_create_customer,
    normalize_email,
)
from aftercare.config import get_settings
from aftercare.db import utcnow
from aftercare.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from aftercare.events import pending, record
from aftercare.pagination import page_offset, paginate
from helpdesk import (
    merged,
    ticket_search,  # noqa: F401 - its flush listener keeps the search index with every change
)
from helpdesk.email import notifications
from helpdesk.email.models import OutboxMessage
from helpdesk.events import MessageAdded, PublicReplyAdded, TicketAssigned, TicketCreated
from helpdesk.models import (
    AuditField,
    Message,
    MessageKind,
    Ticket,
    TicketChannel,
    TicketEvent,
    TicketPriority,
    TicketStatus,
    TicketTag,
)
from helpdesk.operations import intake
from helpdesk.schemas import MessageCreate, TicketCreate, TicketUpdate
from helpdesk.ticket_links import can_read_ticket
from retrieval.language import LanguageSource, detect_language

# The state machine. "Reopen" is solved/pending -> open; closed is final (a customer who writes
# again after closing gets a follow-up ticket, as in every mainstream help desk).
ALLOWED_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.NEW: frozenset({TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.SOLVED}),
    TicketStatus.OPEN: frozenset({TicketStatus.PENDING, TicketStatus.SOLVED}),
    TicketStatus.PENDING: frozenset({TicketStatus.OPEN, TicketStatus.SOLVED}),
    TicketStatus.SOLVED: frozenset({TicketStatus.OPEN, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset(),
}
# What a customer may do to their own ticket: mark it solved, close a solved one, reopen.
CUSTOMER_TRANSITIONS: frozenset[TicketStatus] = frozenset({TicketStatus.SOLVED, TicketStatus.CLOSED, TicketStatus.OPEN})
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class TicketFilters:
    status: TicketStatus | None = None
    # "me", "none" or a user id as a string, as the API takes it.
    assignee: str | None = None
    language: str | None = None
    tag: str | None = None
    requester_id: int | None = None


def _text_for_detection(subject: str, body: str) -> str:
    return f"{subject}\n{body}"


def create_ticket(
    session: Session,
    data: TicketCreate,
    *,
    channel: TicketChannel = TicketChannel.WEB,
    author: User | None = None,
    requester_verified: bool = True,
    related_ticket: Ticket | None = None,
    confirm: bool = True,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    now: datetime | None = None,
) -> Ticket:
    """A new ticket with its first message; records ``TicketCreated`` (after the commit, the
    knowledge base's subscriber queues the confirmation e-mail with articles to try).

    ``requester_verified=False``: see the module doc. ``related_ticket``: the ticket this one may
    belong to (mail that named it but could not be trusted to be from its requester).
    ``confirm=False``: no confirmation (bulk mail). ``in_reply_to``, ``references`` and ``now``:
    the mail intake's, so that the confirmation threads under the customer's message.
    """
    settings = get_settings()
    if data.language is not None and data.language not in settings.languages:
        raise ValidationFailed(
            f"language {data.language!r} is not supported here; supported: {', '.join(settings.languages)}"
        )
    existing = get_customer_by_email(session, data.customer_email)
    trusted = requester_verified or existing is None
    if existing is not None and not trusted:
        customer = existing
    else:
        customer = get_or_create_customer(session, data.customer_email, name=data.customer_name)
    guess = detect_language(
        _text_for_detection(data.subject, data.body),
        allowed=settings.languages,
        default=settings.default_language,
        known=customer.language if trusted else None,
    )
    if data.language is not None:
        language, confidence, source = data.language, 1.0, LanguageSource.GIVEN
    else:
        language, confidence, source = guess.language, guess.confidence, guess.source
    if trusted and customer.language is None and source in (LanguageSource.DETECTED, LanguageSource.GIVEN):
        customer.language = language
    ticket = Ticket(
        subject=data.subject,
        status=TicketStatus.NEW,
        priority=TicketPriority.NORMAL,
        channel=channel,
        language=language,
        language_confidence=round(confidence, 4),
        language_source=str(source),
        requester=customer,
        related_ticket_id=related_ticket.id if related_ticket is not None else None,
    )
    session.add(ticket)
    session.flush()
    session.add(
        Message(
            ticket=ticket,
            kind=MessageKind.PUBLIC_REPLY,
            body=data.body,
            channel=channel,
            author_customer=customer,
            author_user=author if author is not None and author.customer_id == customer.id else None,
        )
    )
    session.flush()
    # Team, assignee and SLA due times, there when the ticket is read right after creation.
    intake.on_ticket_created(session, ticket, data.body)
    # The requester's confirmation e-mail with their signed link, queued after the commit.
    record(
        session,
        TicketCreated(
            ticket_id=ticket.id,
            channel=str(channel),
            confirm=confirm,
            in_reply_to=in_reply_to,
            references=tuple(references),
            at=now,
        ),
    )
    return ticket


def note_related_tickets(session: Session, ticket: Ticket, related: Ticket, *, reason: str) -> None:
    """Internal notes on both tickets, each naming the other, for an agent to merge them or not.

    Used when mail named ``related`` but could not be trusted to come from its requester: it
    became ``ticket`` instead, and ``related`` is neither changed nor reopened (only noted).
    """
    session.add(
        Message(
            ticket=ticket,
            kind=MessageKind.INTERNAL_NOTE,
            channel=TicketChannel.EMAIL,
            body=(
                f"This e-mail named ticket #{related.id} (/agent/tickets/{related.id}) in its subject, but {reason}, "
                f"so it was not added there. If it really is from the requester of #{related.id}, merge the two."
            ),
        )
    )
    session.add(
        Message(
            ticket=related,
            kind=MessageKind.INTERNAL_NOTE,
            channel=TicketChannel.EMAIL,
            body=(
                f"An e-mail naming this ticket became ticket #{ticket.id} (/agent/tickets/{ticket.id}) instead: "
                f"{reason}. Nothing was added to this ticket and its status is unchanged."
            ),
        )
    )
    session.flush()


def requester_verified(principal: Principal, email: str) -> bool:
    """Whether ``principal`` has shown it may act for ``email``: an agent, or that signed-in customer.

    A ticket's signed link proves only that one ticket's mail reached someone, not the address.
    """
    if principal.is_staff:
        return True
    return (
        principal.user is not None
        and principal.customer is not None
        and principal.customer.email == normalize_email(email)
    )


def confirmation_queued(session: Session, ticket: Ticket) -> bool:
    """Whether the ticket's confirmation (with its signed link) is in the outbox to be sent, or will
    be once this transaction commits (the ``TicketCreated`` subscriber queues it).

    Not when the address is a no-reply one or had its day's confirmations already
    (``helpdesk.email.notifications``): the caller must not tell the person a link is on its way.
    """
    key = f"{notifications.CONFIRMATION_PREFIX}{ticket.id}"
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key).limit(1)) is not None:
        return True
    # Still in the creating transaction: the confirmation is queued after its commit, with the
    # same checks as the ones made here.
    waiting = any(event.ticket_id == ticket.id and event.confirm for event in pending(session, TicketCreated))
    return waiting and notifications.may_confirm(session, ticket)


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(
        Ticket,
        ticket_id,
        options=[selectinload(Ticket.messages), selectinload(Ticket.tag_rows), selectinload(Ticket.events)],
    )
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found")
    return ticket


def get_ticket_for(session: Session, ticket_id: int, principal: Principal) -> Ticket:
    """The ticket if this principal may read it; otherwise 'not found', so ids leak nothing."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or not can_read_ticket(principal, ticket):
        raise NotFound(f"ticket {ticket_id} not found")
    return get_ticket(session, ticket_id)


def visible_messages(ticket: Ticket, principal: Principal) -> list[Message]:
    if principal.is_staff:
        return list(ticket.messages)
    return [message for message in ticket.messages if message.is_public]


def _record(ticket: Ticket, field: AuditField, old: object, new: object, principal: Principal) -> None:
    ticket.events.append(
        TicketEvent(
            field=field,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
            actor_user_id=principal.user.id if principal.user is not None else None,
            actor_customer_id=principal.customer.id if principal.customer is not None else None,
        )
    )


def change_status(ticket: Ticket, new_status: TicketStatus, principal: Principal) -> None:
    old_status = TicketStatus(ticket.status)
    if new_status == old_status:
        return
    if new_status not in ALLOWED_TRANSITIONS[old_status]:
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[old_status])) or "none (closed is final)"
        raise InvalidTransition(
            f"cannot change status from {old_status} to {new_status}; allowed from {old_status}: {allowed}"
        )
    if not principal.is_staff and new_status not in CUSTOMER_TRANSITIONS:
        raise Forbidden(f"customers cannot set status {new_status}")
    now = utcnow()
    ticket.status = new_status
    if new_status == TicketStatus.SOLVED:
        ticket.solved_at = now
    elif new_status == TicketStatus.CLOSED:
        ticket.closed_at = now
    elif new_status == TicketStatus.OPEN:
        ticket.solved_at = None
    ticket.updated_at = now
    _record(ticket, AuditField.STATUS, old_status, new_status, principal)


def _set_assignee(session: Session, ticket: Ticket, assignee_id: int | None, principal: Principal) -> None:
    if assignee_id == ticket.assignee_id:
        return
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.is_staff or not assignee.is_active:
            raise ValidationFailed(f"assignee {assignee_id} is not an active agent")
    old = ticket.assignee_id
    ticket.assignee_id = assignee_id
    _record(ticket, AuditField.ASSIGNEE, old, assignee_id, principal)
    if assignee_id is not None:
        actor_id = principal.user.id if principal.user is not None else None
        record(session, TicketAssigned(ticket_id=ticket.id, assignee_id=assignee_id, actor_user_id=actor_id))
    # Taking a new ticket is starting work on it.
    if assignee_id is not None and ticket.status == TicketStatus.NEW:
        change_status(ticket, TicketStatus.OPEN, principal)


def _set_tags(ticket: Ticket, tags: Iterable[str], principal: Principal) -> None:
    new_tags = sorted(set(tags))
    old_tags = ticket.tags
    if new_tags == old_tags:
        return
    ticket.tag_rows[:] = [row for row in ticket.tag_rows if row.tag in new_tags]
    for tag in new_tags:
        if tag not in old_tags:
            ticket.tag_rows.append(TicketTag(tag=tag))
    _record(ticket, AuditField.TAGS, ",".join(old_tags), ",".join(new_tags), principal)


def update_ticket(session: Session, ticket: Ticket, changes: TicketUpdate, principal: Principal) -> Ticket:
    if not principal.is_staff:
        raise Forbidden("only agents can change a ticket's fields")
    given = changes.model_fields_set
    if "priority" in given and changes.priority is not None and changes.priority != ticket.priority:
        _record(ticket, AuditField.PRIORITY, ticket.priority, changes.priority, principal)
        ticket.priority = changes.priority
    if "assignee_id" in given:
        _set_assignee(session, ticket, changes.assignee_id, principal)
    if "tags" in given and changes.tags is not None:
        _set_tags(ticket, changes.tags, principal)
    if "status" in given and changes.status is not None:
        change_status(ticket, changes.status, principal)
    ticket.updated_at = utcnow()
    session.flush()
    return ticket


def add_message(session: Session, ticket: Ticket, data: MessageCreate, principal: Principal) -> Message:
    # A merged ticket: a customer's message goes to the ticket it was merged into; an agent's is refused.
    ticket = merged.reply_target(session, ticket, principal)
    if data.kind == MessageKind.INTERNAL_NOTE and not principal.is_staff:
        raise Forbidden("only agents can write internal notes")
    if ticket.status == TicketStatus.CLOSED and data.kind == MessageKind.PUBLIC_REPLY:
        raise InvalidTransition(f"ticket {ticket.id} is closed; open a new ticket to continue")
    message = Message(
        ticket=ticket,
        kind=data.kind,
        body=data.body,
        author_user=principal.user,
        author_customer=None if principal.is_staff else principal.customer,
    )
    session.add(message)
    if data.status is not None:
        change_status(ticket, data.status, principal)
    elif not principal.is_staff and ticket.status in (TicketStatus.PENDING, TicketStatus.SOLVED):
        # The customer wrote back: the ball is in our court again.
        change_status(ticket, TicketStatus.OPEN, principal)
    ticket.updated_at = utcnow()
    session.flush()
    record(
        session,
        MessageAdded(
            ticket_id=ticket.id,
            message_id=message.id,
            kind=str(message.kind),
            author_user_id=principal.user.id if principal.user is not None else None,
            from_customer=not principal.is_staff,
        ),
    )
    if principal.is_staff and message.kind == MessageKind.PUBLIC_REPLY:
        notifications.on_agent_reply(session, ticket, message)
        # Whatever the route (the agent's page or the API): e.g. suggestion outcomes (kb).
        record(
            session,
            PublicReplyAdded(
                ticket_id=ticket.id,
                message_id=message.id,
                author_user_id=principal.user.id if principal.user is not None else None,
            ),
        )
    return message


def list_tickets(
    session: Session,
    filters: TicketFilters,
    principal: Principal,
    *,
    page: int = 1,
    page_size: int = 25,
) -> tuple[list[Ticket], int]:
    offset = page_offset(page, page_size, max_page_size=MAX_PAGE_SIZE)
    query = select(Ticket)
    if not principal.is_staff:
        if principal.customer is None or principal.user is None:
            raise Forbidden("sign in to list tickets")
        query = query.where(Ticket.requester_id == principal.customer.id)
    if filters.status is not None:
        query = query.where(Ticket.status == filters.status)
    if filters.language is not None:
        query = query.where(Ticket.language == filters.language)
    if filters.requester_id is not None:
        query = query.where(Ticket.requester_id == filters.requester_id)
    if filters.tag is not None:
        query = query.where(Ticket.tag_rows.any(TicketTag.tag == filters.tag.lower()))
    if filters.assignee is not None:
        if filters.assignee == "none":
            query = query.where(Ticket.assignee_id.is_(None))
        elif filters.assignee == "me":
            query = query.where(Ticket.assignee_id == (principal.user.id if principal.user else -1))
        elif filters.assignee.isdigit():
            query = query.where(Ticket.assignee_id == int(filters.assignee))
        else:
            raise ValidationFailed("assignee must be 'me', 'none' or a user id")
    found = paginate(
        session,
        query.options(
            selectinload(Ticket.tag_rows), selectinload(Ticket.requester), selectinload(Ticket.assignee)
        ).order_by(Ticket.updated_at.desc(), Ticket.id.desc()),
        offset=offset,
        limit=page_size,
    )
    return found.items, found.total
