"""Sending the outbox: claim a due row, hand it to SMTP, record the outcome.

Each row goes through three short transactions, none held open while talking to the server:

1. **claim**: ``UPDATE ... SET status='sending', attempts=attempts+1 WHERE id=(next due row)
   AND status='queued'``. Only one worker's UPDATE can match, so two workers never send the same
   row (on PostgreSQL the inner SELECT also uses ``FOR UPDATE SKIP LOCKED`` so that workers take
   different rows instead of queueing on one).
2. **send** over SMTP, outside any transaction.
3. **record**: ``sent`` with the time, or back to ``queued`` with ``next_attempt_at`` pushed out
   exponentially (1, 2, 4, ... minutes, capped at 6 hours, with jitter), or ``failed`` after
   ``MAX_ATTEMPTS`` (visible in ``GET /api/v1/mail/outbox?status=failed``; an admin can retry).

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

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.orm import Session

from aftercare.config import Settings, get_settings
from aftercare.db import Database, UTCDateTime, utcnow
from workers.models import OutboxMessage, OutboxStatus
from workers.outbox import recheck_before_send
from workers.smtp import DeliveryError, ServerUnavailable, SmtpTransport, compose

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
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
        return (f"sent {self.sent}, retry later {self.retried}, failed {self.failed}, "
                f"suppressed {self.suppressed}, taken back {self.reclaimed}{down}")


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 1, 2, 4, 8 ... minutes, at most 6 hours."""
    base = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)
    return base * (1 + random.uniform(0, RETRY_JITTER))


def lease_seconds(settings: Settings) -> float:
    # Long enough for a slow server to answer every step of one message, with room to spare.
    return max(120.0, 4 * settings.smtp_timeout_seconds)


def reclaim_stale(session: Session, *, now: datetime, lease: timedelta) -> int:
    """Rows left in 'sending' by a worker that died: queue them again, or fail them if out of tries."""
    stale = (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.claimed_at < now - lease)
    result = session.execute(
        update(OutboxMessage)
        .where(stale)
        .values(
            status=case((OutboxMessage.attempts >= MAX_ATTEMPTS, OutboxStatus.FAILED), else_=OutboxStatus.QUEUED),
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
        _claim_statement(session.get_bind().dialect.name), {"now": now},
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
        _finish_statement(tuple(sorted(values))), {"row_id": row_id, **values},
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


def _record_failure(session: Session, row: OutboxMessage, error: DeliveryError, now: datetime, summary: DrainSummary) -> None:
    if row.attempts >= MAX_ATTEMPTS:
        _finish(session, row.id, status=OutboxStatus.FAILED, last_error=error.detail, updated_at=now)
        summary.failed += 1
        logger.error("outbox row %s failed for good after %s attempts: %s", row.id, row.attempts, error.detail)
        return
    _finish(
        session, row.id, status=OutboxStatus.QUEUED, last_error=error.detail,
        next_attempt_at=now + retry_delay(row.attempts), updated_at=now,
    )
    summary.retried += 1
    logger.warning("outbox row %s not sent (attempt %s), will retry: %s", row.id, row.attempts, error.detail)


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
    with database.session() as session:
        summary.reclaimed = reclaim_stale(session, now=now or utcnow(), lease=lease)
    with transport_factory(settings) as transport:
        while max_messages is None or summary.sent + summary.retried + summary.failed < max_messages:
            if max_seconds is not None and time.monotonic() - started > max_seconds:
                break
            moment = now or utcnow()
            with database.session() as session:
                row = claim_next(session, now=moment)
                if row is None:
                    break
                refusal = recheck_before_send(session, row, now=moment)
                if refusal is not None:
                    _finish(session, row.id, status=OutboxStatus.SUPPRESSED, suppressed_reason=refusal, updated_at=moment)
                    summary.suppressed += 1
                    continue
            try:
                email = compose(settings, row, now=moment)
            except Exception as error:
                # Composing is deterministic: retrying cannot help, and the row must not block the queue.
                logger.exception("outbox row %s cannot be composed", row.id)
                with database.session() as session:
                    _finish(session, row.id, status=OutboxStatus.FAILED, last_error=f"cannot compose: {error}"[:1000],
                            updated_at=moment)
                summary.failed += 1
                continue
            try:
                transport.send(email, row.to_address)
            except DeliveryError as error:
                with database.session() as session:
                    _record_failure(session, row, error, now or utcnow(), summary)
                if isinstance(error, ServerUnavailable):
                    # Every other message would fail the same way: leave them queued, untouched.
                    summary.server_unavailable = True
                    break
                continue
            # The duplicate window is from the server's "250" to this commit: keep it tiny.
            with database.session() as session:
                _finish(session, row.id, status=OutboxStatus.SENT, sent_at=now or utcnow(), last_error=None,
                        updated_at=now or utcnow())
            summary.sent += 1
    if summary.sent or summary.retried or summary.failed or summary.reclaimed:
        logger.info("outbox drain: %s", summary)
    return summary
