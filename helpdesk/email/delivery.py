"""Sending the outbox: claim a due row, hand it to SMTP, record the outcome.

Each row goes through three short transactions, none held open while talking to the server:

1. **claim**: ``UPDATE ... SET status='sending', attempts=attempts+1 WHERE id=(next due row)
   AND status='queued'``. Only one worker's UPDATE can match, so two workers never send the same
   row (on PostgreSQL the inner SELECT also uses ``FOR UPDATE SKIP LOCKED`` so that workers take
   different rows instead of queueing on one).
2. **send** over SMTP, outside any transaction.
3. **record**: ``sent`` with the time; or, after a temporary failure (the server unreachable,
   a 4yz reply, a dropped connection), back to ``queued`` with ``next_attempt_at`` pushed out
   exponentially (1, 2, 4, ... minutes, capped at 6 hours, with jitter); or ``failed`` with the
   reason in ``last_error`` (visible at ``/admin/email/outbox`` and in
   ``GET /api/v1/mail/outbox?status=failed``; an admin can send it again).

When to give up is RFC 5321's rule (4.5.4.1), not a count of attempts: a 5yz reply fails the
message at once (the server will refuse it again), and temporary failures are retried until the
message has been undeliverable for ``mail_retry_horizon_hours`` (4 days by default) since it was
first due (``delivering_since``). A mail server down over a long weekend therefore costs no
message: while it is down only the first due row of each drain makes an attempt (the drain stops
at ``ServerUnavailable``), and every row keeps its place until the horizon.

The one unavoidable duplicate: if the process dies after the server accepted a message and
before step 3 commits (a window of one small UPDATE), the row stays ``sending``; when its lease
runs out it is sent again. Every other crash point loses nothing and doubles nothing. The resent
copy carries the same Message-ID, which is what most mail clients use to fold duplicates. A row
is only taken back after ``lease_seconds`` (several SMTP time-outs), so a slow send is never
mistaken for a dead worker.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.orm import Session

from aftercare.config import Settings, get_settings
from aftercare.db import Database, UTCDateTime, utcnow
from helpdesk.email.attached_files import file_refs, read_files
from helpdesk.email.models import OutboxMessage, OutboxStatus
from helpdesk.email.outbox import recheck_before_send
from helpdesk.email.smtp import DeliveryError, ServerUnavailable, SmtpTransport, compose

logger = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
# Retries spread out by up to this fraction, so that a recovered server is not hit all at once.
RETRY_JITTER = 0.1
LEASE_EXPIRED_ERROR = "the worker stopped while sending; taken back after its lease ran out"


@dataclass
class DrainSummary:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0
    reclaimed: int = 0
    server_unavailable: bool = False

    def __str__(self) -> str:
        down = " (SMTP server unavailable)" if self.server_unavailable else ""
        return (
            f"sent {self.sent}, retry later {self.retried}, failed {self.failed}, "
            f"suppressed {self.suppressed}, taken back {self.reclaimed}{down}"
        )


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 1, 2, 4, 8 ... minutes, at most 6 hours."""
    base = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)
    return base * (1 + random.uniform(0, RETRY_JITTER))


def lease_seconds(settings: Settings) -> float:
    # Long enough for a slow server to answer every step of one message, with room to spare.
    return max(120.0, 4 * settings.smtp_timeout_seconds)


def retry_horizon(settings: Settings) -> timedelta:
    """How long temporary failures are retried, counted from when a message was first due."""
    return timedelta(hours=settings.mail_retry_horizon_hours)


def give_up_at(row: OutboxMessage, horizon: timedelta) -> datetime:
    """The moment after which a temporary failure fails ``row`` for good."""
    return (row.delivering_since or row.created_at) + horizon


def reclaim_stale(session: Session, *, now: datetime, lease: timedelta, horizon: timedelta) -> int:
    """Rows left in 'sending' by a worker that died: queue them again, or fail them past the horizon."""
    stale = (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.claimed_at < now - lease)
    since = func.coalesce(OutboxMessage.delivering_since, OutboxMessage.created_at)
    result = session.execute(
        update(OutboxMessage)
        .where(stale)
        .values(
            status=case((since < now - horizon, OutboxStatus.FAILED), else_=OutboxStatus.QUEUED),
            next_attempt_at=now,
            last_error=LEASE_EXPIRED_ERROR,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def claim_next(session: Session, *, now: datetime) -> OutboxMessage | None:
    """Take the next due row for this worker alone, or None when nothing is due."""
    return session.scalars(
        _claim_statement(session.get_bind().dialect.name),
        {"now": now},
        execution_options={"synchronize_session": False, "populate_existing": True},
    ).first()


@lru_cache(maxsize=4)
def _claim_statement(dialect: str) -> Any:
    # Built once per dialect and run with a parameter: building it per row cost as much as running it.
    now = bindparam("now", type_=UTCDateTime())
    candidate = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )
    if dialect == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True)
    return (
        update(OutboxMessage)
        .where(OutboxMessage.id == candidate.scalar_subquery(), OutboxMessage.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1, updated_at=now)
        .returning(OutboxMessage)
    )


