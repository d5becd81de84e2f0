"""Lifecycle messages and review invitations through a real SMTP sink (aiosmtpd), at a frozen clock.

Purchases are on 10 March 2026 at noon (factories.NOW); a pay-later order is due on 20 March.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from accounts.models import Role
from aftersales import lifecycle, purchases, reviews, surveys
from aftersales.lifecycle_models import ReviewInvitation
from aftersales.lifecycle_schemas import PurchaseUpdate, ReviewDestinationSet
from aftersales.models import SurveyInvitation, SurveyKind
from aftersales.schemas import SurveyAnswer
from helpdesk.email.delivery import drain_outbox
from tests.aftersales import factories as f
from tests.factories import create_staff, token_for
from tests.helpdesk.email.conftest import fresh_rate_limits, memory_queue, smtp_sink  # noqa: F401

BOUGHT = f.NOW
DUE = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)
REVIEW_PAGE = "https://shop.example.com/nimbus/reviews"


def plain(delivery) -> str:
    return delivery.message.get_body(("plain",)).get_content()


def html(delivery) -> str:
    return delivery.message.get_body(("html",)).get_content()


def subjects(sink, to: str | None = None) -> list[str]:
    return [d.message["Subject"] for d in sink.delivered if to is None or d.rcpt_tos == [to]]


def run_pass(database, now: datetime) -> None:
    with database.session() as session:
        lifecycle.run_lifecycle_pass(session, now=now)
    drain_outbox(database)


@pytest.fixture
def due_order(database):
    """A pay-later order of a customer without marketing consent: (purchase id, address)."""
    with database.session() as session:
        buyer = f.customer(session, name="Ada Lovelace", marketing=False)
        purchase = f.buy(session, buyer, f.product(session, name="Nimbus thermostat"), at=BOUGHT, order_id="WEB-42")
        purchases.update_purchase(session, purchase, PurchaseUpdate(due_at=DUE))
        return purchase.id, buyer.email


def test_a_due_order_gets_a_reminder_before_and_one_on_the_due_day(smtp_sink, database, due_order):
    _, address = due_order
    run_pass(database, BOUGHT + timedelta(minutes=15))
    run_pass(database, datetime(2026, 3, 17, 9, 0, tzinfo=UTC))
    run_pass(database, datetime(2026, 3, 20, 8, 0, tzinfo=UTC))
    reminders = [d for d in smtp_sink.delivered if d.message["Subject"] == "Payment reminder for order WEB-42"]
    assert [d.rcpt_tos for d in reminders] == [[address], [address]]
    assert "is due on March 20, 2026" in plain(reminders[0])
    assert "is due today, March 20, 2026" in plain(reminders[1])


def test_no_reminder_after_the_payment_arrives_through_the_api(smtp_sink, database, due_order, client, session):
    purchase_id, _ = due_order
    run_pass(database, datetime(2026, 3, 17, 9, 0, tzinfo=UTC))
    headers = token_for(session, create_staff(session, role=Role.ADMIN))
    response = client.patch(
        f"/api/v1/purchases/{purchase_id}", json={"paid_at": "2026-03-18T10:00:00Z"}, headers=headers
    )
    assert response.status_code == 200 and response.json()["paid_at"].startswith("2026-03-18T10:00:00")
    run_pass(database, datetime(2026, 3, 20, 8, 0, tzinfo=UTC))
    assert subjects(smtp_sink).count("Payment reminder for order WEB-42") == 1


def test_welcome_only_for_a_new_customers_first_purchase(smtp_sink, database):
    with database.session() as session:
        item = f.product(session, name="Nimbus thermostat")
        newcomer = f.customer(session, name="Nora New")
        regular = f.customer(session, name="Rita Regular")
        f.buy(session, regular, item, at=BOUGHT - timedelta(days=200))
        f.buy(session, newcomer, item, at=BOUGHT)
        f.buy(session, regular, item, at=BOUGHT)
    run_pass(database, BOUGHT + timedelta(minutes=15))
    with database.session() as session:
        f.buy(session, newcomer, item, at=BOUGHT + timedelta(days=1))
    run_pass(database, BOUGHT + timedelta(days=1, minutes=15))
    welcomes = [d.rcpt_tos for d in smtp_sink.delivered if d.message["Subject"].startswith("Welcome")]
    assert welcomes == [[newcomer.email]]


def test_the_purchase_confirmation_goes_without_marketing_consent_and_carries_no_marketing(
    smtp_sink, database, due_order
):
    _, address = due_order
    run_pass(database, BOUGHT + timedelta(minutes=15))
    [mail] = smtp_sink.delivered
    assert (mail.rcpt_tos, mail.message["Subject"]) == ([address], "Order WEB-42 confirmed")
    # Transactional: no unsubscribe header or footer, nothing but the order's facts.
    assert mail.message["List-Unsubscribe"] is None
    assert (
        plain(mail).split()
        == (
            "Hi Ada Lovelace, We have received your order WEB-42 for Nimbus thermostat on March 10, 2026. "
            "Amount: 129.00 EUR The support team"
        ).split()
    )


def test_a_customers_name_is_escaped_in_the_html(smtp_sink, database):
    with database.session() as session:
        buyer = f.customer(session, name="<b>x</b>")
        f.buy(session, buyer, f.product(session), at=BOUGHT)
    run_pass(database, BOUGHT + timedelta(minutes=15))
    bodies = [html(d) for d in smtp_sink.delivered]
    assert bodies and all("&lt;b&gt;x&lt;/b&gt;" in body and "<b>x</b>" not in body for body in bodies)


def test_a_polish_customer_gets_the_confirmation_in_polish(smtp_sink, database):
    with database.session() as session:
        buyer = f.customer(session, language="pl", name="Zofia")
        f.buy(session, buyer, f.product(session, name="Pulse"), at=BOUGHT, order_id="PL-7")
    run_pass(database, BOUGHT + timedelta(minutes=15))
    assert "Zamówienie PL-7 potwierdzone" in subjects(smtp_sink)


# --- review invitations -----------------------------------------------------------------------------


def nps_answer(session, customer, product, score: int, *, wave: int) -> None:
    invitation = SurveyInvitation(
        kind=SurveyKind.NPS,
        customer=customer,
        product=product,
        wave=wave,
        language="en",
        created_at=BOUGHT,
        closes_at=BOUGHT + timedelta(days=14),
    )
    session.add(invitation)
    session.flush()
    surveys.submit_answer(session, invitation, SurveyAnswer(score=score), now=BOUGHT + timedelta(days=wave))


@pytest.fixture
def reviewed_product(database):
    with database.session() as session:
        item = f.product(session, name="Nimbus thermostat")
        reviews.set_destination(session, item, ReviewDestinationSet(url=REVIEW_PAGE))
        return item


def review_mails(sink) -> list:
    return [d for d in sink.delivered if d.message["Subject"] == "Would you review Nimbus thermostat?"]


def test_a_promoter_gets_one_review_invitation_per_product_even_after_two_surveys(
    smtp_sink, database, reviewed_product
):
    with database.session() as session:
        promoter = f.customer(session)
        nps_answer(session, promoter, reviewed_product, 10, wave=0)
        nps_answer(session, promoter, reviewed_product, 9, wave=1)
    drain_outbox(database)
    assert [d.rcpt_tos for d in review_mails(smtp_sink)] == [[promoter.email]]


def test_the_invitation_asks_every_promoter_without_gating_words(smtp_sink, database, reviewed_product):
    with database.session() as session:
        nps_answer(session, f.customer(session), reviewed_product, 9, wave=0)
    drain_outbox(database)
    [mail] = review_mails(smtp_sink)
    assert "happy" not in plain(mail).lower() and "satisfied" not in plain(mail).lower()


@pytest.mark.parametrize("score", [3, 7, 8])
def test_detractors_and_passives_get_no_review_invitation(smtp_sink, database, reviewed_product, score):
    with database.session() as session:
        nps_answer(session, f.customer(session), reviewed_product, score, wave=0)
    drain_outbox(database)
    assert review_mails(smtp_sink) == []


def test_the_click_is_recorded_and_redirects_to_the_review_page(smtp_sink, database, reviewed_product, client, session):
    with database.session() as unit:
        nps_answer(unit, f.customer(unit), reviewed_product, 10, wave=0)
    drain_outbox(database)
    [mail] = review_mails(smtp_sink)
    path = re.search(r"https?://[^/\s]+(/r/\S+)", plain(mail)).group(1)
    response = client.get(path, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (302, REVIEW_PAGE)
    invitation = session.scalar(select(ReviewInvitation))
    session.refresh(invitation)
    assert invitation.clicked_at is not None


def test_a_forged_review_link_is_not_found(client):
    assert client.get("/r/forged-token", follow_redirects=False).status_code == 404
