"""POST /api/v1/tickets/{id}/draft-article: the ticket page's "Draft an article", over the API."""

from __future__ import annotations

from accounts.models import Role
from kb import service as kb_service
from tests.factories import create_customer_user, create_staff, create_ticket, token_for


def test_an_agent_drafts_an_article_from_a_ticket(client, session):
    ticket = create_ticket(session, subject="Robot stops in the middle of the room")
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/draft-article", headers=token_for(session, create_staff(session))
    )
    assert response.status_code == 201, response.text
    data = response.json()
    assert (data["status"], data["title"]) == ("draft", "Robot stops in the middle of the room")
    assert kb_service.get_article(session, data["id"]).source.questions[0] == ticket.subject


def test_with_no_answer_yet_the_body_asks_for_one_in_the_tickets_language(client, session):
    ticket = create_ticket(session, subject="Termostat nie łączy się z Wi-Fi", language="pl")
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/draft-article", headers=token_for(session, create_staff(session, role=Role.ADMIN))
    )
    assert response.json()["body"] == "Opisz tutaj rozwiązanie."


def test_a_customer_may_not_draft(client, session):
    ticket = create_ticket(session)
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/draft-article", headers=token_for(session, create_customer_user(session))
    )
    assert response.status_code == 403


def test_drafting_needs_a_token(client, session):
    assert client.post(f"/api/v1/tickets/{create_ticket(session).id}/draft-article").status_code == 401


def test_a_missing_ticket_is_not_found(client, session):
    response = client.post("/api/v1/tickets/999999/draft-article", headers=token_for(session, create_staff(session)))
    assert response.status_code == 404
