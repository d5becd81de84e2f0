"""Agent inbox at scale: page and count latency with 100k tickets, first page and deep pages.

Builds (once, then reuses) a SQLite database under var/bench/ with N tickets spread over
statuses, languages, agents and tags, then times what one inbox request does: the view counts
and one page of each view, on the first page and 2,000 pages deep (keyset cursors), plus the
subject search. Prints p50/p95 in milliseconds and the query plans of the page queries.

With ``--fulltext`` it adds five messages to each ticket (one in ten an internal note; words drawn
from a Zipf-distributed vocabulary of 20,000, as real text is), indexes them once, and times the
full-text search (``helpdesk.ticket_search``) as the inbox runs it: a rare, a middling and a very
common word, two words, a half-typed word, an e-mail address, a ticket number, a status facet and
the next page. On PostgreSQL it then shows each search's candidate query under EXPLAIN (ANALYZE,
BUFFERS): the database's own time and pages, which a loaded machine inflates less than wall time.

    python bench/bench_inbox.py [--tickets 100000] [--rounds 20] [--postgres URL] [--fulltext]
"""

from __future__ import annotations

import argparse
import itertools
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
from helpdesk import inbox, ticket_search  # noqa: E402
from helpdesk.models import Message, Ticket, TicketStatus, TicketTag  # noqa: E402
from helpdesk.ticket_search import engines, tokens  # noqa: E402

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


MESSAGES_PER_TICKET = 5
VOCABULARY = 20_000
SYLLABLES = "ka lo mi ne ru sa te vi do pe ri ba zu go fa hi ju ko li mu".split()


def _vocabulary(rng: random.Random) -> list[str]:
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < VOCABULARY:
        word = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def build_messages(database: Database, tickets: int) -> list[str]:
    """Five messages per ticket and the full-text index of it all (once); returns the vocabulary,
    most frequent word first.

    Bulk all the way: the messages go in by executemany through the Core table (no ORM), and the
    index is built once at the end by ``ticket_search.reindex_all`` (FTS5 'rebuild' on SQLite, the
    GIN index created after the load on PostgreSQL) rather than row by row through triggers."""
    rng = random.Random(11)
    vocabulary = _vocabulary(rng)
    with database.engine.connect() as connection:
        have = connection.scalar(select(func.count()).select_from(Message)) or 0
        indexed = connection.scalar(text("SELECT count(*) FROM ticket_search")) or 0
    if have >= tickets * MESSAGES_PER_TICKET and indexed >= tickets:
        return vocabulary
    if have < tickets * MESSAGES_PER_TICKET:
        print(f"adding {tickets * MESSAGES_PER_TICKET:,} messages (once)...", flush=True)
        started = time.perf_counter()
        weights = [1 / rank for rank in range(1, VOCABULARY + 1)]
        cumulative = list(itertools.accumulate(weights))
        now = datetime.now(UTC)
        with database.engine.begin() as connection:
            ids = list(connection.scalars(select(Ticket.id).order_by(Ticket.id)))
            batch = []
            for done, ticket_id in enumerate(ids, 1):
                for _ in range(MESSAGES_PER_TICKET):
                    body = " ".join(rng.choices(vocabulary, cum_weights=cumulative, k=rng.randint(15, 60)))
                    batch.append(
                        {
                            "ticket_id": ticket_id,
                            "kind": "internal_note" if rng.random() < 0.1 else "public_reply",
                            "body": body.capitalize() + ".",
                            "channel": "web",
                            "created_at": now,
                        }
                    )
                if len(batch) >= 20_000:
                    connection.execute(insert(Message.__table__), batch)
                    batch = []
                    if done % 20_000 == 0:
                        print(
                            f"  {done * MESSAGES_PER_TICKET:,} messages, {time.perf_counter() - started:.0f} s",
                            flush=True,
                        )
            if batch:
                connection.execute(insert(Message.__table__), batch)
        print(f"  messages written in {time.perf_counter() - started:.0f} s", flush=True)
    print("indexing (once)...", flush=True)
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 20_000 == 0 or done == total:
            print(f"  {done:,}/{total:,} tickets, {time.perf_counter() - started:.0f} s", flush=True)

    with database.engine.begin() as connection:
        ticket_search.reindex_all(connection, progress)
    print(f"  indexed in {time.perf_counter() - started:.0f} s", flush=True)
    with database.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return vocabulary


