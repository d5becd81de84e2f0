"""After-sales API: the order webhook's idempotency and permissions, listings, segments, reports."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from accounts.models import Role
from aftercare.db import utcnow
from aftersales.models import Broadcast, Purchase
from tests.aftersales import factories as f
from tests.factories import create_staff, token_for

ORDER = {
    "external_order_id": "WEB-1001",
    "customer_email": "Zofia@Example.com",
    "customer_name": "Zofia",
    "customer_language": "pl-PL",
    "sku": "PULSE-2",
    "product_name": "Pulse earbuds",
    "quantity": 1,
    "amount": "79.90",
    "currency": "pln",
    "purchased_at": "2026-03-01T10:00:00+01:00",
}


def admin_headers(session):
    return token_for(session, create_staff(session, role=Role.ADMIN))


def test_posting_an_order_twice_records_one_purchase(client, session):
    headers = admin_headers(session)
    first = client.post("/api/v1/purchases", json=ORDER, headers=headers)
    second = client.post("/api/v1/purchases", json=ORDER, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["amount"] == "79.90" and first.json()["currency"] == "PLN"
    assert first.json()["purchased_at"].startswith("2026-03-01T09:00:00")
    assert session.scalar(select(func.count()).select_from(Purchase)) == 1


def test_a_replay_with_a_different_amount_is_a_conflict(client, session):
    headers = admin_headers(session)
    client.post("/api/v1/purchases", json=ORDER, headers=headers)
    response = client.post("/api/v1/purchases", json={**ORDER, "amount": "1.00"}, headers=headers)
    assert response.status_code == 409 and response.json()["code"] == "conflict"


def test_an_unknown_sku_creates_the_product(client, session):
    headers = admin_headers(session)
    client.post("/api/v1/purchases", json=ORDER, headers=headers)
    products = client.get("/api/v1/products", headers=headers).json()
    assert [(p["sku"], p["name"]) for p in products] == [("PULSE-2", "Pulse earbuds")]


def test_agents_cannot_record_orders(client, session):
    response = client.post("/api/v1/purchases", json=ORDER, headers=token_for(session, create_staff(session)))
    assert response.status_code == 403


def test_orders_need_a_token(client):
    assert client.post("/api/v1/purchases", json=ORDER).status_code == 401


def test_unknown_fields_and_bad_values_are_refused(client, session):
    headers = admin_headers(session)
    assert client.post("/api/v1/purchases", json={**ORDER, "colour": "red"}, headers=headers).status_code == 422
    assert client.post("/api/v1/purchases", json={**ORDER, "amount": "-1"}, headers=headers).status_code == 422
    assert client.post("/api/v1/purchases", json={**ORDER, "currency": "euro"}, headers=headers).status_code == 422


def test_purchases_are_listed_by_customer_email(client, session):
    headers = admin_headers(session)
    client.post("/api/v1/purchases", json=ORDER, headers=headers)
    client.post(
        "/api/v1/purchases",
        json={**ORDER, "external_order_id": "WEB-1002", "customer_email": "x@example.com"},
        headers=headers,
    )
    rows = client.get("/api/v1/purchases", params={"customer_email": "zofia@example.com"}, headers=headers).json()
    assert [r["external_order_id"] for r in rows] == ["WEB-1001"]


def test_product_tags_can_be_set(client, session):
    headers = admin_headers(session)
    item = f.product(session, tags=[])
    response = client.patch(
        f"/api/v1/products/{item.id}", json={"tags": ["Nimbus", "thermostat"], "renewal_days": 365}, headers=headers
    )
    assert response.json()["tags"] == ["nimbus", "thermostat"] and response.json()["renewal_days"] == 365


def test_a_programme_is_created_and_listed(client, session):
    headers = admin_headers(session)
    body = {
        "name": "Nimbus first weeks",
        "product_tag": "nimbus",
        "steps": [{"day_offset": 0, "kind": "welcome"}, {"day_offset": 3, "kind": "usage"}],
    }
    created = client.post("/api/v1/programmes", json=body, headers=headers)
    assert created.status_code == 201
    assert [s["day_offset"] for s in client.get("/api/v1/programmes", headers=headers).json()[0]["steps"]] == [0, 3]


def test_a_purchase_programme_needs_its_tag(client, session):
    body = {"name": "No tag", "steps": [{"day_offset": 0, "kind": "welcome"}]}
    assert client.post("/api/v1/programmes", json=body, headers=admin_headers(session)).status_code == 422


def test_segment_counts_are_live(client, session):
    headers = admin_headers(session)
    f.customer(session, language="th")
    f.customer(session, language="th")
    f.customer(session, language="en")
    response = client.post("/api/v1/segments/count", json={"languages": ["th"]}, headers=headers)
    assert response.json() == {"count": 2}
    created = client.post("/api/v1/segments", json={"name": "Thai", "filters": {"languages": ["th"]}}, headers=headers)
    assert created.status_code == 201 and created.json()["count"] == 2


def test_a_broadcast_is_queued(client, session):
    headers = admin_headers(session)
    segment = client.post("/api/v1/segments", json={"name": "All"}, headers=headers).json()
    response = client.post(
        f"/api/v1/segments/{segment['id']}/broadcasts", json={"subject": "News", "body": "Hi"}, headers=headers
    )
    assert response.status_code == 202 and response.json()["status"] == "queued"
    stored = session.get(Broadcast, response.json()["id"])
    assert (stored.segment_id, stored.subject, stored.body) == (segment["id"], "News", "Hi")


def test_reports_answer_for_each_grouping(client, session):
    headers = admin_headers(session)
    kettle = f.product(session, name="Kettle")
    for score in (10, 9, 8, 3):
        f.survey_answer(session, score, at=utcnow() - timedelta(days=1), product=kettle)
    # Worked out by hand: 2 promoters (9-10), 1 passive (7-8), 1 detractor (0-6) of 4 = 50% - 25%.
    [row] = [
        row
        for row in client.get("/api/v1/reports/nps", params={"by": "product"}, headers=headers).json()
        if row["group"] == "Kettle"
    ]
    assert (row["responses"], row["promoters"], row["passives"], row["detractors"], row["nps"]) == (4, 2, 1, 1, 25.0)
    for by in ("month", "week"):
        rows = client.get("/api/v1/reports/nps", params={"by": by}, headers=headers).json()
        assert sum(row["responses"] for row in rows) >= 4, by
    assert client.get("/api/v1/reports/nps", params={"by": "segment"}, headers=headers).status_code == 200
    assert client.get("/api/v1/reports/nps", params={"by": "colour"}, headers=headers).status_code == 422
    assert client.get("/api/v1/reports/csat", headers=headers).status_code == 200
    assert client.get("/api/v1/reports/email", params={"by": "programme"}, headers=headers).status_code == 200
