"""Inbound mail into the help desk: the one entry point for every way mail arrives.

``receive_mail(session, raw, ...)`` decides, in this order:

1. Larger than ``mail_in_max_bytes`` → a ``RejectedMail`` (its beginning kept), answer 552.
2. Not parseable into a message with a sender → ``RejectedMail`` with the raw bytes, answer 550.
3. The same Message-ID from the same sender already stored → nothing new, answer 250 (the
   sending server retried after we had committed but before it heard our answer).
4. Over the per-sender rate limit (``mail_in_rate_limit``) → ``RateLimited``; the receiver
   answers 450 and the sending server keeps the message and retries later. Nothing stored.
5. Machine-written mail (Auto-Submitted other than "no", X-Autoreply and friends,
   mailer-daemon/postmaster, delivery reports, the null envelope sender) is recorded as an
   ``InboundMessage`` (linked to its ticket when it threads) but never answered and never
   opens or reopens a ticket: an out-of-office reply must not wake a pending ticket, and not
   answering machines is what breaks mail loops. A delivery report that names a message we
   sent and a permanent failure puts the recipient on the suppression list (never for a
   report about mail we did not send, so forged bounces cannot unsubscribe anyone).
6. ``unsubscribe <token>`` in the subject (our List-Unsubscribe mailto) → unsubscribed (checked
   before 5: a mail provider may send it as automatic mail on the reader's behalf).
7. Threads into a ticket (``threading``) that is not closed → a new message on it, which
   reopens it as any customer reply does — unless the match rests only on the From address and
   the receiving server's ``Authentication-Results`` speak against it (``threading`` doc): then a
   new ticket linked to that one (``related_ticket_id``), with a note on both for an agent to
   merge, and the original is neither touched nor reopened. Otherwise a new ticket (channel e-mail, language
   detected as for web tickets) and a confirmation threaded under the customer's mail —
   except for list and bulk mail (Precedence bulk/junk/list, List-Id): people write through
   group addresses too, so it becomes a ticket, but nothing is ever sent back automatically.
   Confirmations are also capped per address and day (``notifications``, RFC 3834 §2).

The verdict (``authentication``) and the header it came from are kept on every
``InboundMessage``. Text is stored without NUL characters (``parser``): a message refused for one
would be refused on every retry.

The caller commits; the SMTP receiver answers 250 only after that commit. ``store_inbound``'s
unit of work takes the write lock up front (SQLite); a database still busy after the busy timeout
raises, and the receiver answers 451 so that the sending server keeps the message and retries.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.service import Principal, get_or_create_customer
from aftercare.config import Settings, get_settings
from aftercare.db import Database, utcnow
from aftercare.errors import RateLimited
from helpdesk import service
from helpdesk.email.mail_in.attachments import (
    StoredAttachment,
    fsync_directories,
    remove_files,
    store_attachments,
)
from helpdesk.email.mail_in.authentication import Authentication, AuthVerdict, judge, topmost
from helpdesk.email.mail_in.parser import MalformedMail, ParsedMail, parse_mail
from helpdesk.email.mail_in.threading import find_ticket
from helpdesk.email.models import (
    Attachment,
    InboundDisposition,
    InboundMessage,
    OutboxMessage,
    RejectedMail,
    RejectReason,
    SuppressionScope,
    SuppressionSource,
)
from helpdesk.email.suppression import add_suppression
from helpdesk.email.unsubscribe import resolve_token, unsubscribe
from helpdesk.models import Message, Ticket, TicketChannel, TicketStatus
from helpdesk.schemas import (
    MAX_BODY_CHARS,
    MAX_SUBJECT_CHARS,
    MessageCreate,
    TicketCreate,
)

logger = logging.getLogger(__name__)

# Oversized mail keeps this much of its beginning: the headers and enough body to see what it was.
REJECTED_KEEP_BYTES = 256 * 1024
NO_SUBJECT = "(no subject)"
# The attachment files this transaction wrote, for store_inbound to remove if it does not commit.
# Not an after-commit side effect (aftercare.events runs only after commits): clean-up of a
# failure, which the caller owning the transaction does; session.info is where the list travels
# from receive_mail, deep inside, to that caller.
_FILES_KEY = "helpdesk.email.mail_in.files"
_UNSUBSCRIBE_SUBJECT = "unsubscribe "


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class IntakeResult:
    outcome: Outcome
    disposition: InboundDisposition | None = None
    reject_reason: RejectReason | None = None
    detail: str = ""
    ticket_id: int | None = None
    inbound_id: int | None = None
    rejected_id: int | None = None

    @property
    def smtp_reply(self) -> str:
        if self.outcome == Outcome.REJECTED and self.reject_reason == RejectReason.TOO_LARGE:
            return "552 5.3.4 Message too big for this system"
        if self.outcome == Outcome.REJECTED:
            return f"550 5.6.0 Message not accepted: {self.detail[:200]}"
        return "250 2.0.0 OK: message stored"


@lru_cache(maxsize=4)
def _limiter(storage_url: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(storage_url))


def _check_rate(settings: Settings, sender: str) -> None:
    limit = parse(settings.mail_in_rate_limit)
    limiter = _limiter(settings.rate_limit_storage_url)
    if not limiter.hit(limit, "mail-in", sender):
        raise RateLimited(f"too many messages from {sender}", retry_after=int(limit.get_expiry()))


def _reject(
    session: Session,
    raw: bytes,
    reason: RejectReason,
    detail: str,
    *,
    envelope_from: str,
    envelope_to: str,
    parsed: ParsedMail | None = None,
    now: datetime,
) -> IntakeResult:
    truncated = len(raw) > REJECTED_KEEP_BYTES and reason == RejectReason.TOO_LARGE
    row = RejectedMail(
        reason=reason,
        detail=_text(detail)[:1000],
        envelope_from=_text(envelope_from)[:320],
        envelope_to=_text(envelope_to)[:1000],
        # No NUL in text columns (PostgreSQL refuses them); the raw bytes keep the original.
        from_header=(parsed.from_address if parsed else _peek_header(raw, b"from")).replace("\x00", "")[:500],
        subject=(parsed.subject if parsed else _peek_header(raw, b"subject")).replace("\x00", "")[:500],
        size_bytes=len(raw),
        raw=raw[:REJECTED_KEEP_BYTES] if truncated else raw,
        raw_truncated=truncated,
        received_at=now,
    )
    session.add(row)
    session.flush()
    logger.warning("inbound mail rejected (%s): %s", reason, detail)
    return IntakeResult(Outcome.REJECTED, reject_reason=reason, detail=detail, rejected_id=row.id)


def _text(value: str) -> str:
    """Text a column can hold on every backend: no NUL (the parser cleans what it reads the same way)."""
    return value.replace("\x00", "")


def _peek_header(raw: bytes, name: bytes) -> str:
    """A header of mail too large or broken to parse, for the admin's list (best effort)."""
    head = raw[: 64 * 1024].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for line in head.splitlines():
        key, sep, value = line.partition(b":")
        if sep and key.strip().lower() == name:
            return value.strip().decode("utf-8", "replace")
    return ""


