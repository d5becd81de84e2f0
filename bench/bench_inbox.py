"""Agent inbox at scale: page and count latency with 100k tickets, first page and deep pages.

Builds (once, then reuses) a SQLite database under var/bench/ with N tickets spread over
statuses, languages, agents and tags, then times what one inbox request does: the view counts
and one page of each view, on the first page and 2,000 pages deep (keyset cursors), plus the
subject search. Prints p50/p95 in milliseconds and the query plans of the page queries.

    python bench/bench_inbox.py [--tickets 100000] [--rounds 20] [--postgres URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402

from accounts.models import Customer, Role, User  # noqa: E402
from accounts.service import principal_for_user  # noqa: E402
from aftercare import migrate  # noqa: E402
from aftercare.db import Database  # noqa: E402
from helpdesk import inbox  # noqa: E402
from helpdesk.models import Ticket, TicketTag  # noqa: E402

STATUSES = ["new"] * 15 + ["open"] * 25 + ["pending"] * 10 + ["solved"] * 30 + ["closed"] * 20
LANGUAGES = ["en", "en", "en", "pl", "id", "tl", "th"]
TAGS = ["nimbus", "aurora", "pulse", "wifi", "battery", "refund", "noise", "docking"]
WORDS = "thermostat vacuum earbuds wifi battery charging noise docking schedule reset refund app".split()


def build(database: Database, tickets: int) -> None:
    with database.session() as session:
        if (session.scalar(select(func.count()).select_from(Ticket)) or 0) >= tickets:
            return
        print(f"building {tickets:,} tickets (once)...", flush=True)
        rng = random.Random(7)
        now = datetime.now(UTC)
        agents = [User(email=f"agent{n}@bench.example", name=f"Agent {n}", role=Role.AGENT) for n in range(20)]
        session.add_all(agents)
        session.flush()
        customers = [
            {
                "email": f"c{n}@bench.example",
                "name": f"Customer {n}",
                "consent_marketing": False,
                "consent_surveys": True,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(tickets // 4)
        ]
        session.execute(insert(Customer), customers)
        customer_ids = list(session.scalars(select(Customer.id)))
        batch = []
        for n in range(tickets):
            updated = now - timedelta(seconds=rng.randint(0, 365 * 24 * 3600))
            status = rng.choice(STATUSES)
            batch.append(
                {
                    "subject": " ".join(rng.sample(WORDS, 4)) + f" {n}",
                    "status": status,
                    "priority": "normal",
                    "channel": "web",
                    "language": rng.choice(LANGUAGES),
                    "language_confidence": 0.99,
                    "language_source": "detected",
                    "requester_id": rng.choice(customer_ids),
                    "assignee_id": None if status == "new" or rng.random() < 0.2 else rng.choice(agents).id,
                    "created_at": updated - timedelta(hours=1),
                    "updated_at": updated,
                }
            )
            if len(batch) == 10_000:
                session.execute(insert(Ticket), batch)
                batch = []
        if batch:
            session.execute(insert(Ticket), batch)
        ids = list(session.scalars(select(Ticket.id)))
        session.execute(
            insert(TicketTag),
            [{"ticket_id": ticket_id, "tag": tag} for ticket_id in ids for tag in rng.sample(TAGS, 2)],
        )
    if database.engine.dialect.name == "sqlite":
        with database.engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def timed(function, rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--postgres", default="", help="run against this PostgreSQL URL instead of SQLite")
    args = parser.parse_args()
    if args.postgres:
        url = args.postgres
    else:
        path = ROOT / "var" / "bench" / f"inbox-{args.tickets}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    migrate.upgrade(url)
    database = Database(url)
    build(database, args.tickets)

    with database.session() as session:
        agent_user = session.scalar(select(User).where(User.email == "agent0@bench.example"))
        agent = principal_for_user(agent_user)
        total = session.scalar(select(func.count()).select_from(Ticket))
        print(f"{database.engine.dialect.name}: {total:,} tickets; page size 25; {args.rounds} rounds; ms")
        print(f"{'what':44} {'p50':>8} {'p95':>8}")
        p50, p95 = timed(lambda: inbox.view_counts(session, agent), args.rounds)
        print(f"{'view counts (all six, one query)':44} {p50:8.1f} {p95:8.1f}")
        for view in inbox.InboxView:
            query = inbox.InboxQuery(view=view)
            first = inbox.inbox_page(session, query, agent)
            p50, p95 = timed(lambda query=query: inbox.inbox_page(session, query, agent), args.rounds)
            print(f"{'first page: ' + view.value:44} {p50:8.1f} {p95:8.1f}")
            # A cursor about 2,000 pages deep (or as deep as the view goes).
            deep_rows = session.scalars(
                select(Ticket)
                .where(*inbox._filters(query, agent))
                .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
                .offset(min(50_000, max(0, first.total - 30)))
                .limit(1)
            ).all()
            if deep_rows:
                cursor = inbox.Cursor.of(deep_rows[0])
                p50, p95 = timed(
                    lambda query=query, cursor=cursor: inbox.inbox_page(session, query, agent, older_than=cursor),
                    args.rounds,
                )
                print(f"{'deep page (keyset): ' + view.value:44} {p50:8.1f} {p95:8.1f}")
        for label, query in (
            ("search subject 'docking reset'", inbox.InboxQuery(view=inbox.InboxView.ALL, text="docking reset")),
            ("filter language=th + tag=wifi", inbox.InboxQuery(view=inbox.InboxView.OPEN, language="th", tag="wifi")),
        ):
            p50, p95 = timed(lambda query=query: inbox.inbox_page(session, query, agent), args.rounds)
            print(f"{label:44} {p50:8.1f} {p95:8.1f}")
        if database.engine.dialect.name == "sqlite":
            print("\nquery plans (SQLite):")
            for view in (inbox.InboxView.OPEN, inbox.InboxView.MINE, inbox.InboxView.ALL):
                statement = (
                    select(Ticket.id)
                    .where(*inbox._filters(inbox.InboxQuery(view=view), agent))
                    .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
                    .limit(26)
                )
                compiled = statement.compile(database.engine, compile_kwargs={"literal_binds": True})
                plan = session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
                print(f"  {view.value}: " + " | ".join(row[-1] for row in plan))
    database.dispose()


if __name__ == "__main__":
    main()
