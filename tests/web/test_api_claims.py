"""Claims API: the contract's answer, who may open, read, list and move claims, and products' windows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from accounts.models import Role
from aftercare.db import utcnow
from aftersales.purchases import update_product
from aftersales.schemas import ProductUpdate
from tests.aftersales import factories as f
from tests.factories import create_customer_user, create_staff, token_for


@pytest.fixture
def owner(session):
    return create_customer_user(session)


@pytest.fixture
def purchase(session, owner):
    product = f.product(session, name="Pulse earbuds")
    update_product(session, product, ProductUpdate(warranty_months=12))
    return f.buy(session, owner.customer, product, at=utcnow() - timedelta(days=40))


def agent_headers(session):
    return token_for(session, create_staff(session, role=Role.AGENT))


def open_claim(client, headers, **body):
    values = {"kind": "warranty", "reason": "defective", "description": "The left earbud is silent."}
    return client.post("/api/v1/claims", json=values | body, headers=headers)


def test_a_customer_opens_a_claim_on_their_purchase(client, session, owner, purchase):
    response = open_claim(client, token_for(session, owner), purchase_id=purchase.id)
    assert response.status_code == 201
    body = response.json()
    assert {"id", "ticket_id", "rma_number", "kind", "status", "eligible", "window_ends_on"} <= set(body)
    assert (body["kind"], body["status"], body["eligible"]) == ("warranty", "requested", True)


def test_the_window_end_is_twelve_months_after_the_purchase(client, session, owner):
    product = f.product(session)
    update_product(session, product, ProductUpdate(warranty_months=12))
    purchase = f.buy(session, owner.customer, product, at=f.NOW)
    body = open_claim(client, token_for(session, owner), purchase_id=purchase.id).json()
    # Bought 10 March 2026, twelve months of warranty.
    assert body["window_ends_on"] == date(2027, 3, 10).isoformat()


def test_another_customers_purchase_is_not_found(client, session, purchase):
    stranger = create_customer_user(session)
    response = open_claim(client, token_for(session, stranger), purchase_id=purchase.id)
    assert response.status_code == 404


def test_another_customers_order_id_is_not_found(client, session, purchase):
    stranger = create_customer_user(session)
    response = open_claim(client, token_for(session, stranger), external_order_id=purchase.external_order_id)
    assert response.status_code == 404


def test_an_agent_opens_a_claim_by_order_id(client, session, purchase):
    response = open_claim(client, agent_headers(session), external_order_id=purchase.external_order_id, kind="return")
    assert response.status_code == 201 and response.json()["purchase_id"] == purchase.id


def test_naming_the_purchase_twice_is_refused(client, session, owner, purchase):
    response = open_claim(
        client, token_for(session, owner), purchase_id=purchase.id, external_order_id=purchase.external_order_id
    )
    assert response.status_code == 422


def test_an_unknown_kind_is_refused(client, session, owner, purchase):
    response = open_claim(client, token_for(session, owner), purchase_id=purchase.id, kind="exchange")
    assert response.status_code == 422


def test_without_a_token_a_claim_needs_sign_in(client, purchase):
    assert open_claim(client, {}, purchase_id=purchase.id).status_code == 401


def test_the_owner_reads_their_claim(client, session, owner, purchase):
    headers = token_for(session, owner)
    created = open_claim(client, headers, purchase_id=purchase.id).json()
    response = client.get(f"/api/v1/claims/{created['id']}", headers=headers)
    assert response.status_code == 200 and response.json()["rma_number"] == created["rma_number"]


def test_another_customer_cannot_read_the_claim(client, session, owner, purchase):
    created = open_claim(client, token_for(session, owner), purchase_id=purchase.id).json()
    stranger = token_for(session, create_customer_user(session))
    assert client.get(f"/api/v1/claims/{created['id']}", headers=stranger).status_code == 404


def test_an_agent_approves_a_claim(client, session, owner, purchase):
    created = open_claim(client, token_for(session, owner), purchase_id=purchase.id).json()
    response = client.patch(
        f"/api/v1/claims/{created['id']}", json={"status": "approved"}, headers=agent_headers(session)
    )
    assert response.status_code == 200
    assert response.json()["status"] == "approved" and response.json()["next_statuses"] == ["item_received"]


def test_an_illegal_move_is_a_conflict_with_a_message(client, session, owner, purchase):
    created = open_claim(client, token_for(session, owner), purchase_id=purchase.id).json()
    response = client.patch(
        f"/api/v1/claims/{created['id']}", json={"status": "refunded"}, headers=agent_headers(session)
    )
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert "allowed from requested: approved, rejected" in response.json()["detail"]


def test_a_customer_cannot_move_a_claim(client, session, owner, purchase):
    headers = token_for(session, owner)
    created = open_claim(client, headers, purchase_id=purchase.id).json()
    response = client.patch(f"/api/v1/claims/{created['id']}", json={"status": "approved"}, headers=headers)
    assert response.status_code == 403


def test_agents_list_claims_by_status(client, session, owner, purchase):
    headers = agent_headers(session)
    first = open_claim(client, token_for(session, owner), purchase_id=purchase.id).json()
    second = open_claim(client, token_for(session, owner), purchase_id=purchase.id).json()
    client.patch(f"/api/v1/claims/{second['id']}", json={"status": "approved"}, headers=headers)
    listed = client.get("/api/v1/claims", params={"status": "requested"}, headers=headers).json()
    assert [row["id"] for row in listed] == [first["id"]]


def test_customers_cannot_list_claims(client, session, owner):
    assert client.get("/api/v1/claims", headers=token_for(session, owner)).status_code == 403


def test_an_admin_creates_a_product_with_its_windows(client, session):
    headers = token_for(session, create_staff(session, role=Role.ADMIN))
    response = client.post(
        "/api/v1/products",
        json={"sku": "AURORA-9", "name": "Aurora robot", "warranty_months": 36, "return_days": 14},
        headers=headers,
    )
    assert response.status_code == 201
    assert (response.json()["warranty_months"], response.json()["return_days"]) == (36, 14)


def test_a_second_product_with_the_same_sku_is_a_conflict(client, session):
    headers = token_for(session, create_staff(session, role=Role.ADMIN))
    client.post("/api/v1/products", json={"sku": "AURORA-9", "name": "Aurora robot"}, headers=headers)
    response = client.post("/api/v1/products", json={"sku": "AURORA-9", "name": "Other"}, headers=headers)
    assert response.status_code == 409


def test_an_admin_clears_a_products_warranty_back_to_the_default(client, session):
    headers = token_for(session, create_staff(session, role=Role.ADMIN))
    product = f.product(session)
    update_product(session, product, ProductUpdate(warranty_months=36))
    response = client.patch(f"/api/v1/products/{product.id}", json={"warranty_months": None}, headers=headers)
    assert response.status_code == 200 and response.json()["warranty_months"] is None


def test_a_negative_return_window_is_refused(client, session):
    headers = token_for(session, create_staff(session, role=Role.ADMIN))
    product = f.product(session)
    response = client.patch(f"/api/v1/products/{product.id}", json={"return_days": -1}, headers=headers)
    assert response.status_code == 422