def bench_fulltext(session, agent, vocabulary: list[str], rounds: int) -> None:
    customer = session.scalar(select(func.min(Ticket.requester_id)))
    email = session.scalar(select(Customer.email).where(Customer.id == customer))
    number = session.scalar(select(func.max(Ticket.id))) // 2
    queries = [
        ("rare word (rank 5,000)", ticket_search.SearchQuery(text=vocabulary[5_000])),
        ("middling word (rank 300)", ticket_search.SearchQuery(text=vocabulary[300])),
        ("common word (rank 5)", ticket_search.SearchQuery(text=vocabulary[5])),
        ("subject word 'thermostat' (1 in 3)", ticket_search.SearchQuery(text="thermostat")),
        ("two words 'docking reset'", ticket_search.SearchQuery(text="docking reset")),
        ("two body words (ranks 50, 400)", ticket_search.SearchQuery(text=f"{vocabulary[50]} {vocabulary[400]}")),
        ("half-typed 'thermo'", ticket_search.SearchQuery(text="thermo")),
        ("half-typed rare word", ticket_search.SearchQuery(text=vocabulary[5_000][:-1])),
        ("e-mail address", ticket_search.SearchQuery(text=email)),
        ("ticket number '#N'", ticket_search.SearchQuery(text=f"#{number}")),
        (
            "middling word + status=solved",
            ticket_search.SearchQuery(text=vocabulary[300], status=TicketStatus.SOLVED),
        ),
        (
            "middling word + language=th + tag=wifi",
            ticket_search.SearchQuery(text=vocabulary[300], language="th", tag="wifi"),
        ),
    ]
    print(f"\nfull-text search, page size 25 (with facet counts and snippets); {rounds} rounds; ms")
    print(f"{'what':44} {'matches':>8} {'p50':>8} {'p95':>8}")
    for label, query in queries:
        first = ticket_search.search(session, query, agent)
        p50, p95 = timed(lambda query=query: ticket_search.search(session, query, agent), rounds)
        print(f"{label:44} {first.total:8,} {p50:8.1f} {p95:8.1f}")
        if label.startswith("middling word (") and first.next is not None:
            p50, p95 = timed(
                lambda query=query, cursor=first.next: ticket_search.search(session, query, agent, after=cursor),
                rounds,
            )
            print(f"{'  its next page (keyset)':44} {'':8} {p50:8.1f} {p95:8.1f}")
    if session.get_bind().dialect.name == "postgresql":
        explain_fulltext(session, agent, queries)


def explain_fulltext(session, agent, queries) -> None:
    """The database's own time for each search's candidate query (EXPLAIN ANALYZE, PostgreSQL): on a
    loaded machine the wall-clock figures above include waiting for a CPU; these show the plan."""
    print("\ncandidate query, EXPLAIN (ANALYZE, BUFFERS); ms and 8 kB pages")
    print(f"{'what':44} {'execution':>10} {'hit':>8} {'read':>8}  strategy")
    for label, query in queries:
        statement = engines.candidates(
            session,
            tokens.parse(query.text),
            internal=True,
            customer_id=None,
            facets=inbox._filters(inbox.InboxQuery(view=inbox.InboxView.ALL), agent),
            limit=ticket_search.RANKED_WINDOW + 1,
        )
        compiled = str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        [plan] = session.execute(
            text("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + compiled.replace(":", r"\:"))
        ).scalar_one()
        top = plan["Plan"]
        nodes = [top]
        scans = []
        while nodes:
            node = nodes.pop()
            nodes.extend(node.get("Plans", []))
            if "Scan" in node["Node Type"] and node.get("Relation Name") == "ticket_search_vectors":
                scans.append(node["Node Type"])
        print(
            f"{label:44} {plan['Execution Time']:10.1f} {top['Shared Hit Blocks']:8,} {top['Shared Read Blocks']:8,}"
            f"  {', '.join(scans)}"
        )


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
    parser.add_argument("--fulltext", action="store_true", help="time the full-text ticket search only")
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
    if args.fulltext:
        vocabulary = build_messages(database, args.tickets)

    with database.session() as session:
        agent_user = session.scalar(select(User).where(User.email == "agent0@bench.example"))
        agent = principal_for_user(agent_user)
        if args.fulltext:
            messages = session.scalar(select(func.count()).select_from(Message))
            print(
                f"{database.engine.dialect.name}: {session.scalar(select(func.count()).select_from(Ticket)):,} tickets, {messages:,} messages"
            )
            bench_fulltext(session, agent, vocabulary, args.rounds)
            database.dispose()
            return
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
