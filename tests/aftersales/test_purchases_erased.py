"""Orders and erased customers: an erased buyer's order replayed changes nothing, and an order for
their address does not turn marketing consent on."""

from __future__ import annotations

from sqlalchemy import func, select

from accounts.models import Customer
from aftersales.models import Purchase
from aftersales.purchases import record_purchase
from helpdesk.email.suppression import remember_erased_address
from tests.aftersales.factories import purchase_data

ADDRESS = "gone@example.org"


def test_an_order_for_an_erased_address_does_not_give_marketing_consent(session):
    remember_erased_address(session, ADDRESS)
    result = record_purchase(session, purchase_data(customer_email=ADDRESS, marketing_consent=True))
    assert result.created and result.purchase.customer.consent_marketing is False


def test_an_order_saying_no_to_marketing_is_still_heard(session):
    remember_erased_address(session, ADDRESS)
    buyer = record_purchase(session, purchase_data(customer_email=ADDRESS)).purchase.customer
    buyer.consent_marketing = True
    record_purchase(session, purchase_data(customer_email=ADDRESS, marketing_consent=False))
    assert buyer.consent_marketing is False


def test_an_erased_buyers_order_sent_again_is_the_same_order(session):
    data = purchase_data(customer_email=ADDRESS)
    first = record_purchase(session, data).purchase
    # What privacy.erasure leaves of the buyer: the row, without the address.
    first.customer.email, first.customer.erased_at = "erased-1@erased.invalid", first.created_at
    again = record_purchase(session, data)
    assert (again.created, again.purchase.id) == (False, first.id)
    assert session.scalar(select(func.count()).select_from(Purchase)) == 1
    assert session.scalar(select(Customer.id).where(Customer.email == ADDRESS)) is None
