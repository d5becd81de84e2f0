"""The tickets API: success and error paths, access control, limits, and nothing ever lost."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from accounts.models import Role
from helpdesk.models import Message, Ticket
from tests.conftest import env
from tests.factories import create_customer_user, create_staff, create_ticket, token_for
from tests.web.intake_support import emailed_token

NEW_TICKET = {
    "customer_email": "ola@example.com",
    "customer_name": "Ola",
    "subject": "Nie mogę połączyć termostatu z Wi-Fi",
    "body": "Dzień dobry, termostat od wczoraj nie łączy się z siecią Wi-Fi. Co mogę zrobić?",
}


@pytest.fixture
def agent_headers(session):
    return token_for(session, create_staff(session))


def ticket_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Ticket))


def test_create_ticket_detects_language(client):
    response = client.post("/api/v1/tickets", json=NEW_TICKET)
    assert response.status_code == 201, response.text
    data = response.json()
    assert (data["status"], data["language"]) == ("new", "pl")
    assert 0.5 < data["language_confidence"] <= 1.0


def test_create_ticket_keeps_text_exactly(client, agent_headers):
    body = "ภาษาไทย + English + 🙂 + Zażółć gęślą jaźń\n\n  indented line"
    created = client.post("/api/v1/tickets", json={**NEW_TICKET, "body": body}).json()
    stored = client.get(f"/api/v1/tickets/{created['id']}", headers=agent_headers).json()
    assert stored["messages"][0]["body"] == body


def test_create_ticket_with_explicit_language(client):
    response = client.post("/api/v1/tickets", json={**NEW_TICKET, "language": "id-ID"})
    assert (response.json()["language"], response.json()["language_source"]) == ("id", "given")


def test_emailed_access_link_of_an_anonymous_intake_works(client, session):
    created = client.post("/api/v1/tickets", json=NEW_TICKET).json()
    token = emailed_token(session, created["id"])
    response = client.get(f"/api/v1/tickets/{created['id']}", headers={"X-Ticket-Token": token})
    assert response.status_code == 200
    shown = response.json()
    assert (shown["id"], shown["subject"]) == (created["id"], NEW_TICKET["subject"])
    assert [message["body"] for message in shown["messages"]] == [NEW_TICKET["body"]]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**NEW_TICKET, "body": ""}, "body"),
        ({**NEW_TICKET, "body": "   \n "}, "body"),
        ({**NEW_TICKET, "subject": ""}, "subject"),
        ({**NEW_TICKET, "customer_email": "not-an-email"}, "customer_email"),
        ({**NEW_TICKET, "subject": 42}, "subject"),
        ({**NEW_TICKET, "body": ["a", "list"]}, "body"),
        ({**NEW_TICKET, "language": "klingon-xx-yy"}, "language"),
        ({**NEW_TICKET, "subject": "x" * 301}, "subject"),
        ({**NEW_TICKET, "unexpected": "field"}, "unexpected"),
        ({k: v for k, v in NEW_TICKET.items() if k != "body"}, "body"),
    ],
)
def test_create_ticket_rejects_bad_input_with_clear_422(client, session, payload, field):
    before = ticket_count(session)
    response = client.post("/api/v1/tickets", json=payload)
    assert response.status_code == 422
    assert field in response.json()["detail"]
    assert ticket_count(session) == before


def test_create_ticket_rejects_unsupported_language(client):
    response = client.post("/api/v1/tickets", json={**NEW_TICKET, "language": "de"})
    assert response.status_code == 422
    assert "not supported" in response.json()["detail"]


def test_create_ticket_rejects_malformed_json(client):
    response = client.post(
        "/api/v1/tickets", content=b'{"subject": "x", ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


def test_create_ticket_rejects_one_megabyte_body_with_413(client, session):
    before = ticket_count(session)
    response = client.post("/api/v1/tickets", json={**NEW_TICKET, "body": "a" * 1_000_000})
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
    assert ticket_count(session) == before


def test_create_ticket_rejects_body_over_field_limit(client, session):
    before = ticket_count(session)
    response = client.post("/api/v1/tickets", json={**NEW_TICKET, "body": "a" * 50_001})
    assert response.status_code == 422
    assert "body" in response.json()["detail"]
    assert ticket_count(session) == before


def test_public_intake_is_rate_limited_with_retry_after(app, client):
    from web import ratelimit

    app.state.settings = app.state.settings.model_copy(update={"public_rate_limit": "2/minute"})
    ratelimit.reset(app.state.settings.rate_limit_storage_url)
    statuses = [client.post("/api/v1/tickets", json=NEW_TICKET).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    limited = client.post("/api/v1/tickets", json=NEW_TICKET)
    assert int(limited.headers["Retry-After"]) >= 1


def test_get_ticket_without_credentials_is_401(client, session):
    ticket = create_ticket(session)
    assert client.get(f"/api/v1/tickets/{ticket.id}").status_code == 401


def test_get_ticket_with_bad_token_is_401(client, session):
    ticket = create_ticket(session)
    response = client.get(f"/api/v1/tickets/{ticket.id}", headers={"Authorization": "Bearer ac_nope"})
    assert response.status_code == 401


def test_agent_reads_any_ticket_with_internal_notes(client, session, agent_headers):
    ticket = create_ticket(session)
    client.post(
        f"/api/v1/tickets/{ticket.id}/messages", json={"body": "VIP", "kind": "internal_note"}, headers=agent_headers
    )
    response = client.get(f"/api/v1/tickets/{ticket.id}", headers=agent_headers)
    assert [m["kind"] for m in response.json()["messages"]] == ["public_reply", "internal_note"]


def test_customer_reads_own_ticket_without_internal_notes(client, session, agent_headers):
    customer = create_customer_user(session)
    ticket = create_ticket(session, customer_email=customer.email)
    client.post(
        f"/api/v1/tickets/{ticket.id}/messages", json={"body": "VIP", "kind": "internal_note"}, headers=agent_headers
    )
    response = client.get(f"/api/v1/tickets/{ticket.id}", headers=token_for(session, customer))
    assert response.status_code == 200
    assert [m["kind"] for m in response.json()["messages"]] == ["public_reply"]
    assert response.json()["events"] == []


def test_customer_cannot_read_another_customers_ticket(client, session):
    alice = create_customer_user(session)
    bob = create_customer_user(session)
    ticket = create_ticket(session, customer_email=bob.email)
    response = client.get(f"/api/v1/tickets/{ticket.id}", headers=token_for(session, alice))
    assert response.status_code == 404


def test_ticket_link_opens_only_its_own_ticket(client, session):
    first = client.post("/api/v1/tickets", json=NEW_TICKET).json()
    second = create_ticket(session, customer_email=NEW_TICKET["customer_email"])
    token = emailed_token(session, first["id"])
    response = client.get(f"/api/v1/tickets/{second.id}", headers={"X-Ticket-Token": token})
    assert response.status_code == 404


def test_forged_ticket_link_is_refused(client, session):
    ticket = create_ticket(session)
    response = client.get(f"/api/v1/tickets/{ticket.id}", params={"access_token": f"[{ticket.id}].forged"})
    assert response.status_code == 401


def test_unknown_ticket_is_404(client, agent_headers):
    response = client.get("/api/v1/tickets/999999", headers=agent_headers)
    assert response.status_code == 404
    assert response.json()["detail"] == "ticket 999999 not found"


def test_list_tickets_filters_by_status_and_language(client, session, agent_headers):
    create_ticket(session, subject="Termostat nie działa", body="Termostat nie łączy się z siecią od rana, pomocy.")
    create_ticket(session)
    response = client.get("/api/v1/tickets", params={"language": "pl", "status": "new"}, headers=agent_headers)
    assert response.status_code == 200
    assert {item["language"] for item in response.json()["items"]} == {"pl"}


def test_list_tickets_for_customer_shows_only_own(client, session):
    customer = create_customer_user(session)
    create_ticket(session, customer_email=customer.email)
    create_ticket(session)
    response = client.get("/api/v1/tickets", headers=token_for(session, customer))
    assert {item["requester"]["email"] for item in response.json()["items"]} == {customer.email}


def test_list_tickets_paginates(client, session, agent_headers):
    for _ in range(3):
        create_ticket(session)
    response = client.get("/api/v1/tickets", params={"page": 2, "page_size": 2}, headers=agent_headers)
    data = response.json()
    assert (data["page"], data["page_size"], len(data["items"])) == (2, 2, min(2, data["total"] - 2))


def test_list_tickets_rejects_bad_assignee_filter(client, agent_headers):
    response = client.get("/api/v1/tickets", params={"assignee": "bob"}, headers=agent_headers)
    assert response.status_code == 422


def test_list_tickets_rejects_unknown_status(client, agent_headers):
    response = client.get("/api/v1/tickets", params={"status": "exploded"}, headers=agent_headers)
    assert response.status_code == 422


def test_agent_reply_with_status_change(client, session, agent_headers):
    ticket = create_ticket(session)
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/messages",
        json={"body": "Try a restart.", "status": "pending"},
        headers=agent_headers,
    )
    assert response.status_code == 201
    assert client.get(f"/api/v1/tickets/{ticket.id}", headers=agent_headers).json()["status"] == "pending"


def test_message_with_empty_body_is_422_and_nothing_stored(client, session, agent_headers):
    ticket = create_ticket(session)
    response = client.post(f"/api/v1/tickets/{ticket.id}/messages", json={"body": ""}, headers=agent_headers)
    assert response.status_code == 422
    assert session.scalar(select(func.count()).select_from(Message).where(Message.ticket_id == ticket.id)) == 1


def test_message_to_unknown_ticket_is_404(client, agent_headers):
    response = client.post("/api/v1/tickets/424242/messages", json={"body": "hi"}, headers=agent_headers)
    assert response.status_code == 404


def test_patch_changes_status_priority_tags_and_assignee(client, session, agent_headers):
    ticket = create_ticket(session)
    agent = create_staff(session)
    response = client.patch(
        f"/api/v1/tickets/{ticket.id}",
        json={"priority": "high", "tags": ["Wifi", "nimbus"], "assignee_id": agent.id, "status": "pending"},
        headers=agent_headers,
    )
    data = response.json()
    assert response.status_code == 200, response.text
    assert (data["priority"], data["tags"], data["assignee"]["id"], data["status"]) == (
        "high",
        ["nimbus", "wifi"],
        agent.id,
        "pending",
    )


def test_patch_illegal_transition_is_409_and_changes_nothing(client, session, agent_headers):
    ticket = create_ticket(session)
    response = client.patch(
        f"/api/v1/tickets/{ticket.id}", json={"status": "closed", "priority": "urgent"}, headers=agent_headers
    )
    assert response.status_code == 409
    assert "cannot change status from new to closed" in response.json()["detail"]
    after = client.get(f"/api/v1/tickets/{ticket.id}", headers=agent_headers).json()
    assert (after["status"], after["priority"]) == ("new", "normal")


def test_patch_unknown_status_is_422(client, session, agent_headers):
    ticket = create_ticket(session)
    response = client.patch(f"/api/v1/tickets/{ticket.id}", json={"status": "done"}, headers=agent_headers)
    assert response.status_code == 422


def test_patch_by_customer_is_403(client, session):
    customer = create_customer_user(session)
    ticket = create_ticket(session, customer_email=customer.email)
    response = client.patch(
        f"/api/v1/tickets/{ticket.id}", json={"priority": "urgent"}, headers=token_for(session, customer)
    )
    assert response.status_code == 403


def test_patch_assignee_must_be_staff(client, session, agent_headers):
    ticket = create_ticket(session)
    customer = create_customer_user(session)
    response = client.patch(f"/api/v1/tickets/{ticket.id}", json={"assignee_id": customer.id}, headers=agent_headers)
    assert response.status_code == 422


def test_patch_without_token_is_401(client, session):
    ticket = create_ticket(session)
    assert client.patch(f"/api/v1/tickets/{ticket.id}", json={"priority": "low"}).status_code == 401


def test_healthz_is_ok(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_openapi_documents_ticket_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/tickets", "/api/v1/tickets/{ticket_id}", "/api/v1/tickets/{ticket_id}/messages"} <= set(paths)


def test_admin_role_counts_as_staff(client, session):
    admin = create_staff(session, role=Role.ADMIN)
    ticket = create_ticket(session)
    assert client.get(f"/api/v1/tickets/{ticket.id}", headers=token_for(session, admin)).status_code == 200


def test_production_refuses_default_secret():
    from aftercare.config import InsecureSettingsError, Settings
    from web.app import create_app

    with pytest.raises(InsecureSettingsError):
        create_app(Settings(environment="production", secret_key="dev-insecure-change-me"))


def test_env_helper_rereads_settings():
    from aftercare.config import get_settings

    with env(AFTERCARE_DEFAULT_LANGUAGE="pl"):
        assert get_settings().default_language == "pl"
    assert get_settings().default_language == "en"
