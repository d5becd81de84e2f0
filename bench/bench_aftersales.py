"""After-sales at scale: the scheduling pass over 100k customers and 300k purchases.

Builds a fresh SQLite file under var/bench/ (bulk inserts, timed), with three products, a tip
series per product (day 0 / 3 / 14), 20 published articles per product with translations, and
purchases spread over three years. Then times, at a fixed "now":

- the scheduling pass (enrol recent buyers, find due steps, pick articles, enqueue through the real
  outbox), the same pass again (must enqueue nothing), and the next day's pass;
- the survey pass (NPS waves), the lapsed-buyer scan, and a segment count.

    python bench/bench_aftersales.py [--customers 100000] [--purchases 300000] [--postgres URL]

``--postgres`` takes an existing, dedicated database (its public schema is dropped and rebuilt),
e.g. ``createdb -h 127.0.0.1 -U postgres bench_aftersales``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402

from accounts.models import Customer  # noqa: E402
from aftercare import migrate  # noqa: E402
from aftercare.db import Database  # noqa: E402
from aftersales import lapsed, programmes, segments, surveys  # noqa: E402
from aftersales.models import Product, ProductTag, Purchase, StepKind  # noqa: E402
from aftersales.schemas import ProgrammeCreate, SegmentFilters, StepCreate  # noqa: E402
from helpdesk.email.models import OutboxMessage  # noqa: E402
from kb.models import Article, ArticleContent, ArticleTag  # noqa: E402

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
PRODUCTS = [
    ("NIMBUS-T1", "Nimbus thermostat", "nimbus"),
    ("AURORA-V2", "Aurora vacuum", "aurora"),
    ("PULSE-E1", "Pulse earbuds", "pulse"),
]
LANGUAGES = ["en", "en", "en", "pl", "id", "tl", "th"]
KINDS = ["usage_tip"] * 8 + ["troubleshooting"] * 8 + ["faq"] * 4
HISTORY_DAYS = 3 * 365


def timed(label: str, func, *args, **kwargs):
    started = time.perf_counter()
    result = func(*args, **kwargs)
    elapsed = time.perf_counter() - started
    print(f"{label:<52} {elapsed:8.2f} s", flush=True)
    return result, elapsed


def build(database: Database, customers: int, purchases: int) -> None:
    rng = random.Random(42)
    with database.session() as session:
        rows = [
            {
                "email": f"c{n}@bench.example",
                "name": f"Customer {n}",
                "language": rng.choice(LANGUAGES),
                "consent_marketing": rng.random() < 0.6,
                "consent_surveys": rng.random() < 0.9,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(customers)
        ]
        timed(f"insert {customers:,} customers", session.connection().execute, insert(Customer.__table__), rows)
        product_ids = []
        for sku, name, tag in PRODUCTS:
            product = Product(sku=sku, name=name, tag_rows=[ProductTag(tag=tag)])
            session.add(product)
            session.flush()
            product_ids.append(product.id)
            for n, kind in enumerate(KINDS):
                article = Article(
                    slug=f"{tag}-{n}",
                    kind=kind,
                    status="published",
                    source_locale="en",
                    published_at=NOW - timedelta(days=500 - n),
                )
                article.tag_rows = [ArticleTag(tag_kind="product", tag=tag)]
                article.contents = [
                    ArticleContent(
                        locale="en", title=f"{name} tip {n}", body_markdown="Do **this**.", status="published"
                    )
                ]
                if n % 3 == 0:
                    article.contents.append(
                        ArticleContent(
                            locale="pl",
                            title=f"Porada {n}",
                            body_markdown="Zrób to.",
                            status="published",
                            source_version=1,
                        )
                    )
                session.add(article)
        session.flush()
        customer_ids = list(session.scalars(select(Customer.id)))
        batch: list[dict] = []
        started = time.perf_counter()
        for n in range(purchases):
            batch.append(
                {
                    "external_order_id": f"ORD-{n}",
                    "customer_id": rng.choice(customer_ids),
                    "product_id": rng.choice(product_ids),
                    "quantity": 1,
                    "amount": Decimal("99.00"),
                    "currency": "EUR",
                    "purchased_at": NOW - timedelta(seconds=rng.randint(0, HISTORY_DAYS * 86400)),
                    "channel": "web",
                    "created_at": NOW,
                }
            )
            if len(batch) == 20_000:
                session.connection().execute(insert(Purchase.__table__), batch)
                batch = []
        if batch:
            session.connection().execute(insert(Purchase.__table__), batch)
        print(f"{f'insert {purchases:,} purchases':<52} {time.perf_counter() - started:8.2f} s", flush=True)
        for _, name, tag in PRODUCTS:
            programmes.create_programme(
                session,
                ProgrammeCreate(
                    name=f"{name}: first weeks",
                    product_tag=tag,
                    steps=[
                        StepCreate(day_offset=0, kind=StepKind.WELCOME),
                        StepCreate(day_offset=3, kind=StepKind.USAGE),
                        StepCreate(day_offset=14, kind=StepKind.TROUBLESHOOTING),
                    ],
                ),
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=300_000)
    parser.add_argument(
        "--postgres", default="", help="a PostgreSQL URL to use instead of SQLite (its schema is reset)"
    )
    args = parser.parse_args()
    if args.postgres:
        url = args.postgres
        engine = Database(url).engine
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        path = ROOT / "var" / "bench" / "aftersales.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    print(f"database: {url.split('@')[-1]}")
    migrate.upgrade(url)
    database = Database(url)
    build(database, args.customers, args.purchases)
    # Planner statistics, as PostgreSQL's autovacuum would gather after a bulk load: without them
    # it guesses 20 customers and picks nested loops that take seconds instead of milliseconds.
    with database.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")

    with database.session() as session:
        started = time.perf_counter()
        enrolled, _ = timed(
            "pass 1: enrol recent buyers",
            lambda: sum(
                programmes.enrol_recent_buyers(session, p, now=NOW) for p in programmes.list_programmes(session)
            ),
        )
        due_now, _ = timed("pass 1: find due steps", programmes.find_due_steps, session, now=NOW)
        summary, deliver = timed(
            "pass 1: pick articles, render, enqueue (outbox)", programmes.deliver_due_steps, session, due_now, now=NOW
        )
        first = time.perf_counter() - started
    print(f"{'scheduling pass, total (first run of the day)':<52} {first:8.2f} s")
    print(
        f"  enrolled {enrolled:,}, due {summary.due:,}, enqueued {summary.enqueued:,}, "
        f"declined {summary.declined:,}, deferred {summary.deferred:,}, without article {summary.no_article:,}"
    )
    if summary.enqueued:
        print(
            f"  {summary.enqueued / deliver:,.0f} tips enqueued per second "
            f"({1000 * deliver / summary.enqueued:.1f} ms each, most of it in the outbox's checks)"
        )
    with database.session() as session:
        again, _ = timed("the same pass again (must enqueue nothing)", programmes.run_scheduling_pass, session, now=NOW)
    assert again.enqueued == 0 and again.enrolled == 0, again
    with database.session() as session:
        due, _ = timed(
            "find due steps after the pass (deferred ones remain)", programmes.find_due_steps, session, now=NOW
        )
    with database.session() as session:
        nextday, _ = timed("next day's pass", programmes.run_scheduling_pass, session, now=NOW + timedelta(days=1))
    print(
        f"  enrolled {nextday.enrolled:,}, due {nextday.due:,}, enqueued {nextday.enqueued:,}, "
        f"deferred {nextday.deferred:,}"
    )
    with database.session() as session:
        nps, _ = timed("NPS survey pass", surveys.invite_nps, session, now=NOW)
    print(f"  {nps:,} NPS invitations")
    with database.session() as session:
        lapsed_count, _ = timed("lapsed-buyer scan (all purchases)", lapsed.scan, session, now=NOW)
    print(f"  {lapsed_count:,} lapsed buyers")
    with database.session() as session:
        filters = SegmentFilters(languages=["pl"], product_tags=["nimbus"], min_purchases=2, consent_marketing=True)
        count, _ = timed(
            "segment count (language, tag, 2+ purchases, consent)", segments.count_members, session, filters, now=NOW
        )
        print(f"  {count:,} customers in the segment")
        outbox = session.scalar(select(func.count()).select_from(OutboxMessage))
        print(f"outbox rows in total: {outbox:,}; due steps left: {len(due)}")
    database.dispose()


if __name__ == "__main__":
    main()
