"""GET /api/v1/tickets?q=...: full-text search through the API, for agents and for customers."""

from __future__ import annotations

from accounts.service import principal_for_user
from helpdesk import service
from helpdesk.models import TicketStatus
from helpdesk.schemas import MessageCreate, TicketUpdate
from tests.factories import create_customer_user, create_staff, create_ticket, token_for


def test_an_agent_finds_a_solved_ticket_by_a_body_word(client, session):
    agent = create_staff(session)
    ticket = create_ticket(session, body="The espresso grinder jams on fine settings.")
    service.update_ticket(session, ticket, TicketUpdate(status=TicketStatus.SOLVED), principal_for_user(agent))
    session.flush()
    response = client.get("/api/v1/tickets", params={"q": "grinder"}, headers=token_for(session, agent))
    assert response.status_code == 200, response.text
    data = response.json()
    assert [item["id"] for item in data["items"]] == [ticket.id]
    assert "<mark>grinder</mark>" in data["items"][0]["highlight"]
    assert data["facets"] == {"solved": 1}


def test_a_customer_does_not_find_an_internal_note(client, session):
    customer = create_customer_user(session)
    ticket = create_ticket(session, customer_email=customer.email)
    agent = principal_for_user(create_staff(session))
    service.add_message(session, ticket, MessageCreate(body="Refund approved by Philippa", kind="internal_note"), agent)
    session.flush()
    response = client.get("/api/v1/tickets", params={"q": "Philippa"}, headers=token_for(session, customer))
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


def test_the_next_cursor_gives_the_rest(client, session):
    headers = token_for(session, create_staff(session))
    tickets = [create_ticket(session, body=f"Accordion bellows torn, case {n}.") for n in range(3)]
    first = client.get("/api/v1/tickets", params={"q": "accordion", "page_size": 2}, headers=headers).json()
    rest = client.get(
        "/api/v1/tickets", params={"q": "accordion", "page_size": 2, "cursor": first["next_cursor"]}, headers=headers
    ).json()
    found = [item["id"] for item in first["items"] + rest["items"]]
    assert sorted(found) == sorted(ticket.id for ticket in tickets) and rest["next_cursor"] is None


def test_a_bad_cursor_is_a_client_error(client, session):
    headers = token_for(session, create_staff(session))
    response = client.get("/api/v1/tickets", params={"q": "x", "cursor": "nonsense"}, headers=headers)
    assert response.status_code == 422
