"""Tip series: enrolment, the scheduling pass, dedupe on re-runs, late windows and consent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from aftersales import programmes
from aftersales.models import ProgrammeEnrolment, ProgrammeTrigger, StepKind, TipDelivery
from aftersales.programmes import find_due_steps, run_scheduling_pass, tip_dedupe_key
from aftersales.purchases import record_purchase
from helpdesk.email.models import EmailKind, OutboxMessage, SuppressionScope, SuppressionSource
from helpdesk.email.suppression import add_suppression
from kb.models import ArticleKind
from tests.aftersales import factories as f

NOW = f.NOW


def deliveries(session) -> int:
    return session.scalar(select(func.count()).select_from(TipDelivery))


def outbox_rows(session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage))


def setup_series(session, **buyer):
    f.article(session, title="Getting started")
    f.article(session, title="Eco mode")
    f.article(session, kind=ArticleKind.TROUBLESHOOTING, title="Wi-Fi drops")
    series = f.programme(session)
    item = f.product(session, tags=["nimbus"])
    who = f.customer(session, **buyer)
    return series, item, who


def test_the_welcome_step_is_due_on_the_day_of_purchase(session):
    series, item, who = setup_series(session)
    f.buy(session, who, item, at=NOW - timedelta(hours=2))
    programmes.enrol_recent_buyers(session, series, now=NOW)
    due = find_due_steps(session, now=NOW)
    assert [(d.enrolment.customer_id, d.step.kind) for d in due] == [(who.id, StepKind.WELCOME)]


def test_later_steps_come_on_their_day(session):
    series, item, who = setup_series(session)
    f.buy(session, who, item, at=NOW - timedelta(days=3, hours=1))
    programmes.enrol_recent_buyers(session, series, now=NOW)
    assert {d.step.kind for d in find_due_steps(session, now=NOW)} == {StepKind.WELCOME, StepKind.USAGE}


def test_the_pass_enqueues_one_marketing_mail_per_due_step(session):
    series, item, who = setup_series(session)
    f.buy(session, who, item, at=NOW - timedelta(hours=2))
    summary = run_scheduling_pass(session, now=NOW)
    assert (summary.enrolled, summary.due, summary.enqueued) == (1, 1, 1)
    message = session.scalar(select(OutboxMessage))
    assert message.kind == EmailKind.MARKETING and message.to_address == who.email
    assert message.dedupe_key == tip_dedupe_key(who.id, series.steps[0].id)
    assert "Getting started" in message.subject


def test_running_the_pass_again_adds_nothing(session):
    series, item, who = setup_series(session)
    f.buy(session, who, item, at=NOW - timedelta(hours=2))
    run_scheduling_pass(session, now=NOW)
    again = run_scheduling_pass(session, now=NOW + timedelta(hours=1))
    assert (again.enrolled, again.due, again.enqueued) == (0, 0, 0)
    assert (deliveries(session), outbox_rows(session)) == (1, 1)


def test_the_same_purchase_imported_twice_is_one_purchase_and_one_series(session):
    series, item, who = setup_series(session)
    data = f.purchase_data(
        external_order_id="SHOP-77",
        customer_email=who.email,
        sku=item.sku,
        purchased_at=NOW - timedelta(days=14, hours=1),
    )
    for day in (0, 3, 14):
        record_purchase(session, data)
        run_scheduling_pass(session, now=data.purchased_at + timedelta(days=day, hours=2))
    record_purchase(session, data)
    run_scheduling_pass(session, now=NOW)
    enrolments = session.scalar(select(func.count()).select_from(ProgrammeEnrolment))
    per_step = session.execute(select(TipDelivery.step_id, func.count()).group_by(TipDelivery.step_id)).all()
    assert enrolments == 1
    assert sorted(count for _, count in per_step) == [1, 1, 1]


def test_a_second_purchase_does_not_start_the_series_again(session):
    series, item, who = setup_series(session)
    f.buy(session, who, item, at=NOW - timedelta(days=1))
    run_scheduling_pass(session, now=NOW)
    f.buy(session, who, item, at=NOW)
    run_scheduling_pass(session, now=NOW + timedelta(hours=1))
    assert session.scalar(select(func.count()).select_from(ProgrammeEnrolment)) == 1
    assert deliveries(session) == 1


def test_importing_last_years_orders_sends_nothing(session):
    series, item, who = setup_series(session)
    f.buy(session, who, item, at=NOW - timedelta(days=365))
    summary = run_scheduling_pass(session, now=NOW)
    assert (summary.enrolled, summary.enqueued) == (0, 0)


def test_a_step_more_than_a_week_late_is_skipped(session):
    series, item, who = setup_series(session)
    f.buy(session, who, item, at=NOW - timedelta(days=10))
    summary = run_scheduling_pass(session, now=NOW)
    # Day 0 and day 3 are past their late window; day 14 is not due yet.
    assert (summary.enrolled, summary.due) == (1, 0)


def test_customers_without_marketing_consent_get_no_tips(session):
    series, item, who = setup_series(session, marketing=False)
    f.buy(session, who, item, at=NOW - timedelta(hours=1))
    summary = run_scheduling_pass(session, now=NOW)
    assert (summary.enrolled, summary.due, summary.enqueued) == (1, 0, 0)


def test_a_buyer_of_an_untagged_product_is_not_enrolled(session):
    series, _, who = setup_series(session)
    other = f.product(session, tags=["aurora"], name="Aurora vacuum")
    f.buy(session, who, other, at=NOW - timedelta(hours=1))
    assert run_scheduling_pass(session, now=NOW).enrolled == 0


def test_a_step_the_outbox_declines_is_tried_again_on_the_next_pass(session):
    series, item, who = setup_series(session)
    f.buy(session, who, item, at=NOW - timedelta(hours=1))
    suppression = add_suppression(session, who.email, SuppressionScope.MARKETING, source=SuppressionSource.ADMIN)
    first = run_scheduling_pass(session, now=NOW)
    assert (first.due, first.declined, deliveries(session)) == (1, 1, 0)
    session.delete(suppression)
    session.flush()
    assert run_scheduling_pass(session, now=NOW + timedelta(hours=1)).enqueued == 1
    assert outbox_rows(session) == 1


def test_an_unsubscribed_customer_gets_no_tip(session):
    series, item, who = setup_series(session)
    f.buy(session, who, item, at=NOW - timedelta(hours=1))
    add_suppression(session, who.email, SuppressionScope.MARKETING, source=SuppressionSource.ONE_CLICK)
    assert run_scheduling_pass(session, now=NOW).enqueued == 0


def test_an_admin_enrolment_starts_a_manual_series_now(session):
    f.article(session, title="Welcome back")
    series = f.programme(session, trigger=ProgrammeTrigger.MANUAL, steps=[(0, StepKind.WELCOME)])
    item = f.product(session)
    who = f.customer(session)
    f.buy(session, who, item, at=NOW - timedelta(days=200))
    result = programmes.enrol_customers(session, series, [who.id], now=NOW)
    assert (result.enrolled, result.already_enrolled) == (1, 0)
    assert programmes.enrol_customers(session, series, [who.id], now=NOW).already_enrolled == 1
    summary = run_scheduling_pass(session, now=NOW + timedelta(minutes=5))
    assert summary.enqueued == 1


def test_a_step_without_any_article_left_is_counted_and_not_recorded(session):
    f.programme(session, steps=[(0, StepKind.TROUBLESHOOTING)])
    item = f.product(session)
    who = f.customer(session)
    f.buy(session, who, item, at=NOW - timedelta(hours=1))
    summary = run_scheduling_pass(session, now=NOW)
    assert (summary.due, summary.no_article, summary.enqueued) == (1, 1, 0)
    assert deliveries(session) == 0


def test_customers_enrolled_are_counted_from_rows(session):
    series, item, _ = setup_series(session)
    for _ in range(3):
        f.buy(session, f.customer(session), item, at=NOW - timedelta(hours=1))
    run_scheduling_pass(session, now=NOW)
    assert programmes.enrolment_count(session, series) == 3
    assert programmes.programme_stats(session, series) == {series.steps[0].id: 3}


def test_steps_due_together_go_out_a_day_apart(session):
    series, item, who = setup_series(session)
    f.buy(session, who, item, at=NOW - timedelta(days=4))
    first = run_scheduling_pass(session, now=NOW)
    assert (first.due, first.enqueued, first.deferred) == (2, 1, 1)
    assert session.scalar(select(TipDelivery.step_id)) == series.steps[0].id
    assert run_scheduling_pass(session, now=NOW + timedelta(hours=2)).enqueued == 0
    assert run_scheduling_pass(session, now=NOW + timedelta(days=1)).enqueued == 1