def _duplicate(session: Session, parsed: ParsedMail) -> InboundMessage | None:
    if parsed.message_id is None:
        return None
    return session.scalar(
        select(InboundMessage)
        .where(InboundMessage.message_id == parsed.message_id, InboundMessage.from_address == parsed.from_address)
        .limit(1)
    )


def receive_mail(
    session: Session,
    raw: bytes,
    *,
    envelope_from: str | None = None,
    envelope_to: Sequence[str] = (),
    settings: Settings | None = None,
    now: datetime | None = None,
) -> IntakeResult:
    """Store one inbound message (see the module doc); raises RateLimited past the sender's limit.

    ``envelope_from`` is the SMTP ``MAIL FROM`` ("" for the null sender of bounces and
    auto-replies), or None when unknown (mail read from a file or a mailbox).
    """
    settings = settings or get_settings()
    now = now or utcnow()
    recipients = _text(", ".join(envelope_to))
    sender = _text(envelope_from or "")
    if len(raw) > settings.mail_in_max_bytes:
        return _reject(
            session,
            raw,
            RejectReason.TOO_LARGE,
            f"{len(raw)} bytes; the limit is {settings.mail_in_max_bytes}",
            envelope_from=sender,
            envelope_to=recipients,
            now=now,
        )
    try:
        parsed = parse_mail(raw)
    except MalformedMail as error:
        return _reject(
            session, raw, RejectReason.MALFORMED, error.reason, envelope_from=sender, envelope_to=recipients, now=now
        )
    existing = _duplicate(session, parsed)
    if existing is not None:
        return IntakeResult(
            Outcome.DUPLICATE, disposition=existing.disposition, ticket_id=existing.ticket_id, inbound_id=existing.id
        )
    _check_rate(settings, parsed.from_address)

    authentication = judge(topmost(parsed.authentication_results, settings.mail_in_authserv_id), parsed.from_address)
    record = InboundMessage(
        auth_verdict=authentication.verdict,
        auth_results=authentication.header,
        message_id=parsed.message_id,
        from_address=parsed.from_address,
        from_name=parsed.from_name[:200],
        envelope_from=sender[:320],
        envelope_to=recipients[:1000],
        subject=parsed.subject[:500],
        in_reply_to=parsed.in_reply_to[0] if parsed.in_reply_to else None,
        references=" ".join(parsed.references),
        full_text=parsed.text,
        size_bytes=len(raw),
        received_at=now,
    )
    auto_reason = parsed.auto_reason or ("null envelope sender" if envelope_from == "" else None)
    if parsed.is_bounce:
        _handle_bounce(session, parsed, record)
    elif parsed.subject.lower().startswith(_UNSUBSCRIBE_SUBJECT) and _handle_unsubscribe(session, settings, parsed):
        # Before the machine-mail check: providers may send these on the reader's behalf.
        record.disposition = InboundDisposition.UNSUBSCRIBE
    elif auto_reason is not None:
        match = find_ticket(session, parsed, authentication)
        record.disposition = InboundDisposition.AUTO_REPLY
        record.auto_reason = auto_reason[:100]
        record.ticket_id = match.ticket.id if match is not None and match.trusted else None
    else:
        result = _to_ticket(
            session,
            settings,
            parsed,
            record,
            authentication,
            raw=raw,
            envelope_from=sender,
            envelope_to=recipients,
            now=now,
        )
        if result is not None:
            return result
    session.add(record)
    session.flush()
    return IntakeResult(
        Outcome.ACCEPTED, disposition=record.disposition, ticket_id=record.ticket_id, inbound_id=record.id
    )


