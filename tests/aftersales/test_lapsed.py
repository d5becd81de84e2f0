"""Lapsed buyers: overdue by their own rhythm, or a subscription not renewed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from aftersales import lapsed
from aftersales.lapsed import judge
from aftersales.models import LapsedBuyer, LapseReason, ProgrammeTrigger, StepKind
from aftersales.programmes import enrol_customers
from tests.aftersales import factories as f

NOW = f.NOW


def history(*days_ago: int, product_id: int = 1):
    return [(product_id, NOW - timedelta(days=d)) for d in sorted(days_ago, reverse=True)]


def test_a_monthly_buyer_silent_for_three_months_is_overdue():
    finding = judge(history(150, 120, 90), {}, now=NOW)
    assert finding.reason == LapseReason.OVERDUE
    assert finding.typical_gap_days == 30.0
    assert finding.expected_by == NOW - timedelta(days=60)


def test_a_monthly_buyer_within_rhythm_is_not_lapsed():
    assert judge(history(90, 60, 30), {}, now=NOW) is None


def test_the_median_ignores_one_odd_gap():
    # Gaps of 10, 10, 200 days: the usual rhythm is 10 days (24 allowed), so 30 days of silence is overdue.
    assert judge(history(240, 230, 220, 20), {}, now=NOW) is None
    assert judge(history(250, 240, 230, 30), {}, now=NOW).reason == LapseReason.OVERDUE


def test_a_weekly_buyer_gets_some_slack():
    # Twice a 7-day gap is 14 days, but at least 14 extra days are allowed: 20 days is fine.
    assert judge(history(41, 34, 27, 20), {}, now=NOW) is None


def test_two_purchases_are_too_few_to_know_a_rhythm():
    assert judge(history(400, 300), {}, now=NOW) is None


def test_a_subscription_not_renewed_is_lapsed():
    finding = judge(history(40, product_id=7), {7: 30}, now=NOW)
    assert (finding.reason, finding.product_id) == (LapseReason.SUBSCRIPTION_NOT_RENEWED, 7)


def test_a_renewed_subscription_is_not_lapsed():
    assert judge(history(40, 10, product_id=7), {7: 30}, now=NOW) is None


def test_a_subscription_gets_a_grace_period():
    assert judge(history(35, product_id=7), {7: 30}, now=NOW) is None


def test_customers_gone_for_years_are_forgotten():
    assert judge(history(2000, 1970, 1940), {}, now=NOW) is None


def test_a_scan_stores_findings_and_drops_them_when_people_buy_again(session):
    item = f.product(session)
    who = f.customer(session)
    for days in (150, 120, 90):
        f.buy(session, who, item, at=NOW - timedelta(days=days))
    assert lapsed.scan(session, now=NOW) == 1
    row = session.scalar(select(LapsedBuyer))
    assert (row.customer_id, row.reason, row.purchases) == (who.id, LapseReason.OVERDUE, 3)
    detected = row.detected_at
    assert lapsed.scan(session, now=NOW + timedelta(days=1)) == 1
    assert session.scalar(select(LapsedBuyer)).detected_at == detected
    f.buy(session, who, item, at=NOW + timedelta(days=2))
    assert lapsed.scan(session, now=NOW + timedelta(days=3)) == 0
    assert session.scalar(select(LapsedBuyer)) is None


def test_the_list_shows_which_series_an_admin_already_sent(session):
    item = f.product(session, renewal_days=30)
    who = f.customer(session)
    f.buy(session, who, item, at=NOW - timedelta(days=60))
    lapsed.scan(session, now=NOW)
    winback = f.programme(session, trigger=ProgrammeTrigger.MANUAL, steps=[(0, StepKind.WELCOME)], name="Win-back")
    enrol_customers(session, winback, [who.id], now=NOW)
    [entry] = lapsed.list_lapsed(session)
    assert entry.row.reason == LapseReason.SUBSCRIPTION_NOT_RENEWED and entry.contacted == ["Win-back"]
