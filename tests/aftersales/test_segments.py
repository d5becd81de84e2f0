"""Segments: each filter, their combination, live counts, and broadcasts that never double."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from aftersales import segments
from aftersales.models import BroadcastDelivery, BroadcastStatus
from aftersales.schemas import BroadcastCreate, SegmentCreate, SegmentFilters
from helpdesk.email.models import EmailKind, OutboxMessage
from tests.aftersales import factories as f

NOW = f.NOW


def members(session, **filters) -> set[int]:
    return set(session.scalars(segments.members_query(SegmentFilters(**filters), now=NOW)))


def test_language_filter(session):
    pl = f.customer(session, language="pl")
    f.customer(session, language="en")
    assert members(session, languages=["pl"]) == {pl.id}


def test_bought_a_product_or_a_tagged_product(session):
    nimbus = f.product(session, tags=["nimbus"])
    aurora = f.product(session, tags=["aurora"], name="Aurora")
    a, b = f.customer(session), f.customer(session)
    f.customer(session)
    f.buy(session, a, nimbus)
    f.buy(session, b, aurora)
    assert members(session, product_tags=["nimbus"]) == {a.id}
    assert members(session, product_ids=[aurora.id]) == {b.id}
    assert members(session, product_ids=[aurora.id], product_tags=["nimbus"]) == {a.id, b.id}


def test_number_of_purchases(session):
    item = f.product(session)
    once, thrice, never = f.customer(session), f.customer(session), f.customer(session)
    f.buy(session, once, item)
    for _ in range(3):
        f.buy(session, thrice, item)
    assert members(session, min_purchases=2) == {thrice.id}
    assert members(session, max_purchases=1) >= {once.id, never.id}
    assert thrice.id not in members(session, max_purchases=1)


def test_days_since_last_purchase(session):
    item = f.product(session)
    recent, old = f.customer(session), f.customer(session)
    f.buy(session, recent, item, at=NOW - timedelta(days=5))
    f.buy(session, old, item, at=NOW - timedelta(days=400))
    f.buy(session, old, item, at=NOW - timedelta(days=100))
    assert members(session, min_days_since_last_purchase=90) == {old.id}
    assert members(session, max_days_since_last_purchase=30) == {recent.id}


def test_consent(session):
    yes = f.customer(session, marketing=True)
    no = f.customer(session, marketing=False)
    assert yes.id in members(session, consent_marketing=True) and no.id not in members(session, consent_marketing=True)
    assert no.id in members(session, consent_marketing=False)


def test_conditions_combine_and_the_count_matches(session):
    item = f.product(session)
    match = f.customer(session, language="id")
    f.buy(session, match, item, at=NOW - timedelta(days=10))
    wrong_language = f.customer(session, language="en")
    f.buy(session, wrong_language, item, at=NOW - timedelta(days=10))
    f.customer(session, language="id")  # bought nothing
    filters = SegmentFilters(languages=["id"], product_tags=["nimbus"], max_days_since_last_purchase=30)
    assert set(session.scalars(segments.members_query(filters, now=NOW))) == {match.id}
    assert segments.count_members(session, filters, now=NOW) == 1


def test_a_broadcast_reaches_consenting_members_once(session, settings):
    item = f.product(session)
    consenting = [f.customer(session, language="th") for _ in range(3)]
    f.customer(session, language="th", marketing=False)
    for person in consenting:
        f.buy(session, person, item)
    segment = segments.create_segment(
        session, SegmentCreate(name="Thai buyers", filters=SegmentFilters(languages=["th"]))
    )
    broadcast = segments.create_broadcast(
        session, segment, BroadcastCreate(subject="New colours", body="**Hello**"), author=None
    )
    assert segments.send_broadcast_batch(session, broadcast, batch_size=2, now=NOW) == 2
    assert broadcast.status == BroadcastStatus.QUEUED
    assert segments.send_broadcast_batch(session, broadcast, batch_size=2, now=NOW) == 1
    assert broadcast.status == BroadcastStatus.SENT
    assert segments.send_broadcast_batch(session, broadcast, batch_size=2, now=NOW) == 0
    assert session.scalar(select(func.count()).select_from(BroadcastDelivery)) == 3
    kinds = set(session.scalars(select(OutboxMessage.kind)))
    assert kinds == {EmailKind.MARKETING}
    assert segments.broadcast_counts(session, broadcast) == (3, 0)
