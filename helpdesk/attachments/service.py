"""Uploaded attachments: checked against the limits, stored with their message, read by whom may.

Checking comes first and writes nothing (``check_uploads``): a refused upload is a 4xx the page
shows beside the kept text. Storing (``attach_uploads``) writes the files before the commit,
durably, and registers them with the session: if the transaction (or the SAVEPOINT they were
written in) does not commit, they are deleted again, so nothing is ever half-saved. An agent's
public reply e-mails its files (``helpdesk.email.notifications.attach_to_reply``).

Who may read: staff, any attachment; the ticket's requester (signed in or holding its link),
only attachments of the public messages of their own ticket; anyone else gets "not found".
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from accounts.service import Principal
from aftercare.config import Settings
from aftercare.db import utcnow
from aftercare.errors import DomainError, NotFound
from helpdesk import service
from helpdesk.attachments.content_types import INLINE_IMAGE_TYPES, display_name, extension_for, sniff_type
from helpdesk.attachments.storage import Storage, storage_for
from helpdesk.email import notifications
from helpdesk.email.models import Attachment
from helpdesk.models import Message, MessageKind, Ticket

logger = logging.getLogger(__name__)


class Problem(StrEnum):
    TOO_MANY = "too_many"
    TOO_LARGE = "too_large"
    EMPTY = "empty"
    TYPE = "type"


class AttachmentRefused(DomainError):
    """An upload outside the limits; nothing was stored. ``problem``, ``filename`` and ``limit``
    let a page say it in the reader's language."""

    status_code = 422
    code = "attachment_refused"

    def __init__(self, message: str, *, problem: Problem, filename: str = "", limit: int = 0) -> None:
        super().__init__(message, details={"problem": problem.value, "filename": filename, "limit": limit})
        self.problem = problem
        self.filename = filename
        self.limit = limit
        if problem == Problem.TOO_LARGE:
            self.status_code = 413


@dataclass(frozen=True)
class Upload:
    """A file as it came: the sender's name and declared type, and the bytes."""

    filename: str
    content_type: str
    payload: bytes


@dataclass(frozen=True)
class CheckedUpload:
    filename: str
    content_type: str
    payload: bytes


def check_uploads(uploads: Iterable[Upload], settings: Settings) -> list[CheckedUpload]:
    """The files with their sniffed types, or ``AttachmentRefused`` for the first one out of bounds.

    An empty file input (no name, no bytes) is no file at all: forms send one when nothing was chosen.
    """
    chosen = [upload for upload in uploads if upload.filename or upload.payload]
    if len(chosen) > settings.attachment_max_count:
        raise AttachmentRefused(
            f"at most {settings.attachment_max_count} files per message; {len(chosen)} were chosen",
            problem=Problem.TOO_MANY,
            limit=settings.attachment_max_count,
        )
    checked: list[CheckedUpload] = []
    for upload in chosen:
        name = display_name(upload.filename)
        size = len(upload.payload)
        if size == 0:
            raise AttachmentRefused(f"{name} is empty", problem=Problem.EMPTY, filename=name)
        if size > settings.attachment_max_bytes:
            raise AttachmentRefused(
                f"{name} is {size} bytes; the limit is {settings.attachment_max_bytes} bytes",
                problem=Problem.TOO_LARGE,
                filename=name,
                limit=settings.attachment_max_bytes,
            )
        content_type, why = sniff_type(upload.payload, upload.content_type, upload.filename)
        if content_type is None:
            raise AttachmentRefused(f"{name} was not accepted: {why}", problem=Problem.TYPE, filename=name)
        checked.append(CheckedUpload(name, content_type, upload.payload))
    return checked


def attach_uploads(
    session: Session,
    ticket: Ticket,
    message: Message,
    uploads: list[CheckedUpload],
    principal: Principal,
    settings: Settings,
    *,
    storage: Storage | None = None,
) -> list[Attachment]:
    """Store checked files with ``message`` (flushed, so it has an id); undone if not committed."""
    if not uploads:
        return []
    if message.id is None:
        session.flush()
    if not principal.is_staff and message.kind != MessageKind.PUBLIC_REPLY:
        raise NotFound(f"message {message.id} not found")
    storage = storage or storage_for(settings)
    now = utcnow()
    rows: list[Attachment] = []
    for upload in uploads:
        stored_name = storage.save(upload.payload, extension=extension_for(upload.content_type), now=now)
        _written_in(session).append((storage, stored_name))
        rows.append(
            Attachment(
                inbound_message_id=None,
                ticket_id=ticket.id,
                ticket_message_id=message.id,
                uploaded_by_user_id=principal.user.id if principal.user is not None else None,
                uploaded_by_customer_id=principal.customer.id if principal.customer is not None else None,
                filename=upload.filename,
                content_type=upload.content_type,
                size_bytes=len(upload.payload),
                stored_name=stored_name,
                sha256=hashlib.sha256(upload.payload).hexdigest(),
                refused_reason=None,
                created_at=now,
            )
        )
    storage.make_durable([row.stored_name for row in rows if row.stored_name])
    session.add_all(rows)
    session.flush()
    if message.kind == MessageKind.PUBLIC_REPLY and message.author_user is not None and message.author_user.is_staff:
        notifications.attach_to_reply(session, message, rows, max_bytes=settings.attachment_email_max_bytes)
    return rows


