"""An SMTP server that is down for days costs no message (RFC 5321 4.5.4.1: retry for 4-5 days).

A real aiosmtpd server, stopped and started again; the clock is moved by passing ``now`` to the
drain. Each drain while the server is down makes one attempt (the due row it claims) and stops.
"""

from __future__ import annotations

from datetime import timedelta

from aftercare.db import utcnow
from helpdesk.email import delivery
from helpdesk.email.delivery import drain_outbox, reclaim_stale
from helpdesk.email.models import OutboxMessage, OutboxStatus
from helpdesk.email.outbox import retry_message
from tests.conftest import env
from tests.helpdesk.email.factories import email

# The default horizon: RFC 5321 says at least 4-5 days.
FOUR_DAYS = timedelta(days=4)


def _queue(database, **overrides) -> int:
    with database.session() as session:
        return email(session, **overrides).id


def _row(database, row_id: int) -> OutboxMessage:
    with database.session() as session:
        return session.get(OutboxMessage, row_id)


def _retry_while_down(database, row_id: int, until) -> OutboxMessage:
    """Drain at each of the row's next attempt times up to ``until``; the row as it is then."""
    row = _row(database, row_id)
    while row.status == OutboxStatus.QUEUED and row.next_attempt_at <= until:
        summary = drain_outbox(database, now=row.next_attempt_at)
        assert summary.server_unavailable and summary.sent == 0
        row = _row(database, row_id)
    return row


def test_a_stopped_server_keeps_the_message_queued_for_three_days(database, smtp_sink):
    row_id = _queue(database)
    queued_at = _row(database, row_id).created_at
    smtp_sink.stop()
    row = _retry_while_down(database, row_id, until=queued_at + timedelta(days=3))
    assert row.status == OutboxStatus.QUEUED and row.last_error.startswith("cannot connect")
    # Many more tries than the eight that used to fail it, and the next one still to come.
    assert row.attempts > 8
    assert row.next_attempt_at > queued_at + timedelta(days=3)


def test_the_next_attempt_is_pushed_out_further_after_each_failure(database, smtp_sink):
    row_id = _queue(database)
    smtp_sink.stop()
    gaps = []
    for _ in range(4):
        before = _row(database, row_id).next_attempt_at
        drain_outbox(database, now=before)
        gaps.append(_row(database, row_id).next_attempt_at - before)
    assert gaps == sorted(gaps) and gaps[0] >= timedelta(minutes=1) and gaps[-1] >= timedelta(minutes=8)


def test_past_the_horizon_the_message_fails_with_the_reason(database, smtp_sink):
    row_id = _queue(database)
    queued_at = _row(database, row_id).created_at
    smtp_sink.stop()
    row = _retry_while_down(database, row_id, until=queued_at + timedelta(days=30))
    assert row.status == OutboxStatus.FAILED
    assert "not delivered after 4 days of retrying" in row.last_error and "cannot connect" in row.last_error
    # Its last try was on the horizon itself, not before.
    assert row.updated_at >= queued_at + FOUR_DAYS
    smtp_sink.start()
    drain_outbox(database, now=queued_at + timedelta(days=31))
    assert smtp_sink.delivered == []


def test_the_server_coming_back_delivers_what_waited(database, smtp_sink):
    row_ids = [_queue(database) for _ in range(3)]
    start = _row(database, row_ids[0]).created_at
    smtp_sink.stop()
    for row_id in row_ids:
        _retry_while_down(database, row_id, until=start + timedelta(days=2))
    smtp_sink.start()
    drain_outbox(database, now=start + timedelta(days=3))
    assert len(smtp_sink.delivered) == 3
    assert {_row(database, row_id).status for row_id in row_ids} == {OutboxStatus.SENT}


def test_the_horizon_counts_from_when_the_message_is_due(database, smtp_sink):
    # A survey planned a week ahead is not "four days old" when its day comes.
    due = utcnow() + timedelta(days=7)
    row_id = _queue(database, send_after=due)
    smtp_sink.stop()
    drain_outbox(database, now=due)
    row = _row(database, row_id)
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 1)


def test_the_horizon_is_a_setting(database, smtp_sink):
    row_id = _queue(database)
    queued_at = _row(database, row_id).created_at
    smtp_sink.stop()
    with env(AFTERCARE_MAIL_RETRY_HORIZON_HOURS="1"):
        drain_outbox(database, now=queued_at + timedelta(minutes=30))
        assert _row(database, row_id).status == OutboxStatus.QUEUED
        drain_outbox(database, now=queued_at + timedelta(hours=2))
    row = _row(database, row_id)
    assert row.status == OutboxStatus.FAILED and "after 1 hours" in row.last_error


def test_an_admins_retry_starts_a_new_horizon(database, smtp_sink):
    row_id = _queue(database)
    queued_at = _row(database, row_id).created_at
    smtp_sink.stop()
    _retry_while_down(database, row_id, until=queued_at + timedelta(days=5))
    retried_at = queued_at + timedelta(days=6)
    with database.session() as session:
        retry_message(session, row_id, now=retried_at)
    drain_outbox(database, now=retried_at)
    row = _row(database, row_id)
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 1)


def test_a_row_left_sending_by_a_dead_worker_is_queued_again_within_the_horizon(database, smtp_sink):
    young, old = _queue(database), _queue(database)
    with database.session() as session:
        for row_id, age in ((young, timedelta(days=1)), (old, timedelta(days=5))):
            row = session.get(OutboxMessage, row_id)
            row.status, row.attempts = OutboxStatus.SENDING, 30
            row.claimed_at = row.delivering_since = utcnow() - age
    with database.session() as session:
        assert reclaim_stale(session, now=utcnow(), lease=timedelta(minutes=5), horizon=FOUR_DAYS) == 2
    assert (_row(database, young).status, _row(database, old).status) == (OutboxStatus.QUEUED, OutboxStatus.FAILED)


def test_a_permanent_refusal_at_any_age_fails_at_once(database, smtp_sink):
    row_id = _queue(database)
    smtp_sink.handler.replies.append("554 5.7.1 message rejected as spam")
    assert drain_outbox(database).failed == 1
    assert _row(database, row_id).status == OutboxStatus.FAILED
    assert delivery.give_up_at(_row(database, row_id), FOUR_DAYS) > utcnow()
