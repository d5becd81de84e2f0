"""Lifecycle messages, service level: who gets which message when, once, and what turns them off.

The clock is frozen by passing ``now``; the purchase is on 10 March 2026 at noon (factories.NOW).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from aftersales import lapsed, lifecycle, purchases
from aftersales.lifecycle_models import LifecycleKind, LifecycleMessage
from aftersales.lifecycle_schemas import LifecycleStepUpdate, PurchaseUpdate
from aftersales.schemas import ProductUpdate
from helpdesk.email.models import OutboxMessage
from tests.aftersales import factories as f

BOUGHT = f.NOW
DUE = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)


def kinds_for(session, customer) -> list[str]:
    rows = session.scalars(
        select(LifecycleMessage.kind).where(LifecycleMessage.customer_id == customer.id).order_by(LifecycleMessage.id)
    )
    return [str(kind) for kind in rows]


def due_purchase(session, **customer_options):
    buyer = f.customer(session, **customer_options)
    purchase = f.buy(session, buyer, f.product(session), at=BOUGHT)
    purchases.update_purchase(session, purchase, PurchaseUpdate(due_at=DUE))
    return buyer, purchase


def payment_keys(session, purchase) -> list[str]:
    return list(
        session.scalars(
            select(LifecycleMessage.dedupe_key)
            .where(
                LifecycleMessage.purchase_id == purchase.id,
                LifecycleMessage.kind == LifecycleKind.PAYMENT_REMINDER,
            )
            .order_by(LifecycleMessage.id)
        )
    )


def test_a_new_customers_first_purchase_gets_a_confirmation_and_a_welcome(session):
    buyer = f.customer(session)
    f.buy(session, buyer, f.product(session), at=BOUGHT)
    lifecycle.run_lifecycle_pass(session, now=BOUGHT + timedelta(minutes=15))
    assert sorted(kinds_for(session, buyer)) == ["purchase_confirmation", "welcome"]


def test_a_second_purchase_gets_its_confirmation_but_no_second_welcome(session):
    buyer = f.customer(session)
    item = f.product(session)
    f.buy(session, buyer, item, at=BOUGHT)
    lifecycle.run_lifecycle_pass(session, now=BOUGHT + timedelta(minutes=15))
    f.buy(session, buyer, item, at=BOUGHT + timedelta(days=2))
    lifecycle.run_lifecycle_pass(session, now=BOUGHT + timedelta(days=2, minutes=15))
    assert sorted(kinds_for(session, buyer)) == ["purchase_confirmation", "purchase_confirmation", "welcome"]


def test_a_customer_who_bought_before_gets_no_welcome_for_a_new_purchase(session):
    buyer = f.customer(session)
    item = f.product(session)
    # Imported history: a year-old order, then a new one.
    f.buy(session, buyer, item, at=BOUGHT - timedelta(days=365))
    f.buy(session, buyer, item, at=BOUGHT)
    lifecycle.run_lifecycle_pass(session, now=BOUGHT + timedelta(minutes=15))
    assert kinds_for(session, buyer) == ["purchase_confirmation"]


def test_an_import_of_old_orders_mails_nobody(session):
    buyer = f.customer(session)
    f.buy(session, buyer, f.product(session), at=BOUGHT - timedelta(days=30))
    assert lifecycle.run_lifecycle_pass(session, now=BOUGHT) == {
        "purchase_confirmation": 0,
        "welcome": 0,
        "payment_reminder": 0,
        "service_reminder": 0,
        "win_back": 0,
    }


def test_the_confirmation_goes_without_marketing_consent_and_the_welcome_does_not(session):
    buyer = f.customer(session, marketing=False)
    f.buy(session, buyer, f.product(session), at=BOUGHT)
    lifecycle.run_lifecycle_pass(session, now=BOUGHT + timedelta(minutes=15))
    assert kinds_for(session, buyer) == ["purchase_confirmation"]


def test_running_the_pass_twice_sends_nothing_more(session):
    buyer = f.customer(session)
    f.buy(session, buyer, f.product(session), at=BOUGHT)
    lifecycle.run_lifecycle_pass(session, now=BOUGHT + timedelta(minutes=15))
    again = lifecycle.run_lifecycle_pass(session, now=BOUGHT + timedelta(minutes=30))
    assert sum(again.values()) == 0 and len(kinds_for(session, buyer)) == 2


def test_a_payment_reminder_goes_three_days_before_the_due_day(session):
    _, purchase = due_purchase(session)
    # Due 20 March; the default is three days before: from 17 March.
    lifecycle.run_lifecycle_pass(session, now=datetime(2026, 3, 16, 23, 0, tzinfo=UTC))
    assert payment_keys(session, purchase) == []
    lifecycle.run_lifecycle_pass(session, now=datetime(2026, 3, 17, 9, 0, tzinfo=UTC))
    assert payment_keys(session, purchase) == [f"lifecycle:payment:purchase:{purchase.id}:before-3"]


def test_a_second_payment_reminder_goes_on_the_due_day(session):
    _, purchase = due_purchase(session)
    lifecycle.run_lifecycle_pass(session, now=datetime(2026, 3, 17, 9, 0, tzinfo=UTC))
    lifecycle.run_lifecycle_pass(session, now=datetime(2026, 3, 18, 9, 0, tzinfo=UTC))
    lifecycle.run_lifecycle_pass(session, now=datetime(2026, 3, 20, 8, 0, tzinfo=UTC))
    assert payment_keys(session, purchase) == [
        f"lifecycle:payment:purchase:{purchase.id}:before-3",
        f"lifecycle:payment:purchase:{purchase.id}:due-day",
    ]


def test_a_payment_stops_the_reminders(session):
    _, purchase = due_purchase(session)
    lifecycle.run_lifecycle_pass(session, now=datetime(2026, 3, 17, 9, 0, tzinfo=UTC))
    purchases.update_purchase(session, purchase, PurchaseUpdate(paid_at=datetime(2026, 3, 18, 9, 0, tzinfo=UTC)))
    lifecycle.run_lifecycle_pass(session, now=datetime(2026, 3, 20, 8, 0, tzinfo=UTC))
    assert payment_keys(session, purchase) == [f"lifecycle:payment:purchase:{purchase.id}:before-3"]


def test_no_payment_reminder_after_the_due_day(session):
    _, purchase = due_purchase(session)
    lifecycle.run_lifecycle_pass(session, now=datetime(2026, 3, 21, 0, 30, tzinfo=UTC))
    assert payment_keys(session, purchase) == []


def test_the_payment_reminder_goes_without_marketing_consent(session):
    _, purchase = due_purchase(session, marketing=False)
    lifecycle.run_lifecycle_pass(session, now=datetime(2026, 3, 20, 8, 0, tzinfo=UTC))
    assert payment_keys(session, purchase) == [f"lifecycle:payment:purchase:{purchase.id}:due-day"]


def test_an_admin_sets_the_days_before_a_payment_reminder(session):
    _, purchase = due_purchase(session)
    lifecycle.update_step(session, LifecycleKind.PAYMENT_REMINDER, LifecycleStepUpdate(days_before=7))
    # Seven days before 20 March is 13 March.
    lifecycle.run_lifecycle_pass(session, now=datetime(2026, 3, 13, 9, 0, tzinfo=UTC))
    assert payment_keys(session, purchase) == [f"lifecycle:payment:purchase:{purchase.id}:before-7"]


def test_a_switched_off_step_sends_nothing(session):
    lifecycle.update_step(session, LifecycleKind.PURCHASE_CONFIRMATION, LifecycleStepUpdate(enabled=False))
    buyer = f.customer(session)
    f.buy(session, buyer, f.product(session), at=BOUGHT)
    lifecycle.run_lifecycle_pass(session, now=BOUGHT + timedelta(minutes=15))
    assert kinds_for(session, buyer) == ["welcome"]


def test_a_service_reminder_comes_before_the_service_interval(session):
    buyer = f.customer(session)
    item = f.product(session, name="Aqua filter jug")
    purchases.update_product(session, item, ProductUpdate(service_interval_days=90))
    purchase = f.buy(session, buyer, item, at=BOUGHT)
    # Serviced 90 days after 10 March: 8 June; the reminder comes 14 days before, from 25 May.
    lifecycle.run_lifecycle_pass(session, now=datetime(2026, 5, 24, 9, 0, tzinfo=UTC))
    assert LifecycleKind.SERVICE_REMINDER not in kinds_for(session, buyer)
    lifecycle.run_lifecycle_pass(session, now=datetime(2026, 5, 25, 13, 0, tzinfo=UTC))
    [message] = session.scalars(
        select(LifecycleMessage).where(LifecycleMessage.kind == LifecycleKind.SERVICE_REMINDER)
    ).all()
    assert message.dedupe_key == f"lifecycle:service:purchase:{purchase.id}:cycle:1"
    body = session.get(OutboxMessage, message.outbox_message_id).text_body
    assert "June 8, 2026" in body and "Aqua filter jug" in body


def test_a_lapsed_buyer_gets_one_win_back_per_lapse(session):
    buyer = f.customer(session)
    item = f.product(session, renewal_days=30)
    f.buy(session, buyer, item, at=BOUGHT)
    # Renewal due 9 April, a week's grace: lapsed on 20 April.
    later = datetime(2026, 4, 20, 12, 0, tzinfo=UTC)
    lapsed.scan(session, now=later)
    lifecycle.run_lifecycle_pass(session, now=later)
    lifecycle.run_lifecycle_pass(session, now=later + timedelta(days=1))
    assert kinds_for(session, buyer).count("win_back") == 1
