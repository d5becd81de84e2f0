"""Outbox throughput: messages/s enqueued, and sent through SMTP to a local sink.

Builds a fresh database (SQLite file under var/bench/, or --postgres URL), enqueues N messages
(a mix of transactional mail and marketing mail with its unsubscribe footer and headers) in
batches of one transaction each, then drains the outbox to an aiosmtpd sink running in its own
process (so the sink does not share this process's interpreter) with 1 worker and then with
several worker threads (each its own SMTP connection; rows claimed atomically). Prints figures.

    python bench/bench_outbox.py [--messages 2000] [--threads 4] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_DIR = ROOT / "var" / "bench" / "outbox"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sink(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the SMTP sink did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--batch", type=int, default=500, help="messages enqueued per transaction")
    parser.add_argument("--postgres", help="a PostgreSQL URL to use instead of SQLite (its schema is reset)")
    args = parser.parse_args()

    shutil.rmtree(BENCH_DIR, ignore_errors=True)
    BENCH_DIR.mkdir(parents=True)
    port = free_port()
    os.environ.update(
        {
            "AFTERCARE_DATA_DIR": str(BENCH_DIR),
            "AFTERCARE_QUEUE_URL": "memory://",
            "AFTERCARE_DATABASE_URL": args.postgres or f"sqlite:///{BENCH_DIR / 'outbox.db'}",
            "AFTERCARE_SMTP_HOST": "127.0.0.1",
            "AFTERCARE_SMTP_PORT": str(port),
            "AFTERCARE_MAIL_FROM": "Aftercare <support@help.example.com>",
            "AFTERCARE_EMAIL_FREQUENCY_CAP_PER_WEEK": "0",
        }
    )

    from sqlalchemy import func, select, text

    from accounts.models import Customer
    from aftercare import migrate
    from aftercare.config import get_settings
    from aftercare.db import Database, make_engine
    from entry.jobs import register_jobs
    from helpdesk.email.delivery import drain_outbox
    from helpdesk.email.models import EmailKind, OutboxMessage, OutboxStatus
    from helpdesk.email.outbox import enqueue_email

    settings = get_settings()
    url = settings.database_url_resolved
    if args.postgres:
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    # As every process that queues e-mail does at start: the outbox's nudge names a registered job.
    register_jobs()
    migrate.upgrade(url)
    database = Database(url)
    backend = database.engine.dialect.name

    with database.session() as session:
        customers = [
            Customer(
                email=f"c{n}@bench.example.com",
                name=f"Customer {n}",
                language=["en", "pl", "th"][n % 3],
                consent_marketing=True,
            )
            for n in range(args.messages)
        ]
        session.add_all(customers)
        session.flush()
        people = [(person.id, person.email, person.language) for person in customers]

    html = (
        "<!doctype html><html><body><p>Hello,</p><p>a tip for your thermostat: schedules save energy.</p></body></html>"
    )
    started = time.perf_counter()
    for start in range(0, len(people), args.batch):
        with database.session() as session:
            for index, (customer_id, address, language) in enumerate(people[start : start + args.batch], start):
                enqueue_email(
                    session,
                    to=address,
                    subject=f"Tip {index}",
                    text="Hello,\n\na tip for your thermostat.\n",
                    html=html,
                    kind=EmailKind.MARKETING if index % 2 else EmailKind.TRANSACTIONAL,
                    customer_id=customer_id,
                    dedupe_key=f"bench:{index}",
                    language=language,
                )
    enqueue_seconds = time.perf_counter() - started

    sink = start_sink(port)
    try:
        half = args.messages // 2
        started = time.perf_counter()
        single = drain_outbox(database, settings=settings, max_messages=half)
        single_seconds = time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            results = list(pool.map(lambda _: drain_outbox(database, settings=settings), range(args.threads)))
        parallel_seconds = time.perf_counter() - started
    finally:
        sink.terminate()
        sink.wait(10)

    with database.session() as session:
        sent = session.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT))
    database.dispose()
    parallel_sent = sum(result.sent for result in results)
    print(f"backend: {backend}; messages: {args.messages:,} (half marketing with unsubscribe footer and headers)")
    print(f"enqueue:                 {args.messages / enqueue_seconds:8.0f} messages/s ({args.batch} per transaction)")
    print(
        f"send, 1 worker:          {single.sent / single_seconds:8.0f} messages/s ({single.sent} in {single_seconds:.2f} s)"
    )
    print(
        f"send, {args.threads} worker threads:  {parallel_sent / parallel_seconds:8.0f} messages/s "
        f"({parallel_sent} in {parallel_seconds:.2f} s)"
    )
    print(f"sent exactly once: {sent == args.messages} ({sent} rows sent)")


if __name__ == "__main__":
    main()
