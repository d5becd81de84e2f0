"""The transactional outbox: the one way e-mail leaves Aftercare.

API (stable; other domains call it)::

    enqueue_email(session, *, to, subject, text, html=None, kind: EmailKind,
                  dedupe_key=None, customer_id=None, ticket_id=None, headers=None,
                  send_after=None, language=None) -> OutboxMessage | None

- Written in the caller's transaction (flush, never commit), with a ``helpdesk.events.EmailQueued``
  event; after the commit its subscriber here nudges a worker, which sends it; the every-minute drain catches anything the
  nudge missed. If the transaction rolls back, the message never existed.
- ``dedupe_key`` is unique: a second enqueue with the same key returns the existing row and
  never makes a second message, even after a crash or a re-run (use e.g.
  ``f"tip:{customer_id}:{step_id}"``). A key whose row was *declined* (see below) is looked at
  again on the next enqueue: if the reason has gone (consent given, a week has passed), the same
  row is revived and sent; the key still never yields two messages.
- Returns None when the message will not be sent, with the reason kept on a row in status
  ``suppressed`` (``suppressed_reason``): the address is on the suppression list for this kind,
  no consent (MARKETING needs ``customer.consent_marketing``, SURVEY ``consent_surveys``; either
  needs a customer record), or the MARKETING frequency cap
  (``settings.email_frequency_cap_per_week`` per customer over the last 7 days; 0 = no cap).
- TRANSACTIONAL mail honours only the ``all`` suppression scope, and a reply about a ticket to
  that ticket's own requester goes out even then (see ``helpdesk.email.suppression``).
- MARKETING and SURVEY rows get RFC 8058 ``List-Unsubscribe`` / ``List-Unsubscribe-Post``
  headers, ``Auto-Submitted: auto-generated``, and an unsubscribe footer in their language (added
  when the message is composed). Every row gets ``Reply-To: settings.mail_reply_to`` unless the
  caller set one. The Message-ID is fixed here, so replies can be threaded before it is sent.
- ``html`` is sent as given: build it with ``helpdesk.email.rendering`` (autoescape) or another
  autoescaping template, and pass anything people wrote through ``safe_html``/``text_to_html``.
- ``headers``: extra one-line headers (In-Reply-To, References, ...); From, To, Subject, Date
  and Message-ID are the outbox's own and are refused.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from accounts.models import Customer
from accounts.service import get_customer_by_email
from aftercare.config import Settings, get_settings
from aftercare.db import Database, utcnow
from aftercare.errors import Conflict, NotFound, ValidationFailed
from aftercare.events import record, subscribe
from aftercare.pagination import paginate
from helpdesk.email.addressing import (
    checked_headers,
    new_message_id,
    one_line,
    reply_to,
    single_address,
)
from helpdesk.email.models import EmailKind, OutboxMessage, OutboxStatus, SuppressReason
from helpdesk.email.suppression import is_suppressed
from helpdesk.email.unsubscribe import list_unsubscribe_headers
from helpdesk.events import EmailQueued
from helpdesk.models import Ticket

__all__ = ["EmailKind", "OutboxMessage", "OutboxStatus", "enqueue_email", "list_outbox", "retry_message"]

logger = logging.getLogger(__name__)

FREQUENCY_WINDOW = timedelta(days=7)
MAX_SUBJECT_CHARS = 500
# Rows that count against the frequency cap: on their way or gone, not declined or failed.
_LIVE_STATUSES = (OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.SENT)


def enqueue_email(
    session: Session,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    kind: EmailKind,
    dedupe_key: str | None = None,
    customer_id: int | None = None,
    ticket_id: int | None = None,
    headers: dict[str, str] | None = None,
    send_after: datetime | None = None,
    language: str | None = None,
    now: datetime | None = None,
) -> OutboxMessage | None:
    """Queue one e-mail in the caller's transaction; None when it will not be sent (see module doc)."""
    settings = get_settings()
    now = now or utcnow()
    kind = EmailKind(kind)
    address = single_address(to)
    if not text.strip():
        raise ValidationFailed("an e-mail needs a text part")
    if send_after is not None and send_after.tzinfo is None:
        raise ValidationFailed("send_after must be an aware datetime")
    if dedupe_key is not None and not 0 < len(dedupe_key) <= 200:
        raise ValidationFailed("dedupe_key must be 1 to 200 characters")
    if customer_id is None and kind != EmailKind.TRANSACTIONAL:
        # Consent, the frequency cap and reports all go by customer: find them by address.
        customer = get_customer_by_email(session, address)
        customer_id = customer.id if customer is not None else None
    content = {
        "to_address": address,
        "subject": one_line(subject)[:MAX_SUBJECT_CHARS],
        "text_body": text,
        "html_body": html,
        "headers": checked_headers(headers),
        "language": language,
        "customer_id": customer_id,
        "ticket_id": ticket_id,
        "next_attempt_at": max(send_after or now, now),
    }
    # The retry horizon counts from the first time the message is due, not from when it was queued.
    content["delivering_since"] = content["next_attempt_at"]

    refusal = _refusal(
        session, settings, kind=kind, address=address, customer_id=customer_id, ticket_id=ticket_id, now=now
    )
    message_id = new_message_id(settings)
    values = {
        **content,
        "headers": _standard_headers(settings, kind, message_id, content["headers"]),
        "kind": kind,
        "status": OutboxStatus.SUPPRESSED if refusal else OutboxStatus.QUEUED,
        "suppressed_reason": refusal,
        "dedupe_key": dedupe_key,
        "message_id": message_id,
        "created_at": now,
        "updated_at": now,
    }
    row = _insert(session, values)
    if row is None:
        # The key is taken (earlier, or by a concurrent transaction): that row is the message.
        existing = _by_dedupe_key(session, dedupe_key)
        if existing is None:  # only if the holder of the key rolled back in between: try again
            raise Conflict(f"outbox key {dedupe_key!r} changed hands during the enqueue; retry")
        if existing.status != OutboxStatus.SUPPRESSED:
            return existing
        return _reconsider(session, settings, existing, kind, refusal, content)
    if refusal is not None:
        return None
    _nudge_worker_after_commit(session)
    return row