def _finish(session: Session, row_id: int, **values: object) -> bool:
    """Record an outcome, but only if the row is still ours (not taken back after a lease ran out)."""
    result = session.execute(
        _finish_statement(tuple(sorted(values))),
        {"row_id": row_id, **values},
        execution_options={"synchronize_session": False},
    )
    if not result.rowcount:
        logger.warning("outbox row %s was taken back by another worker before its outcome was recorded", row_id)
        return False
    return True


@lru_cache(maxsize=16)
def _finish_statement(columns: tuple[str, ...]) -> Any:
    table = OutboxMessage.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.status == OutboxStatus.SENDING)
        .values({name: bindparam(name, type_=table.c[name].type) for name in columns})
    )


def _record_failure(
    session: Session,
    row: OutboxMessage,
    error: DeliveryError,
    now: datetime,
    summary: DrainSummary,
    horizon: timedelta,
) -> None:
    deadline = give_up_at(row, horizon)
    if error.permanent or now >= deadline:
        if error.permanent:
            reason = f"refused permanently: {error.detail}"
        else:
            reason = f"not delivered after {_describe(horizon)} of retrying ({row.attempts} attempts): {error.detail}"
        _finish(session, row.id, status=OutboxStatus.FAILED, last_error=reason[:1000], updated_at=now)
        summary.failed += 1
        logger.error("outbox row %s failed for good: %s", row.id, reason)
        return
    # The last try falls on the horizon itself, so that a message is never failed before its time.
    next_attempt = min(now + retry_delay(row.attempts), deadline)
    _finish(
        session,
        row.id,
        status=OutboxStatus.QUEUED,
        last_error=error.detail,
        next_attempt_at=next_attempt,
        updated_at=now,
    )
    summary.retried += 1
    logger.warning(
        "outbox row %s not sent (attempt %s), will retry until %s: %s",
        row.id,
        row.attempts,
        deadline.isoformat(timespec="minutes"),
        error.detail,
    )


def _describe(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    if hours >= 48 and hours % 24 == 0:
        return f"{hours / 24:.0f} days"
    return f"{hours:g} hours"


TransportFactory = Callable[[Settings], SmtpTransport]


def drain_outbox(
    database: Database,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
    max_messages: int | None = None,
    max_seconds: float | None = None,
    transport_factory: TransportFactory = SmtpTransport,
) -> DrainSummary:
    """Send every due row (up to the limits); safe to run in many workers at once.

    ``now`` pins the clock (tests, replays); by default each step reads the real time.
    """
    settings = settings or get_settings()
    summary = DrainSummary()
    started = time.monotonic()
    lease = timedelta(seconds=lease_seconds(settings))
    horizon = retry_horizon(settings)
    # Every unit below writes: on SQLite each takes the write lock up front (aftercare.db).
    with database.session(write=True) as session:
        summary.reclaimed = reclaim_stale(session, now=now or utcnow(), lease=lease, horizon=horizon)
    with transport_factory(settings) as transport:
        while max_messages is None or summary.sent + summary.retried + summary.failed < max_messages:
            if max_seconds is not None and time.monotonic() - started > max_seconds:
                break
            moment = now or utcnow()
            with database.session(write=True) as session:
                row = claim_next(session, now=moment)
                if row is None:
                    break
                refusal = recheck_before_send(session, row, now=moment)
                if refusal is not None:
                    _finish(
                        session, row.id, status=OutboxStatus.SUPPRESSED, suppressed_reason=refusal, updated_at=moment
                    )
                    summary.suppressed += 1
                    continue
                refs = file_refs(session, row)
            try:
                email = compose(settings, row, now=moment, files=read_files(settings, refs))
            except Exception as error:
                # Composing is deterministic: retrying cannot help, and the row must not block the queue.
                logger.exception("outbox row %s cannot be composed", row.id)
                with database.session(write=True) as session:
                    _finish(
                        session,
                        row.id,
                        status=OutboxStatus.FAILED,
                        last_error=f"cannot compose: {error}"[:1000],
                        updated_at=moment,
                    )
                summary.failed += 1
                continue
            try:
                transport.send(email, row.to_address)
            except DeliveryError as error:
                with database.session(write=True) as session:
                    _record_failure(session, row, error, now or utcnow(), summary, horizon)
                if isinstance(error, ServerUnavailable):
                    # Every other message would fail the same way: leave them queued, untouched.
                    summary.server_unavailable = True
                    break
                continue
            # The duplicate window is from the server's "250" to this commit: keep it tiny.
            with database.session(write=True) as session:
                _finish(
                    session,
                    row.id,
                    status=OutboxStatus.SENT,
                    sent_at=now or utcnow(),
                    last_error=None,
                    updated_at=now or utcnow(),
                )
            summary.sent += 1
    if summary.sent or summary.retried or summary.failed or summary.reclaimed:
        logger.info("outbox drain: %s", summary)
    return summary