def message_for_upload(session: Session, ticket: Ticket, message_id: int | None, principal: Principal) -> Message:
    """The message files are added to: the one named (on this ticket, public for customers), else
    the ticket's latest message the principal can see."""
    visible = service.visible_messages(ticket, principal)
    if message_id is None:
        if not visible:
            raise NotFound(f"ticket {ticket.id} has no message to attach files to")
        return visible[-1]
    for message in visible:
        if message.id == message_id:
            return message
    raise NotFound(f"message {message_id} not found on ticket {ticket.id}")


def get_attachment_for(session: Session, attachment_id: int, principal: Principal) -> Attachment:
    """The attachment if this principal may read it; otherwise 'not found', so ids leak nothing."""
    row = session.get(Attachment, attachment_id)
    if row is None or row.stored_name is None:
        raise NotFound(f"attachment {attachment_id} not found")
    if principal.is_staff:
        return row
    if row.ticket_id is None or row.ticket_message_id is None:
        raise NotFound(f"attachment {attachment_id} not found")
    try:
        service.get_ticket_for(session, row.ticket_id, principal)
    except NotFound:
        raise NotFound(f"attachment {attachment_id} not found") from None
    message = session.get(Message, row.ticket_message_id)
    if message is None or not message.is_public:
        raise NotFound(f"attachment {attachment_id} not found")
    return row


def attachments_by_message(session: Session, ticket: Ticket, principal: Principal) -> dict[int, list[Attachment]]:
    """The stored files of each message of the ticket the principal can see, in upload order."""
    visible = {message.id for message in service.visible_messages(ticket, principal)}
    rows = session.scalars(
        select(Attachment)
        .where(Attachment.ticket_id == ticket.id, Attachment.stored_name.is_not(None))
        .order_by(Attachment.id)
    )
    grouped: dict[int, list[Attachment]] = {}
    for row in rows:
        if row.ticket_message_id in visible:
            grouped.setdefault(row.ticket_message_id, []).append(row)
    return grouped


def is_inline_image(row: Attachment) -> bool:
    """Shown as a picture (thumbnail) rather than only offered as a download."""
    return row.content_type in INLINE_IMAGE_TYPES


# Files written per open transaction, to delete if it does not commit (as mail-in does for its own).
_WRITTEN_KEY = "aftercare_attachment_files"
_COMMITTED_KEY = "aftercare_attachment_committed"

Written = list[tuple[Storage, str]]


def _written_in(session: Session) -> Written:
    if session.get_transaction() is None:
        session.begin()
    current = session.get_nested_transaction() or session.get_transaction()
    assert current is not None  # begun above
    by_transaction: dict[SessionTransaction, Written] = session.info.setdefault(_WRITTEN_KEY, {})
    return by_transaction.setdefault(current, [])


@event.listens_for(Session, "after_commit")
def _note_commit(session: Session) -> None:
    committed = session.get_nested_transaction() or session.get_transaction()
    if committed is not None and session.info.get(_WRITTEN_KEY):
        session.info.setdefault(_COMMITTED_KEY, set()).add(committed)


@event.listens_for(Session, "after_transaction_end")
def _end_of_transaction(session: Session, transaction: SessionTransaction) -> None:
    by_transaction: dict[SessionTransaction, Written] | None = session.info.get(_WRITTEN_KEY)
    if not by_transaction:
        return
    committed = session.info.get(_COMMITTED_KEY, set())
    was_committed = transaction in committed
    committed.discard(transaction)
    written = by_transaction.pop(transaction, None)
    if written is None:
        return
    if was_committed:
        outer = transaction.parent
        # A flush's subtransaction is not a SAVEPOINT: hand the files to the nearest real one.
        while outer is not None and not outer.nested and outer.parent is not None:
            outer = outer.parent
        if outer is not None:
            by_transaction.setdefault(outer, []).extend(written)
        return
    for storage, stored_name in written:
        try:
            storage.delete(stored_name)
        except OSError:
            logger.exception("could not remove %s after a rollback", stored_name)