def _insert(session: Session, values: dict) -> OutboxMessage | None:
    """Insert the row; None if its dedupe key is already taken (``INSERT ... ON CONFLICT DO NOTHING``).

    Not a savepoint: releasing one fires the session's after-commit hooks early, and the
    conflict clause is atomic under concurrent inserts on both SQLite and PostgreSQL.
    """
    if values["dedupe_key"] is None:
        row = OutboxMessage(**values)
        session.add(row)
        session.flush()
        return row
    statement = _insert_if_absent(session.get_bind().dialect.name)
    return session.scalars(statement, [values]).first()


@lru_cache(maxsize=2)
def _insert_if_absent(dialect: str) -> Any:
    # Built once, executed with parameters: rebuilding it per row cost more than the insert.
    insert = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}[dialect]
    return (
        insert(OutboxMessage).on_conflict_do_nothing(index_elements=[OutboxMessage.dedupe_key]).returning(OutboxMessage)
    )


def _by_dedupe_key(session: Session, dedupe_key: str | None) -> OutboxMessage | None:
    if dedupe_key is None:
        return None
    return session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))


def _customer(session: Session, customer_id: int | None, address: str) -> Customer | None:
    if customer_id is not None:
        return session.get(Customer, customer_id)
    return get_customer_by_email(session, address)


def _refusal(
    session: Session,
    settings: Settings,
    *,
    kind: EmailKind,
    address: str,
    customer_id: int | None,
    ticket_id: int | None,
    now: datetime,
    check_cap: bool = True,
) -> SuppressReason | None:
    """Why this message must not go out, or None."""
    # ".invalid" can never resolve (RFC 2606); an erased customer's placeholder address ends so.
    if address.lower().endswith(".invalid"):
        return SuppressReason.UNDELIVERABLE_ADDRESS
    if is_suppressed(session, address, kind) and not _is_reply_to_own_ticket(session, kind, address, ticket_id):
        return SuppressReason.SUPPRESSED_ADDRESS
    if kind == EmailKind.TRANSACTIONAL:
        return None
    customer = _customer(session, customer_id, address)
    consent = customer is not None and (
        customer.consent_marketing if kind == EmailKind.MARKETING else customer.consent_surveys
    )
    if not consent:
        return SuppressReason.NO_CONSENT
    if check_cap and kind == EmailKind.MARKETING and _over_frequency_cap(session, settings, customer, now):
        return SuppressReason.FREQUENCY_CAP
    return None


