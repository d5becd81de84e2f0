"""Merging one ticket into another, and undoing it.

``merge_tickets(source, target)`` moves the source's messages and attachments to the target (the
thread shows them by time, ``Ticket.messages``), closes the source with ``merged_into_id``
pointing at the target, writes the audit trail on both, and e-mails the source's requester once
(the outbox's dedupe key: a merge undone and done again does not mail twice). What moved is kept
in a ``TicketMerge`` row, the record that ``unmerge`` uses to move exactly those rows back and to
give the source its status again.

Refused: a ticket into itself, a merged ticket (either way: follow it to where it went), a target
that is closed (it takes no replies), and tickets of two requesters unless ``force``: then the
source's requester writes into someone else's ticket, which an agent must confirm knowingly
(the e-mail then carries no link to the target, which is not theirs to read).

After a merge, mail and portal replies on the source land on the target (``helpdesk.merged``);
an agent's message on the source is refused with a 409.

The state machine is bypassed on purpose here: a merge closes a ticket from any status, and undo
reopens a closed one (closed is otherwise final), each recorded as a status event.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import guards
from accounts.service import Principal
from aftercare.config import get_settings
from aftercare.db import utcnow
from aftercare.errors import Conflict, ValidationFailed
from helpdesk import service, ticket_search
from helpdesk.email.models import Attachment, EmailKind, OutboxMessage
from helpdesk.email.notifications import is_automated_address, ticket_link
from helpdesk.email.outbox import enqueue_email
from helpdesk.email.rendering import greeting, render_email
from helpdesk.models import AuditField, Message, Ticket, TicketMerge, TicketStatus

MERGED_PREFIX = "ticket-merged:"
# Audit values: on the source "into:<target>", on the target "from:<source>" (old value on undo).
INTO = "into:"
FROM = "from:"


def check_merge(source: Ticket, target: Ticket, *, force: bool = False) -> None:
    """Raise for a merge that is refused (module doc); a different requester without ``force`` is a 409."""
    if source.id == target.id:
        raise ValidationFailed("a ticket cannot be merged into itself")
    if source.merged_into_id is not None:
        raise Conflict(f"ticket {source.id} is already merged into #{source.merged_into_id}; undo that first")
    if target.merged_into_id is not None:
        raise Conflict(f"ticket {target.id} is merged into #{target.merged_into_id}; merge into that ticket instead")
    if target.status == TicketStatus.CLOSED:
        raise Conflict(f"ticket {target.id} is closed and takes no more messages; choose an open ticket")
    if source.requester_id != target.requester_id and not force:
        raise Conflict(
            f"tickets {source.id} and {target.id} have different requesters; "
            "confirm (force) to let the requester of the first write into the second"
        )


def _audit(ticket: Ticket, old: str | None, new: str | None, principal: Principal) -> None:
    service._record(ticket, AuditField.MERGE, old, new, principal)


def merge_tickets(
    session: Session, source: Ticket, target: Ticket, principal: Principal, *, force: bool = False
) -> TicketMerge:
    """Merge ``source`` into ``target`` (module doc); flushes, never commits."""
    guards.require_staff(principal)
    check_merge(source, target, force=force)
    message_ids = list(session.scalars(select(Message.id).where(Message.ticket_id == source.id).order_by(Message.id)))
    attachment_ids = list(
        session.scalars(select(Attachment.id).where(Attachment.ticket_id == source.id).order_by(Attachment.id))
    )
    _move(session, message_ids, attachment_ids, target.id)
    now = utcnow()
    merge = TicketMerge(
        source_id=source.id,
        target_id=target.id,
        message_ids=message_ids,
        attachment_ids=attachment_ids,
        source_status=TicketStatus(source.status),
        actor_user_id=principal.user.id if principal.user is not None else None,
        created_at=now,
    )
    session.add(merge)
    if source.status != TicketStatus.CLOSED:
        service._record(source, AuditField.STATUS, source.status, TicketStatus.CLOSED, principal)
        source.status = TicketStatus.CLOSED
        source.closed_at = now
    source.merged_into_id = target.id
    source.updated_at = target.updated_at = now
    _audit(source, None, f"{INTO}{target.id}", principal)
    _audit(target, None, f"{FROM}{source.id}", principal)
    session.flush()
    _settle(session, source, target)
    notify_requester(session, source, target)
    return merge


def last_merge(session: Session, source: Ticket) -> TicketMerge | None:
    """The merge of ``source`` that holds now (not undone), if any."""
    return session.scalar(
        select(TicketMerge)
        .where(TicketMerge.source_id == source.id, TicketMerge.undone_at.is_(None))
        .order_by(TicketMerge.id.desc())
        .limit(1)
    )


def unmerge(session: Session, source: Ticket, principal: Principal) -> TicketMerge:
    """Undo the merge of ``source``: its moved messages and attachments back, its status again."""
    guards.require_staff(principal)
    merge = last_merge(session, source)
    if source.merged_into_id is None or merge is None:
        raise Conflict(f"ticket {source.id} is not merged into another ticket")
    target = session.get(Ticket, merge.target_id)
    _move(session, list(merge.message_ids), list(merge.attachment_ids), source.id)
    now = utcnow()
    before = TicketStatus(merge.source_status)
    if before != source.status:
        service._record(source, AuditField.STATUS, source.status, before, principal)
        source.status = before
        if before != TicketStatus.CLOSED:
            source.closed_at = None
    source.merged_into_id = None
    source.updated_at = now
    merge.undone_at = now
    merge.undone_by_id = principal.user.id if principal.user is not None else None
    _audit(source, f"{INTO}{merge.target_id}", None, principal)
    if target is not None:
        target.updated_at = now
        _audit(target, f"{FROM}{source.id}", None, principal)
    session.flush()
    if target is not None:
        _settle(session, target, source)
    return merge


def _move(session: Session, message_ids: list[int], attachment_ids: list[int], ticket_id: int) -> None:
    # Row by row through the ORM, so that the search index's flush listener sees where each went.
    for message in session.scalars(select(Message).where(Message.id.in_(message_ids))) if message_ids else ():
        message.ticket_id = ticket_id
    for attachment in (
        session.scalars(select(Attachment).where(Attachment.id.in_(attachment_ids))) if attachment_ids else ()
    ):
        attachment.ticket_id = ticket_id
    session.flush()


def _settle(session: Session, emptied: Ticket, filled: Ticket) -> None:
    """Loaded threads are stale after a move; the index listener saw only where messages went."""
    session.expire(emptied, ["messages"])
    session.expire(filled, ["messages"])
    ticket_search.reindex(session.connection(), {emptied.id})


def notify_requester(session: Session, source: Ticket, target: Ticket) -> OutboxMessage | None:
    """E-mail the source's requester that their request continues in the target, once per pair."""
    settings = get_settings()
    customer = source.requester
    if is_automated_address(customer.email):
        return None
    language = source.language or customer.language
    same_requester = source.requester_id == target.requester_id
    rendered = render_email(
        "ticket_merged",
        language,
        {
            "ticket": source,
            "target": target,
            "greeting": greeting(language, customer.name),
            "link": ticket_link(settings, target) if same_requester else "",
        },
    )
    return enqueue_email(
        session,
        to=customer.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        kind=EmailKind.TRANSACTIONAL,
        dedupe_key=f"{MERGED_PREFIX}{source.id}:{target.id}",
        customer_id=customer.id,
        # The target's: a reply to this e-mail threads there by our Message-ID.
        ticket_id=target.id,
        language=rendered.language,
    )
