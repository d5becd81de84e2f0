"""Claims: eligibility from the purchase date (both windows, the last day), RMA numbers, the ticket,
the legal and illegal moves, and who may open or move a claim."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from accounts.models import Role
from accounts.service import principal_for_user
from aftercare.errors import Forbidden, InvalidTransition, NotFound
from aftersales import claims
from aftersales.claim_models import ClaimKind, ClaimReason, ClaimStatus
from aftersales.claim_schemas import ClaimCreate
from aftersales.customer_story import customer_story
from aftersales.purchases import update_product
from aftersales.schemas import ProductUpdate
from helpdesk.models import Message, MessageKind, Ticket
from tests.aftersales import factories as f
from tests.conftest import env
from tests.factories import create_customer_user, create_staff

# Bought on 10 March 2026 (factories.NOW).
BOUGHT = f.NOW


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)


@pytest.fixture
def owner(session):
    return create_customer_user(session, language="pl")


@pytest.fixture
def agent(session):
    return principal_for_user(create_staff(session, role=Role.AGENT))


def bought(session, owner, *, warranty_months=12, return_days=30):
    product = f.product(session, name="Nimbus thermostat")
    update_product(session, product, ProductUpdate(warranty_months=warranty_months, return_days=return_days))
    return f.buy(session, owner.customer, product, at=BOUGHT)


def claim_on(session, owner, purchase, *, kind=ClaimKind.WARRANTY, now=None, reason=ClaimReason.DEFECTIVE):
    data = ClaimCreate(purchase_id=purchase.id, kind=kind, reason=reason, description="It stopped heating.")
    return claims.open_claim(session, data, principal_for_user(owner), now=now)


def test_a_warranty_claim_inside_the_warranty_is_eligible(session, owner):
    claim = claim_on(session, owner, bought(session, owner), now=at(date(2026, 11, 1)))
    # 12 months after 10 March 2026.
    assert (claim.eligible, claim.window_ends_on, claim.status) == (True, date(2027, 3, 10), ClaimStatus.REQUESTED)


def test_a_warranty_claim_after_the_warranty_is_taken_but_not_eligible(session, owner):
    claim = claim_on(session, owner, bought(session, owner), now=at(date(2027, 3, 11)))
    assert (claim.eligible, claim.window_ends_on, claim.status) == (False, date(2027, 3, 10), ClaimStatus.REQUESTED)


def test_the_last_day_of_the_warranty_is_still_in(session, owner):
    claim = claim_on(session, owner, bought(session, owner), now=at(date(2027, 3, 10)))
    assert claim.eligible is True


def test_a_return_on_the_last_day_of_the_return_window_is_eligible(session, owner):
    # 30 days after 10 March is 9 April.
    claim = claim_on(session, owner, bought(session, owner), kind=ClaimKind.RETURN, now=at(date(2026, 4, 9)))
    assert (claim.eligible, claim.window_ends_on) == (True, date(2026, 4, 9))


def test_a_return_the_day_after_the_return_window_is_not_eligible(session, owner):
    claim = claim_on(session, owner, bought(session, owner), kind=ClaimKind.RETURN, now=at(date(2026, 4, 10)))
    assert (claim.eligible, claim.window_ends_on) == (False, date(2026, 4, 9))


def test_a_repair_uses_the_warranty_window(session, owner):
    claim = claim_on(session, owner, bought(session, owner), kind=ClaimKind.REPAIR, now=at(date(2027, 3, 11)))
    assert (claim.eligible, claim.window_ends_on) == (False, date(2027, 3, 10))


def test_a_product_without_its_own_return_window_takes_the_default_from_settings(session, owner):
    purchase = bought(session, owner, warranty_months=None, return_days=None)
    with env(AFTERCARE_DEFAULT_RETURN_DAYS="14"):
        claim = claim_on(session, owner, purchase, kind=ClaimKind.RETURN, now=at(date(2026, 3, 20)))
    assert claim.window_ends_on == date(2026, 3, 24)


def test_a_product_without_its_own_warranty_takes_the_default_from_settings(session, owner):
    purchase = bought(session, owner, warranty_months=None, return_days=None)
    with env(AFTERCARE_DEFAULT_WARRANTY_MONTHS="6"):
        claim = claim_on(session, owner, purchase, now=at(date(2026, 9, 11)))
    assert (claim.eligible, claim.window_ends_on) == (False, date(2026, 9, 10))


def test_rma_numbers_are_unique_and_readable(session, owner):
    purchase = bought(session, owner)
    first = claim_on(session, owner, purchase, now=at(date(2026, 5, 1)))
    second = claim_on(session, owner, purchase, now=at(date(2026, 5, 1)))
    assert first.rma_number != second.rma_number
    assert all(re.fullmatch(r"RMA-2026-\d{6}", number) for number in (first.rma_number, second.rma_number))


def test_opening_a_claim_opens_a_ticket_tagged_claim_with_the_description(session, owner):
    claim = claim_on(session, owner, bought(session, owner), now=at(date(2026, 5, 1)))
    ticket = session.get(Ticket, claim.ticket_id)
    assert "claim" in ticket.tags
    assert claim.rma_number in ticket.subject and "Nimbus thermostat" in ticket.subject
    assert ticket.requester_id == owner.customer.id
    assert [m.body for m in ticket.messages if m.kind == MessageKind.PUBLIC_REPLY] == ["It stopped heating."]


def test_the_ticket_tells_agents_when_a_claim_is_out_of_window(session, owner):
    claim = claim_on(session, owner, bought(session, owner), now=at(date(2027, 4, 1)))
    notes = [m.body for m in session.get(Ticket, claim.ticket_id).messages if m.kind == MessageKind.INTERNAL_NOTE]
    assert any("OUT OF the warranty window" in note and "2027-03-10" in note for note in notes)


def test_the_full_path_is_recorded_with_who_moved_it(session, owner, agent):
    claim = claim_on(session, owner, bought(session, owner), now=at(date(2026, 5, 1)))
    for status in (ClaimStatus.APPROVED, ClaimStatus.ITEM_RECEIVED, ClaimStatus.REPAIRED, ClaimStatus.CLOSED):
        claims.change_status(session, claim, status, agent)
    history = [(e.old_status, e.new_status, e.actor_user_id) for e in claim.events]
    assert history == [
        (None, "requested", owner.id),
        ("requested", "approved", agent.user.id),
        ("approved", "item_received", agent.user.id),
        ("item_received", "repaired", agent.user.id),
        ("repaired", "closed", agent.user.id),
    ]


def test_reaching_an_outcome_marks_the_claim_resolved(session, owner, agent):
    claim = claim_on(session, owner, bought(session, owner), now=at(date(2026, 5, 1)))
    claims.change_status(session, claim, ClaimStatus.REJECTED, agent, now=at(date(2026, 5, 3)))
    assert claim.resolved_at == at(date(2026, 5, 3))


def test_skipping_a_state_is_refused_and_changes_nothing(session, owner, agent):
    claim = claim_on(session, owner, bought(session, owner), now=at(date(2026, 5, 1)))
    with pytest.raises(InvalidTransition) as refused:
        claims.change_status(session, claim, ClaimStatus.REPAIRED, agent)
    assert refused.value.status_code == 409 and "approved" in refused.value.message
    assert claim.status == ClaimStatus.REQUESTED and len(claim.events) == 1


def test_a_closed_claim_cannot_move(session, owner, agent):
    claim = claim_on(session, owner, bought(session, owner), now=at(date(2026, 5, 1)))
    claims.change_status(session, claim, ClaimStatus.REJECTED, agent)
    claims.change_status(session, claim, ClaimStatus.CLOSED, agent)
    with pytest.raises(InvalidTransition):
        claims.change_status(session, claim, ClaimStatus.APPROVED, agent)


def test_every_move_is_noted_on_the_ticket(session, owner, agent):
    claim = claim_on(session, owner, bought(session, owner), now=at(date(2026, 5, 1)))
    claims.change_status(session, claim, ClaimStatus.APPROVED, agent)
    notes = session.query(Message).filter_by(ticket_id=claim.ticket_id, kind=MessageKind.INTERNAL_NOTE).all()
    assert any("requested → approved" in note.body for note in notes)


def test_a_customer_cannot_move_their_claim(session, owner):
    claim = claim_on(session, owner, bought(session, owner), now=at(date(2026, 5, 1)))
    with pytest.raises(Forbidden):
        claims.change_status(session, claim, ClaimStatus.APPROVED, principal_for_user(owner))


def test_a_customer_cannot_claim_on_someone_elses_purchase(session, owner):
    stranger = create_customer_user(session)
    with pytest.raises(NotFound):
        claim_on(session, stranger, bought(session, owner))


def test_a_customer_cannot_read_someone_elses_claim(session, owner):
    claim = claim_on(session, owner, bought(session, owner), now=at(date(2026, 5, 1)))
    with pytest.raises(NotFound):
        claims.get_claim_for(session, claim.id, principal_for_user(create_customer_user(session)))


def test_an_agent_opens_a_claim_by_the_shops_order_id(session, owner, agent):
    purchase = bought(session, owner)
    data = ClaimCreate(
        external_order_id=purchase.external_order_id, kind="return", reason="other", description="Wrong colour."
    )
    claim = claims.open_claim(session, data, agent, now=at(date(2026, 3, 12)))
    assert (claim.purchase_id, claim.customer_id, claim.eligible) == (purchase.id, owner.customer.id, True)


def test_the_customer_story_uses_the_products_own_warranty(session, owner):
    bought(session, owner, warranty_months=6)
    story = customer_story(session, owner.customer.id, warranty_months=24, now=BOUGHT + timedelta(days=1))
    assert story.purchases[0].warranty_until == date(2026, 9, 10)