def _is_reply_to_own_ticket(session: Session, kind: EmailKind, address: str, ticket_id: int | None) -> bool:
    if kind != EmailKind.TRANSACTIONAL or ticket_id is None:
        return False
    ticket = session.get(Ticket, ticket_id)
    return ticket is not None and ticket.requester.email == address


def _over_frequency_cap(session: Session, settings: Settings, customer: Customer | None, now: datetime) -> bool:
    cap = settings.email_frequency_cap_per_week
    if cap <= 0 or customer is None:
        return False
    recent = session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.customer_id == customer.id,
            OutboxMessage.kind == EmailKind.MARKETING,
            OutboxMessage.status.in_(_LIVE_STATUSES),
            OutboxMessage.created_at > now - FREQUENCY_WINDOW,
        )
    )
    return (recent or 0) >= cap


def recheck_before_send(
    session: Session, message: OutboxMessage, *, now: datetime | None = None
) -> SuppressReason | None:
    """The send-time check: an unsubscribe or a suppression that arrived after the enqueue wins.

    The frequency cap is not counted again: it was decided when the row was queued.
    """
    return _refusal(
        session,
        get_settings(),
        kind=EmailKind(message.kind),
        address=message.to_address,
        customer_id=message.customer_id,
        ticket_id=message.ticket_id,
        now=now or utcnow(),
        check_cap=False,
    )


def _reconsider(
    session: Session,
    settings: Settings,
    row: OutboxMessage,
    kind: EmailKind,
    refusal: SuppressReason | None,
    content: dict,
) -> OutboxMessage | None:
    """A row declined before under this key: decline again, or revive it with the new content."""
    if refusal is not None:
        row.suppressed_reason = refusal
        session.flush()
        return None
    for name, value in content.items():
        setattr(row, name, value)
    row.kind = kind
    row.headers = _standard_headers(settings, kind, row.message_id, content["headers"])
    row.status = OutboxStatus.QUEUED
    row.suppressed_reason = None
    session.flush()
    _nudge_worker_after_commit(session)
    return row


def _standard_headers(settings: Settings, kind: EmailKind, message_id: str, extra: dict[str, str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    lowered = {name.lower() for name in extra}
    if "reply-to" not in lowered:
        headers["Reply-To"] = reply_to(settings)
    if kind in (EmailKind.MARKETING, EmailKind.SURVEY):
        # RFC 3834: automatic mail, so well-behaved autoresponders do not answer it.
        headers["Auto-Submitted"] = "auto-generated"
        headers.update(list_unsubscribe_headers(settings, message_id))
    headers.update(extra)
    return headers


def _nudge_worker_after_commit(session: Session) -> None:
    """Ask a worker to send once this transaction commits; once per transaction, however many rows
    (equal events are recorded once)."""
    record(session, EmailQueued())


def _nudge_worker(_event: EmailQueued, _database: Database) -> None:
    from workers.queue import enqueue_job

    # If the queue is unreachable the rows are safe in the database; the periodic drain sends them.
    enqueue_job("helpdesk.email.tasks.send_outbox_now")


def list_outbox(
    session: Session,
    *,
    status: OutboxStatus | None = None,
    ticket_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[OutboxMessage], int]:
    query = select(OutboxMessage)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if ticket_id is not None:
        query = query.where(OutboxMessage.ticket_id == ticket_id)
    found = paginate(session, query.order_by(OutboxMessage.id.desc()), offset=offset, limit=limit)
    return found.items, found.total


def retry_message(session: Session, message_id: int, *, now: datetime | None = None) -> OutboxMessage:
    """Send a failed message again (an admin's decision once the cause is fixed).

    A fresh effort: the attempts and the retry horizon start again from now.
    """
    row = session.get(OutboxMessage, message_id)
    if row is None:
        raise NotFound(f"outbox message {message_id} not found")
    if row.status != OutboxStatus.FAILED:
        raise Conflict(f"only failed messages can be retried; this one is {row.status}")
    now = now or utcnow()
    row.status = OutboxStatus.QUEUED
    row.attempts = 0
    row.next_attempt_at = now
    row.delivering_since = now
    session.flush()
    _nudge_worker_after_commit(session)
    return row


# Here, not in a module of its own: wherever an e-mail can be queued, this module is loaded.
subscribe(EmailQueued, _nudge_worker)
