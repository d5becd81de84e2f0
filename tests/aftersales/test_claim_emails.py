"""Claim e-mails through a real SMTP sink: one per state, in the customer's language, with the
eligibility line of an in-window and an out-of-window claim."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accounts.models import Role
from accounts.service import principal_for_user
from aftersales import claims
from aftersales.claim_models import ClaimKind, ClaimStatus
from aftersales.claim_schemas import ClaimCreate
from aftersales.purchases import update_product
from aftersales.schemas import ProductUpdate
from helpdesk.email.delivery import drain_outbox
from tests.aftersales import factories as f
from tests.factories import create_customer_user, create_staff
from tests.helpdesk.email.conftest import fresh_rate_limits, memory_queue, smtp_sink  # noqa: F401

# Bought 10 March 2026 (factories.NOW) with a twelve-month warranty: it ends on 10 March 2027.
IN_WINDOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
OUT_OF_WINDOW = datetime(2027, 6, 1, 10, 0, tzinfo=UTC)


def plain(delivery) -> str:
    return delivery.message.get_body(("plain",)).get_content()


@pytest.fixture
def polish_claim_at(database):
    """Opens a claim for a Polish customer at a given time (committed, so a worker can send it)."""

    def _open(now: datetime) -> tuple[int, str]:
        with database.session() as session:
            owner = create_customer_user(session, name="Zofia Nowak", language="pl")
            product = f.product(session, name="Pulse earbuds")
            update_product(session, product, ProductUpdate(warranty_months=12))
            purchase = f.buy(session, owner.customer, product, at=f.NOW)
            data = ClaimCreate(
                purchase_id=purchase.id,
                kind=ClaimKind.WARRANTY,
                reason="defective",
                description="Lewa słuchawka milczy.",
            )
            claim = claims.open_claim(session, data, principal_for_user(owner), now=now)
            return claim.id, claim.rma_number

    return _open


def test_an_in_window_claim_mails_its_rma_number_and_warranty_end_in_polish(smtp_sink, database, polish_claim_at):
    claim_id, rma = polish_claim_at(IN_WINDOW)
    assert drain_outbox(database).sent == 1
    [mail] = smtp_sink.delivered
    assert mail.message["Subject"] == f"Otrzymaliśmy Twoje zgłoszenie {rma}"
    assert "Gwarancja obowiązuje do 10 marca 2027." in plain(mail)
    assert f"/claims/{claim_id}" in plain(mail)


def test_an_out_of_window_claim_mails_the_day_the_warranty_ended(smtp_sink, database, polish_claim_at):
    polish_claim_at(OUT_OF_WINDOW)
    drain_outbox(database)
    [mail] = smtp_sink.delivered
    assert "Gwarancja skończyła się 10 marca 2027; mimo to przyjrzymy się sprawie." in plain(mail)


def test_the_full_rma_path_mails_each_state_in_the_customers_language(smtp_sink, database, polish_claim_at):
    claim_id, rma = polish_claim_at(IN_WINDOW)
    path = (ClaimStatus.APPROVED, ClaimStatus.ITEM_RECEIVED, ClaimStatus.REPAIRED, ClaimStatus.CLOSED)
    with database.session() as session:
        agent = principal_for_user(create_staff(session, role=Role.AGENT))
        claim = claims.get_claim_for(session, claim_id, agent)
        for status in path:
            claims.change_status(session, claim, status, agent)
    drain_outbox(database)
    assert [mail.message["Subject"] for mail in smtp_sink.delivered] == [
        f"Otrzymaliśmy Twoje zgłoszenie {rma}",
        f"Twoje zgłoszenie {rma} zostało przyjęte",
        f"Otrzymaliśmy Twój produkt ({rma})",
        f"Produkt został naprawiony ({rma})",
        f"Zgłoszenie {rma} zostało zamknięte",
    ]


def test_the_approval_asks_for_the_rma_number_on_the_parcel(smtp_sink, database, polish_claim_at):
    claim_id, rma = polish_claim_at(IN_WINDOW)
    with database.session() as session:
        agent = principal_for_user(create_staff(session, role=Role.AGENT))
        claims.change_status(session, claims.get_claim_for(session, claim_id, agent), ClaimStatus.APPROVED, agent)
    drain_outbox(database)
    approval = smtp_sink.delivered[-1]
    assert f"umieść numer RMA {rma} na paczce" in plain(approval)


def test_every_language_has_every_claim_string():
    from aftersales.claim_strings import CLAIM_STRINGS

    english = set(CLAIM_STRINGS["en"])
    assert {language: set(words) for language, words in CLAIM_STRINGS.items()} == dict.fromkeys(CLAIM_STRINGS, english)
