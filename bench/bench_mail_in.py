"""Inbound mail throughput: messages/s parsed, and parsed into tickets on a SQLite file.

Generates N realistic messages (plain English, Polish in ISO-8859-2, Thai in TIS-620, HTML
only, with a PNG attachment, and replies that thread into earlier tickets by subject
reference), then times:

- parsing alone (``parse_mail``),
- the full intake, one committed transaction per message as the receiver does it
  (``store_inbound``: parse, thread, language detection, ticket, attachments, confirmation mail),
- and the same over real SMTP to the running receiver (one connection, one message after another).

    python bench/bench_mail_in.py [--messages 1000] [--smtp-messages 200] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_DIR = ROOT / "var" / "bench" / "mail_in"

BODIES = {
    "en": (
        "Thermostat offline",
        "Hi, my Nimbus thermostat shows offline in the app since the router update. "
        "I restarted both twice. What else can I try?",
    ),
    "pl": (
        "Odkurzacz nie wraca do stacji",
        "Dzień dobry, mój robot Aurora od wczoraj nie wraca do stacji dokującej "
        "i rozładowuje się na środku salonu. Jak to naprawić?",
    ),
    "th": ("หูฟังเชื่อมต่อบลูทูธไม่ได้", "สวัสดีครับ หูฟัง Pulse ของผมเชื่อมต่อบลูทูธกับโทรศัพท์ไม่ได้ ลองปิดเปิดใหม่แล้วก็ยังไม่ได้ครับ"),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def messages(count: int, offset: int = 0) -> list[tuple[str, bytes]]:
    from tests.helpdesk.email import mail_samples as samples

    made: list[tuple[str, bytes]] = []
    for number in range(offset, offset + count):
        sender = f"customer{number}@bench.example.com"
        kind = number % 10
        if kind in (0, 1, 2, 3):
            subject, body = BODIES["en"]
            raw = samples.plain(f"Customer {number} <{sender}>", f"{subject} {number}", body)
        elif kind in (4, 5):
            raw = samples.polish_iso_8859_2(sender)
        elif kind == 6:
            raw = samples.thai_tis_620(sender)
        elif kind == 7:
            subject, body = BODIES["en"]
            raw = samples.html_only(
                sender, subject, f"<div><p>{body}</p><blockquote>old quoted text</blockquote></div>"
            )
        elif kind == 8:
            raw = samples.with_attachments(
                sender,
                "Photo of the dock",
                "The dock light blinks, photo attached.",
                [("dock.png", "image/png", samples.PNG)],
            )
        else:
            # A reply from the sender of message number-9, to the ticket that message opened.
            earlier = f"customer{number - 9}@bench.example.com"
            raw = samples.plain(
                earlier,
                "Re: [#TICKET] Thermostat offline",
                "It works again after the reset, thanks!\n\nOn Mon, Support wrote:\n> Try a reset.",
            )
            sender = earlier
        made.append((sender, raw))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--smtp-messages", type=int, default=200)
    parser.add_argument("--postgres", help="a PostgreSQL URL to use instead of SQLite (its schema is reset)")
    args = parser.parse_args()

    shutil.rmtree(BENCH_DIR, ignore_errors=True)
    BENCH_DIR.mkdir(parents=True)
    os.environ.update(
        {
            "AFTERCARE_DATA_DIR": str(BENCH_DIR),
            "AFTERCARE_QUEUE_URL": "memory://",
            "AFTERCARE_DATABASE_URL": args.postgres or f"sqlite:///{BENCH_DIR / 'mail_in.db'}",
            "AFTERCARE_MAIL_IN_RATE_LIMIT": "1000000/hour",
            "AFTERCARE_MAIL_FROM": "Support <support@help.example.com>",
        }
    )

    from sqlalchemy import func, select, text

    from accounts.models import Customer
    from aftercare import migrate
    from aftercare.config import get_settings
    from aftercare.db import Database, make_engine
    from helpdesk.email.mail_in.intake import store_inbound
    from helpdesk.email.mail_in.parser import parse_mail
    from helpdesk.email.mail_in.receiver import start_receiver, stop_receiver
    from helpdesk.email.models import InboundDisposition, InboundMessage
    from helpdesk.models import Ticket

    settings = get_settings()
    url = settings.database_url_resolved
    if args.postgres:
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    migrate.upgrade(url)
    database = Database(url)

    batch = messages(args.messages)
    started = time.perf_counter()
    for _, raw in batch:
        parse_mail(raw)
    parse_seconds = time.perf_counter() - started

    # Warm-up outside the timing: the language detector loads its profiles on first use.
    for _, raw in messages(3, offset=10 * args.messages):
        store_inbound(database, raw, envelope_from="warmup@bench.example.com", settings=settings)
    ticket_of: dict[str, int] = {}
    started = time.perf_counter()
    for sender, raw in batch:
        if b"[#TICKET]" in raw:
            raw = raw.replace(b"[#TICKET]", f"[#{ticket_of[sender]}]".encode())
        result = store_inbound(
            database, raw, envelope_from=sender, envelope_to=["support@help.example.com"], settings=settings
        )
        ticket_of.setdefault(sender, result.ticket_id)
    intake_seconds = time.perf_counter() - started

    smtp_batch = [raw for _, raw in messages(args.smtp_messages, offset=2 * args.messages) if b"[#TICKET]" not in raw]
    controller = start_receiver(database, host="127.0.0.1", port=free_port(), settings=settings)
    try:
        started = time.perf_counter()
        with smtplib.SMTP(controller.hostname, controller.port, timeout=30) as client:
            for raw in smtp_batch:
                client.sendmail("sender@bench.example.com", ["support@help.example.com"], raw)
        smtp_seconds = time.perf_counter() - started
    finally:
        stop_receiver(controller)

    with database.session() as session:
        tickets = session.scalar(select(func.count(Ticket.id)))
        threaded = session.scalar(select(func.count()).where(InboundMessage.disposition == InboundDisposition.THREADED))
        languages = dict(session.execute(select(Ticket.language, func.count()).group_by(Ticket.language)).all())
        customers = session.scalar(select(func.count(Customer.id)))
    database.dispose()
    print(
        f"backend: {database.engine.dialect.name}; {args.messages:,} messages (en, pl ISO-8859-2, th TIS-620, "
        f"HTML-only, PNG attachment, threaded replies)"
    )
    print(f"parse only:            {args.messages / parse_seconds:8.0f} messages/s")
    print(
        f"parse into tickets:    {args.messages / intake_seconds:8.0f} messages/s "
        f"(one committed transaction each; {intake_seconds:.2f} s)"
    )
    print(
        f"over SMTP, end to end: {len(smtp_batch) / smtp_seconds:8.0f} messages/s ({len(smtp_batch)} messages, one connection)"
    )
    print(f"result: {tickets} tickets, {threaded} replies threaded, {customers} customers, languages {languages}")


if __name__ == "__main__":
    main()