def _handle_bounce(session: Session, parsed: ParsedMail, record: InboundMessage) -> None:
    record.disposition = InboundDisposition.BOUNCE
    record.auto_reason = (parsed.auto_reason or "delivery report")[:100]
    if not parsed.bounced_message_ids or not parsed.bounced_recipients:
        return
    ours = session.scalars(select(OutboxMessage).where(OutboxMessage.message_id.in_(parsed.bounced_message_ids))).all()
    for message in ours:
        record.ticket_id = record.ticket_id or message.ticket_id
        if message.to_address in parsed.bounced_recipients:
            add_suppression(
                session,
                message.to_address,
                SuppressionScope.ALL,
                source=SuppressionSource.HARD_BOUNCE,
                outbox_message_id=message.id,
                note="permanent delivery failure reported",
            )


def _handle_unsubscribe(session: Session, settings: Settings, parsed: ParsedMail) -> bool:
    token = parsed.subject[len(_UNSUBSCRIBE_SUBJECT) :].strip().split(" ")[0]
    target = resolve_token(session, settings, token)
    if target is None:
        return False
    unsubscribe(session, target, source=SuppressionSource.UNSUBSCRIBE_MAIL)
    return True


def _body_for_ticket(parsed: ParsedMail, stored: list[StoredAttachment]) -> str:
    body = parsed.reply_text or parsed.subject
    refused = [
        f"[Attachment not kept: {item.filename} ({item.refused_reason})]" for item in stored if item.refused_reason
    ]
    kept = [f"[Attachment: {item.filename}]" for item in stored if item.stored_name]
    if not body and not kept:
        return ""
    body = body or "(no text; see the attachments)"
    notes = "\n".join([*kept, *refused])
    suffix = f"\n\n{notes}" if notes else ""
    if len(body) + len(suffix) > MAX_BODY_CHARS:
        marker = "\n\n[The message was longer; the rest is kept with the original e-mail.]"
        body = body[: MAX_BODY_CHARS - len(suffix) - len(marker)] + marker
    return body + suffix


