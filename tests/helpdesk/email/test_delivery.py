"""Sending the outbox through a real SMTP server (aiosmtpd in this process): what arrives, and
what happens when the server refuses, is down, or the worker dies half-way."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from aftercare import migrate
from aftercare.config import get_settings
from aftercare.db import Database, utcnow
from helpdesk.email import delivery
from helpdesk.email.delivery import drain_outbox
from helpdesk.email.models import EmailKind, OutboxMessage, OutboxStatus, SuppressionScope, SuppressionSource
from helpdesk.email.smtp import SmtpTransport
from helpdesk.email.suppression import add_suppression
from tests.helpdesk.email.factories import customer, email

LATER = timedelta(hours=7)  # past the longest back-off, jitter included


def _queue(database, count: int = 1, **overrides) -> list[int]:
    with database.session() as session:
        return [email(session, **overrides).id for _ in range(count)]


def _row(database, row_id: int) -> OutboxMessage:
    with database.session() as session:
        return session.get(OutboxMessage, row_id)


def test_queued_message_arrives_with_its_message_id(database, smtp_sink):
    [row_id] = _queue(database)
    summary = drain_outbox(database)
    assert summary.sent == 1
    [delivered] = smtp_sink.delivered
    row = _row(database, row_id)
    assert delivered.message["Message-ID"] == row.message_id
    assert row.status == OutboxStatus.SENT and row.sent_at is not None


def test_message_has_text_and_html_parts(database, smtp_sink):
    _queue(database)
    drain_outbox(database)
    message = smtp_sink.delivered[0].message
    assert message.get_body(("plain",)).get_content().startswith("Hello,")
    assert "<p>Hello,</p>" in message.get_body(("html",)).get_content()


def test_envelope_sender_is_the_reply_address(database, smtp_sink):
    _queue(database)
    drain_outbox(database)
    assert smtp_sink.delivered[0].mail_from == "support@help.example.com"


def test_marketing_mail_arrives_with_unsubscribe_footer_and_headers(database, smtp_sink):
    with database.session() as session:
        person = customer(session, language="pl")
        email(session, to=person.email, customer_id=person.id, kind=EmailKind.MARKETING, language="pl")
    drain_outbox(database)
    message = smtp_sink.delivered[0].message
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(("plain",)).get_content()
    assert "Wypisz się: http" in text
    assert "/unsubscribe/" in message.get_body(("html",)).get_content()


def test_a_drain_with_nothing_due_sends_nothing(database, smtp_sink):
    _queue(database, send_after=utcnow() + timedelta(days=1))
    assert drain_outbox(database).sent == 0
    assert smtp_sink.delivered == []


def test_temporary_refusal_is_retried_later_and_sent_once(database, smtp_sink):
    [row_id] = _queue(database)
    smtp_sink.handler.replies.append("451 4.3.0 try again later")
    assert drain_outbox(database).retried == 1
    row = _row(database, row_id)
    assert row.status == OutboxStatus.QUEUED and "451" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(seconds=50)
    assert drain_outbox(database).sent == 0  # not before its time
    drain_outbox(database, now=utcnow() + LATER)
    drain_outbox(database, now=utcnow() + 2 * LATER)
    assert len(smtp_sink.delivered) == 1


def test_permanent_refusal_fails_at_once_and_says_why(database, smtp_sink):
    # RFC 5321 4.2.1: a 5yz reply means the same message will be refused again.
    [row_id] = _queue(database)
    smtp_sink.handler.replies.append("550 5.1.1 no such mailbox")
    summary = drain_outbox(database)
    row = _row(database, row_id)
    assert (summary.failed, row.status, row.attempts) == (1, OutboxStatus.FAILED, 1)
    assert "550" in row.last_error and "permanently" in row.last_error
    drain_outbox(database, now=utcnow() + LATER)
    assert smtp_sink.delivered == []


def test_server_down_leaves_every_message_queued_and_stops_the_drain(database, smtp_sink):
    row_ids = _queue(database, 3)
    smtp_sink.stop()
    summary = drain_outbox(database)
    assert summary.server_unavailable and summary.retried == 1
    assert [_row(database, row_id).status for row_id in row_ids] == [OutboxStatus.QUEUED] * 3
    # Only the message that met the closed port used up an attempt.
    assert sorted(_row(database, row_id).attempts for row_id in row_ids) == [0, 0, 1]


def test_messages_wait_while_the_server_is_down_and_go_once_it_is_back(database, smtp_sink):
    _queue(database, 3)
    smtp_sink.stop()
    drain_outbox(database)
    smtp_sink.start()
    drain_outbox(database, now=utcnow() + LATER)
    drain_outbox(database, now=utcnow() + 2 * LATER)
    assert len(smtp_sink.delivered) == 3
    assert len(set(smtp_sink.message_ids())) == 3


def test_backoff_doubles_and_is_capped():
    assert delivery.retry_delay(1) >= timedelta(minutes=1)
    assert timedelta(minutes=4) <= delivery.retry_delay(3) < timedelta(minutes=5)
    assert delivery.retry_delay(30) <= timedelta(hours=6, minutes=36)


def test_temporary_refusals_go_on_past_eight_attempts_while_the_message_is_young(database, smtp_sink):
    # Eight was the old limit: at 1, 2, 4 ... minutes apart it ran out in about four hours.
    [row_id] = _queue(database)
    smtp_sink.handler.replies.extend(["451 4.3.0 busy"] * 12)
    for _ in range(12):
        drain_outbox(database, now=_row(database, row_id).next_attempt_at)
    row = _row(database, row_id)
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 12) and "451" in row.last_error
    drain_outbox(database, now=row.next_attempt_at)
    assert len(smtp_sink.delivered) == 1 and _row(database, row_id).status == OutboxStatus.SENT


def test_unsubscribe_after_enqueue_stops_the_send(database, smtp_sink):
    with database.session() as session:
        person = customer(session)
        row_id = email(session, to=person.email, customer_id=person.id, kind=EmailKind.MARKETING).id
        add_suppression(session, person.email, SuppressionScope.MARKETING, source=SuppressionSource.ONE_CLICK)
    assert drain_outbox(database).suppressed == 1
    assert _row(database, row_id).status == OutboxStatus.SUPPRESSED
    assert smtp_sink.delivered == []


class CrashAfter(SmtpTransport):
    """The real transport, with a process 'dying' at a chosen point of the n-th message."""

    def __init__(self, settings, *, crash_on: int, after_accept: bool) -> None:
        super().__init__(settings)
        self.crash_on = crash_on
        self.after_accept = after_accept
        self.count = 0

    def send(self, message, recipient):
        self.count += 1
        if self.count == self.crash_on and not self.after_accept:
            raise SystemExit("killed before the server answered")
        super().send(message, recipient)
        if self.count == self.crash_on:
            raise SystemExit("killed after the server accepted")


def test_worker_dying_mid_batch_then_restarting_sends_each_message_once(database, smtp_sink):
    _queue(database, 6)
    with pytest.raises(SystemExit):
        drain_outbox(database, transport_factory=lambda settings: CrashAfter(settings, crash_on=4, after_accept=False))
    assert len(smtp_sink.delivered) == 3
    # The restarted worker finds the dead one's row still "sending" and takes it back after the lease.
    drain_outbox(database, now=utcnow() + timedelta(seconds=delivery.lease_seconds(get_settings()) + 1))
    assert len(smtp_sink.delivered) == 6
    assert len(set(smtp_sink.message_ids())) == 6


def test_a_row_in_flight_is_not_taken_back_before_its_lease_runs_out(database, smtp_sink):
    _queue(database, 2)
    with pytest.raises(SystemExit):
        drain_outbox(database, transport_factory=lambda settings: CrashAfter(settings, crash_on=1, after_accept=False))
    drain_outbox(database)
    assert len(smtp_sink.delivered) == 1


def test_death_between_accept_and_record_is_the_one_duplicate_and_keeps_its_message_id(database, smtp_sink):
    _queue(database, 1)
    with pytest.raises(SystemExit):
        drain_outbox(database, transport_factory=lambda settings: CrashAfter(settings, crash_on=1, after_accept=True))
    drain_outbox(database, now=utcnow() + timedelta(seconds=delivery.lease_seconds(get_settings()) + 1))
    first, second = smtp_sink.message_ids()
    assert first == second


def test_claims_hand_out_each_due_row_once(database, smtp_sink):
    row_ids = _queue(database, 4)
    with database.session() as session:
        claimed = [delivery.claim_next(session, now=utcnow()) for _ in range(5)]
    assert sorted(row.id for row in claimed if row is not None) == sorted(row_ids)
    assert claimed[-1] is None


def test_two_drains_running_at_once_share_the_rows_and_never_send_one_twice(tmp_path, smtp_sink):
    # Two threads need two real connections: a migrated SQLite file, not the per-test rollback DB.
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    migrate.upgrade(url)
    database = Database(url)
    row_ids = _queue(database, 8)
    # Each acceptance takes 0.3 s, so one drain alone would need 2.4 s: the other, started at the
    # same moment, claims rows meanwhile.
    smtp_sink.handler.delay = 0.3
    start = threading.Barrier(2)

    def drain() -> int:
        start.wait(10)
        return drain_outbox(database).sent

    with ThreadPoolExecutor(max_workers=2) as pool:
        shares = list(pool.map(lambda _: drain(), range(2)))
    assert sum(shares) == 8 and all(share > 0 for share in shares), shares
    with database.session() as session:
        sent_ids = [session.get(OutboxMessage, row_id).message_id for row_id in row_ids]
    database.dispose()
    assert sorted(smtp_sink.message_ids()) == sorted(sent_ids)  # every row once, none twice


def test_non_ascii_subject_and_text_arrive_intact(database, smtp_sink):
    _queue(database, subject="Zażółć gęślą jaźń — ยืนยัน", text="Dzień dobry,\nłódź ยืนยัน\n", html=None)
    drain_outbox(database)
    message = smtp_sink.delivered[0].message
    assert message["Subject"] == "Zażółć gęślą jaźń — ยืนยัน"
    assert message.get_content().replace("\r\n", "\n") == "Dzień dobry,\nłódź ยืนยัน\n"


def test_address_with_a_non_ascii_local_part_goes_out_with_smtputf8(database, smtp_sink):
    _queue(database, to="zoë@example.com")
    drain_outbox(database)
    [delivered] = smtp_sink.delivered
    assert delivered.rcpt_tos == ["zoë@example.com"] and delivered.message["To"] == "zoë@example.com"


def test_a_message_that_cannot_be_composed_fails_at_once_and_blocks_nothing(database, smtp_sink):
    [broken, fine] = _queue(database, 2)
    with database.session() as session:
        session.get(OutboxMessage, broken).headers = {"X-Broken": 42}  # not a string: cannot be a header
    summary = drain_outbox(database)
    assert (summary.failed, summary.sent) == (1, 1)
    row = _row(database, broken)
    assert row.status == OutboxStatus.FAILED and row.last_error.startswith("cannot compose")


def test_same_dedupe_key_enqueued_again_after_sending_sends_nothing_more(database, smtp_sink):
    _queue(database, dedupe_key="tip:7:3")
    drain_outbox(database)
    _queue(database, dedupe_key="tip:7:3")  # a re-run of the scheduling pass
    drain_outbox(database)
    assert len(smtp_sink.delivered) == 1
