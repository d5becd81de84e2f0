"""Claim pages: the account's purchases, articles first (the deflection funnel), the form keeping
what was typed, the claim page, the agent's panel and the admin page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from accounts.models import Role
from aftersales.claim_models import Claim, ClaimStatus
from aftersales.purchases import update_product
from aftersales.schemas import ProductUpdate
from kb.feedback.models import DeflectionEvent, FunnelEvent
from kb.models import ArticleKind
from tests.aftersales import factories as f
from tests.web.pages_support import csrf_from, sign_in


@pytest.fixture
def customer_user(client, session):
    return sign_in(client, session, role=Role.CUSTOMER)


@pytest.fixture
def purchase(session, customer_user):
    product = f.product(session, name="Nimbus thermostat", tags=["nimbus"])
    # A hundred years of warranty: in window whenever the suite runs.
    update_product(session, product, ProductUpdate(warranty_months=1200))
    return f.buy(session, customer_user.customer, product, at=f.NOW)


@pytest.fixture
def article(session):
    return f.article(session, products=["nimbus"], kind=ArticleKind.TROUBLESHOOTING, title="Thermostat display blank")


def form_token(client, purchase) -> str:
    return csrf_from(client.get(f"/claims/new?purchase_id={purchase.id}&step=form").text)


def send(client, purchase, **fields):
    values = {"purchase_id": purchase.id, "kind": "warranty", "reason": "defective", "description": "No heat at all."}
    return client.post(
        "/claims/new", data=values | fields | {"csrf_token": form_token(client, purchase)}, follow_redirects=False
    )


def funnel(session) -> list[str]:
    return [row.event for row in session.scalars(select(DeflectionEvent).order_by(DeflectionEvent.id))]


def test_the_account_page_lists_purchases_with_a_claim_link(client, purchase):
    page = client.get("/account").text
    assert "Nimbus thermostat" in page and f'href="/claims/new?purchase_id={purchase.id}"' in page


def test_the_claim_form_shows_the_products_articles_first(client, session, purchase, article):
    page = client.get(f"/claims/new?purchase_id={purchase.id}")
    assert page.status_code == 200
    assert 'data-step="articles"' in page.text and "Thermostat display blank" in page.text
    assert re.search(rf'href="/articles/{article.slug}\?[^"]*attempt=', page.text)


def test_showing_the_articles_counts_in_the_deflection_funnel(client, session, purchase, article):
    client.get(f"/claims/new?purchase_id={purchase.id}")
    assert funnel(session) == [FunnelEvent.SUGGESTIONS_SHOWN]


def test_this_solved_it_after_reading_the_article_is_a_confirmed_deflection(client, session, purchase, article):
    page = client.get(f"/claims/new?purchase_id={purchase.id}").text
    client.get(re.search(rf'href="(/articles/{article.slug}\?[^"]*)"', page).group(1).replace("&amp;", "&"))
    solved = client.post(
        "/claims/new/solved",
        data={"purchase_id": purchase.id, "article_id": article.id, "csrf_token": csrf_from(page)},
    )
    assert solved.status_code == 200 and 'data-step="solved"' in solved.text
    assert FunnelEvent.DEFLECTION_CONFIRMED in funnel(session)
    assert session.scalar(select(Claim)) is None


def test_without_articles_the_form_comes_straight_away(client, purchase):
    assert 'data-step="form"' in client.get(f"/claims/new?purchase_id={purchase.id}").text


def test_someone_elses_purchase_is_not_found(client, session, purchase):
    other = f.buy(session, f.customer(session), purchase.product)
    assert client.get(f"/claims/new?purchase_id={other.id}").status_code == 404


def test_a_claim_sent_shows_its_rma_number_and_eligibility(client, session, purchase):
    response = send(client, purchase)
    assert response.status_code == 303
    claim = session.scalar(select(Claim))
    page = client.get(response.headers["location"]).text
    assert claim.rma_number in page
    # Bought 10 March 2026 with 1,200 months of warranty (English pages write dates US-style).
    assert "Within warranty until March 10, 2126" in page


def test_sending_the_claim_ends_the_attempt_as_a_ticket(client, session, purchase, article):
    client.get(f"/claims/new?purchase_id={purchase.id}")
    send(client, purchase)
    assert funnel(session)[-1] == FunnelEvent.TICKET_SUBMITTED


def test_a_refused_form_keeps_what_was_typed(client, session, purchase):
    response = send(client, purchase, reason="", description="The display flickers <b>badly</b>.")
    assert response.status_code == 422
    assert "The display flickers &lt;b&gt;badly&lt;/b&gt;." in response.text
    assert '<option value="warranty" selected>' in response.text
    assert session.scalar(select(Claim)) is None


def test_the_claim_page_is_not_found_for_another_customer(client, session, purchase):
    location = send(client, purchase).headers["location"]
    client.cookies.clear()
    sign_in(client, session, role=Role.CUSTOMER)
    assert client.get(location).status_code == 404


def test_the_agents_panel_offers_the_legal_next_states(client, session, purchase):
    send(client, purchase)
    claim = session.scalar(select(Claim))
    client.cookies.clear()
    sign_in(client, session, role=Role.AGENT)
    ticket_page = client.get(f"/agent/tickets/{claim.ticket_id}").text
    assert f'hx-get="/agent/tickets/{claim.ticket_id}/claim"' in ticket_page
    panel = client.get(f"/agent/tickets/{claim.ticket_id}/claim").text
    assert re.findall(r'name="status" value="(\w+)"', panel) == ["approved", "rejected"]


def test_an_agent_approves_from_the_panel(client, session, purchase):
    send(client, purchase)
    claim = session.scalar(select(Claim))
    client.cookies.clear()
    sign_in(client, session, role=Role.AGENT)
    token = csrf_from(client.get(f"/agent/tickets/{claim.ticket_id}/claim").text)
    response = client.post(
        f"/agent/claims/{claim.id}/status", data={"status": "approved", "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    session.refresh(claim)
    assert claim.status == ClaimStatus.APPROVED


def test_an_illegal_move_from_the_panel_is_a_conflict(client, session, purchase):
    send(client, purchase)
    claim = session.scalar(select(Claim))
    client.cookies.clear()
    sign_in(client, session, role=Role.AGENT)
    token = csrf_from(client.get(f"/agent/tickets/{claim.ticket_id}/claim").text)
    response = client.post(f"/agent/claims/{claim.id}/status", data={"status": "closed", "csrf_token": token})
    assert response.status_code == 409


def test_the_admin_page_lists_claims_with_the_reports(client, session, purchase):
    send(client, purchase)
    claim = session.scalar(select(Claim))
    client.cookies.clear()
    sign_in(client, session, role=Role.ADMIN)
    page = client.get("/admin/claims").text
    assert claim.rma_number in page and "Claims by product" in page and '<svg class="chart-svg"' in page


def test_the_admin_downloads_claims_by_reason_as_csv(client, session, purchase):
    send(client, purchase)
    client.cookies.clear()
    sign_in(client, session, role=Role.ADMIN)
    response = client.get("/admin/claims/by-reason.csv")
    assert response.text.splitlines() == ["group,claims,out_of_window", "defective,1,0"]


def test_an_admin_sets_a_products_warranty_on_the_products_page(client, session, purchase):
    client.cookies.clear()
    sign_in(client, session, role=Role.ADMIN)
    token = csrf_from(client.get("/admin/products").text)
    client.post(
        f"/admin/products/{purchase.product_id}",
        data={
            "name": "Nimbus thermostat",
            "tags": "nimbus",
            "warranty_months": "36",
            "return_days": "",
            "csrf_token": token,
        },
    )
    session.refresh(purchase.product)
    assert (purchase.product.warranty_months, purchase.product.return_days) == (36, None)
