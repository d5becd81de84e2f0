"""The worker as deployed: ``aftercare worker --once`` in real processes on a SQLite file, a real
kill in the middle of a batch, two workers at once, and the queue on the real Redis."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from aftercare import migrate
from aftercare.db import Database, utcnow
from helpdesk.email.models import InboundMessage, OutboxMessage, OutboxStatus
from tests.factories import unique_email
from tests.helpdesk.email import mail_samples as samples
from tests.helpdesk.email.factories import email
from tests.services import REDIS_URL, require_redis
from workers import queue


@pytest.fixture(scope="module")
def file_database(tmp_path_factory) -> Database:
    """A migrated SQLite file that separate processes can share (the per-test rollback DB cannot)."""
    directory = tmp_path_factory.mktemp("worker")
    url = f"sqlite:///{directory / 'aftercare.db'}"
    migrate.upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


@pytest.fixture
def shared_db(file_database) -> Database:
    with file_database.session() as session:
        session.execute(OutboxMessage.__table__.delete())
    return file_database


def _queue_mail(database: Database, count: int) -> set[str]:
    with database.session() as session:
        return {email(session).message_id for _ in range(count)}


def _worker(database: Database, sink, *args: str) -> subprocess.Popen:
    data_dir = Path(database.url.removeprefix("sqlite:///")).parent
    env = {
        **os.environ,
        "AFTERCARE_DATABASE_URL": database.url,
        "AFTERCARE_DATA_DIR": str(data_dir),
        "AFTERCARE_QUEUE_URL": "memory://",
        "AFTERCARE_SMTP_HOST": "127.0.0.1",
        "AFTERCARE_SMTP_PORT": str(sink.port),
        "AFTERCARE_SMTP_TIMEOUT_SECONDS": "10",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "entry.cli", "worker", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-2000:]
    return out


def test_worker_once_sends_what_is_due_and_exits(shared_db, smtp_sink):
    ids = _queue_mail(shared_db, 3)
    out = _finish(_worker(shared_db, smtp_sink, "--once"))
    assert "outbox: sent 3" in out
    assert set(smtp_sink.message_ids()) == ids


def test_worker_killed_mid_batch_then_restarted_sends_each_message_exactly_once(shared_db, smtp_sink):
    ids = _queue_mail(shared_db, 12)
    smtp_sink.handler.hold_at = 5
    process = _worker(shared_db, smtp_sink, "--once")
    assert smtp_sink.handler.holding.wait(60), "the worker never reached the sixth message"
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    smtp_sink.handler.release.set()
    assert len(smtp_sink.delivered) == 5
    with shared_db.session() as session:
        # Time passes: the dead worker's row outlives its lease.
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENDING)
            .values(claimed_at=utcnow() - timedelta(hours=1))
        )
    _finish(_worker(shared_db, smtp_sink, "--once"))
    sent = smtp_sink.message_ids()
    assert sorted(sent) == sorted(ids)  # every message, none twice


def test_two_workers_at_once_never_send_a_message_twice(shared_db, smtp_sink):
    ids = _queue_mail(shared_db, 60)
    # 0.15 s per acceptance: one worker alone would need 9 s, far longer than the other's start-up,
    # so both are sending at the same time.
    smtp_sink.handler.delay = 0.15
    first, second = _worker(shared_db, smtp_sink, "--once"), _worker(shared_db, smtp_sink, "--once")
    outputs = [_finish(first), _finish(second)]
    sent_by = [int(re.search(r"outbox: sent (\d+)", out).group(1)) for out in outputs]
    assert sum(sent_by) == 60 and all(count > 0 for count in sent_by), sent_by
    assert sorted(smtp_sink.message_ids()) == sorted(ids)


def _mail_in_stdin(database: Database, raw: bytes) -> subprocess.CompletedProcess:
    data_dir = Path(database.url.removeprefix("sqlite:///")).parent
    env = {
        **os.environ,
        "AFTERCARE_DATABASE_URL": database.url,
        "AFTERCARE_DATA_DIR": str(data_dir),
        "AFTERCARE_QUEUE_URL": "memory://",
    }
    return subprocess.run(
        [sys.executable, "-m", "entry.cli", "mail-in", "--stdin"], input=raw, env=env, capture_output=True, timeout=120
    )


def test_mail_in_from_a_pipe_transport_stores_the_ticket(shared_db):
    sender = unique_email("piped")
    result = _mail_in_stdin(shared_db, samples.plain(sender, "Piped in", "Delivered by the mail server's pipe."))
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    with shared_db.session() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(InboundMessage).where(InboundMessage.from_address == sender)
            )
            == 1
        )


def test_mail_in_from_a_pipe_refuses_malformed_mail_with_a_data_error(shared_db):
    result = _mail_in_stdin(shared_db, b"Subject: no sender\r\n\r\nhello\r\n")
    assert result.returncode == 65  # EX_DATAERR: the mail server bounces it to its sender


def test_run_once_runs_a_periodic_job_only_when_its_schedule_fired_again(database, memory_queue):
    with queue.use_database(database):
        first = queue.run_once(memory_queue)
        again = queue.run_once(memory_queue)
        later = queue.run_once(memory_queue, now=utcnow() + timedelta(hours=2))
    assert "schedule_tip_steps" in first.executed
    assert "schedule_tip_steps" not in again.executed
    assert "schedule_tip_steps" in later.executed


def test_crontab_catch_up_sees_a_run_missed_while_nothing_ran():
    daily_at_3 = queue.crontab(minute="0", hour="3")
    last = utcnow().replace(tzinfo=None, hour=2, minute=0, second=0, microsecond=0)
    assert not queue._fired_since(daily_at_3, last, last + timedelta(minutes=59))
    assert queue._fired_since(daily_at_3, last, last + timedelta(hours=5))


def test_queued_job_runs_in_run_once_and_sends_the_mail(database, memory_queue, smtp_sink):
    with database.session() as session:
        message_id = email(session).message_id
    assert memory_queue.pending_count() == 1  # the nudge after commit
    with queue.use_database(database):
        summary = queue.run_once(memory_queue, drain=False)
    assert "send_outbox_now" in summary.executed
    assert smtp_sink.message_ids() == [message_id]


def _redis_huey():
    require_redis()
    huey = queue.build_huey(REDIS_URL, Path("/nonexistent"))
    huey.flush()
    return huey


@pytest.mark.redis
def test_redis_queue_carries_the_nudge_to_a_consumer_that_sends_the_mail(shared_db, smtp_sink):
    huey = _redis_huey()
    queue.set_huey(huey)
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = huey.create_consumer(workers=2, periodic=False, worker_type="thread", initial_delay=0.05)
    try:
        with queue.use_database(shared_db):
            with shared_db.session() as session:
                ids = {email(session).message_id for _ in range(5)}
            assert huey.pending_count() == 1  # on Redis, waiting for a consumer
            consumer.start()
            deadline = time.monotonic() + 20
            while len(smtp_sink.delivered) < 5 and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        consumer.stop(graceful=True)
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        huey.flush()
    assert set(smtp_sink.message_ids()) == ids
    with shared_db.session() as session:
        assert session.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT)) == 5


@pytest.mark.redis
def test_redis_queue_is_shared_between_huey_instances(shared_db):
    producer, consumer = _redis_huey(), queue.build_huey(REDIS_URL, Path("/nonexistent"))
    queue.enqueue_job("helpdesk.email.tasks.send_outbox_now", huey=producer)
    assert consumer.pending_count() == 1
    task = consumer.dequeue()
    assert type(task).__name__ == "send_outbox_now"
    assert producer.pending_count() == 0
