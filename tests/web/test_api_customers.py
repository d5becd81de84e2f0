"""GET /api/v1/customers/{id}: the customer's story for agents and admins only."""

from __future__ import annotations

from accounts.models import Role
from tests.factories import create_customer_user, create_staff, create_ticket, token_for


def test_an_agent_reads_a_customers_story(client, session):
    ticket = create_ticket(session, customer_name="Mira Okafor")
    response = client.get(f"/api/v1/customers/{ticket.requester_id}", headers=token_for(session, create_staff(session)))
    body = response.json()
    assert (response.status_code, body["name"], body["ticket_count"]) == (200, "Mira Okafor", 1)


def test_an_admin_reads_a_customers_story(client, session):
    ticket = create_ticket(session)
    admin = create_staff(session, role=Role.ADMIN)
    response = client.get(f"/api/v1/customers/{ticket.requester_id}", headers=token_for(session, admin))
    assert response.status_code == 200


def test_a_customer_may_not_read_a_story_even_their_own(client, session):
    user = create_customer_user(session)
    response = client.get(f"/api/v1/customers/{user.customer_id}", headers=token_for(session, user))
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


def test_without_a_token_the_answer_is_401(client, session):
    ticket = create_ticket(session)
    assert client.get(f"/api/v1/customers/{ticket.requester_id}").status_code == 401


def test_an_unknown_customer_is_404(client, session):
    response = client.get("/api/v1/customers/987654321", headers=token_for(session, create_staff(session)))
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