def _to_ticket(
    session: Session,
    settings: Settings,
    parsed: ParsedMail,
    record: InboundMessage,
    authentication: Authentication,
    *,
    raw: bytes,
    envelope_from: str,
    envelope_to: str,
    now: datetime,
) -> IntakeResult | None:
    """Add the message to its ticket or open a new one; an IntakeResult only when rejected."""
    stored, written = store_attachments(
        parsed.attachments, data_dir=settings.data_dir, max_bytes=settings.attachment_max_bytes, now=now
    )
    # Files are for the caller to remove if this transaction does not commit (store_inbound).
    session.info.setdefault(_FILES_KEY, []).extend(written)
    body = _body_for_ticket(parsed, stored)
    if not body.strip():
        remove_files(written)
        return _reject(
            session,
            raw,
            RejectReason.EMPTY,
            "no text and no usable attachment",
            parsed=parsed,
            envelope_from=envelope_from,
            envelope_to=envelope_to,
            now=now,
        )
    match = find_ticket(session, parsed, authentication)
    ticket: Ticket | None = None
    message: Message | None = None
    # A match the sender checks speak against: a new ticket beside it, never a message on it.
    related = match.ticket if match is not None and not match.trusted else None
    if match is not None and match.trusted and match.ticket.status != TicketStatus.CLOSED:
        ticket = match.ticket
        author = get_or_create_customer(session, parsed.from_address, name=parsed.from_name or None)
        message = service.add_message(session, ticket, MessageCreate(body=body), Principal(customer=author))
        message.channel = TicketChannel.EMAIL
        record.disposition = InboundDisposition.THREADED
    else:
        try:
            data = TicketCreate(
                customer_email=parsed.from_address,
                customer_name=parsed.from_name[:200] or None,
                subject=(parsed.subject or NO_SUBJECT)[:MAX_SUBJECT_CHARS],
                body=body,
            )
        except ValidationError as error:
            remove_files(written)
            detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:3])
            return _reject(
                session,
                raw,
                RejectReason.MALFORMED,
                f"cannot make a ticket: {detail}",
                parsed=parsed,
                envelope_from=envelope_from,
                envelope_to=envelope_to,
                now=now,
            )
        # Confirmed after the commit (TicketCreated's subscriber), threaded under the customer's
        # message; bulk mail is never answered.
        ticket = service.create_ticket(
            session,
            data,
            channel=TicketChannel.EMAIL,
            related_ticket=related,
            confirm=parsed.bulk_reason is None,
            in_reply_to=parsed.message_id,
            references=parsed.references or (),
            now=now,
        )
        message = ticket.messages[0]
        record.disposition = InboundDisposition.NEW_TICKET
        if related is not None:
            service.note_related_tickets(session, ticket, related, reason=_untrusted_reason(authentication))
    record.ticket_id = ticket.id
    record.ticket_message_id = message.id
    session.add(record)
    session.flush()
    for item in stored:
        session.add(
            Attachment(
                inbound_message_id=record.id,
                ticket_id=ticket.id,
                ticket_message_id=message.id,
                filename=item.filename,
                content_type=item.content_type,
                size_bytes=item.size_bytes,
                stored_name=item.stored_name,
                sha256=item.sha256,
                refused_reason=item.refused_reason,
                created_at=now,
            )
        )
    fsync_directories(written)
    if parsed.bulk_reason is not None:
        record.auto_reason = parsed.bulk_reason[:100]
    return None


def _untrusted_reason(authentication: Authentication) -> str:
    if authentication.verdict == AuthVerdict.FAIL:
        return f"it failed our mail server's sender checks ({(authentication.header or '')[:300]})"
    return "it was not authenticated, while earlier mail from this address was"


def store_inbound(
    database: Database,
    raw: bytes,
    *,
    envelope_from: str | None = None,
    envelope_to: Sequence[str] = (),
    settings: Settings | None = None,
) -> IntakeResult:
    """``receive_mail`` in its own transaction: returns only once the result is committed.

    Attachment files written for a transaction that then fails are removed again.
    """
    written: list[Path] = []
    try:
        # Every message is written: take the write lock up front (SQLite), so the busy timeout applies.
        with database.session(write=True) as session:
            session.info[_FILES_KEY] = written
            result = receive_mail(session, raw, envelope_from=envelope_from, envelope_to=envelope_to, settings=settings)
    except BaseException:
        remove_files(written)
        raise
    return result
