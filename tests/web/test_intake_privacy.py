"""Anonymous intake learns nothing about the customer behind an address and cannot read their ticket.

Issue 12: ``POST /api/v1/tickets`` and ``/contact`` with an existing customer's e-mail returned that
customer's id, name and language and a signed link to the new ticket. Now an intake that has not
shown it owns the address gets the ticket's number and status; the link goes by e-mail.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.models import Customer
from accounts.service import get_customer_by_email, start_login_session
from aftercare.config import get_settings
from helpdesk.email.models import OutboxMessage
from helpdesk.models import Ticket
from tests.factories import create_customer_user, create_staff, token_for
from tests.web.intake_support import emailed_link, emailed_token
from tests.web.pages_support import csrf_from

VICTIM_NAME = "Wiktoria Prywatna"
VICTIM_EMAIL = "wiktoria@example.com"
# Long enough to be detected on its own text: English, whatever the victim's stored language.
ENGLISH_TICKET = {
    "customer_email": VICTIM_EMAIL,
    "subject": "My earbuds will not charge",
    "body": "Since yesterday the charging case shows no light and the earbuds stay empty.",
}


@pytest.fixture
def victim(session) -> Customer:
    user = create_customer_user(session, email=VICTIM_EMAIL, name=VICTIM_NAME, language="pl")
    return user.customer


def _sign_in_customer(client, session, user) -> None:
    plaintext = start_login_session(session, user, lifetime=timedelta(hours=1))
    client.cookies.set(get_settings().session_cookie_name, plaintext)


# ---- the JSON API ----------------------------------------------------------------------------------


def test_anonymous_intake_answers_number_and_status_only(client, session, victim):
    response = client.post("/api/v1/tickets", json=ENGLISH_TICKET)
    assert response.status_code == 201
    data = response.json()
    ticket = session.get(Ticket, data["id"])
    assert (ticket.requester_id, data["status"]) == (victim.id, "new")
    assert "requester" not in data and "messages" not in data
    assert data["access_url"] is None


def test_anonymous_intake_response_names_nobody(client, victim):
    text = client.post("/api/v1/tickets", json=ENGLISH_TICKET).text
    assert VICTIM_NAME not in text and "customer" not in text


def test_anonymous_intake_does_not_reveal_the_stored_language(client, session, victim):
    # Too few letters to detect: the old intake fell back to the victim's stored language (Polish).
    response = client.post("/api/v1/tickets", json={**ENGLISH_TICKET, "subject": "?", "body": "ok"})
    assert (response.json()["language"], response.json()["language_source"]) == ("en", "default")


def test_anonymous_intake_does_not_name_a_customer_who_had_no_name(client, session):
    create_customer_user(session, email="noname@example.com", name="Kim")
    customer = get_customer_by_email(session, "noname@example.com")
    customer.name = ""
    session.flush()
    client.post(
        "/api/v1/tickets",
        json={**ENGLISH_TICKET, "customer_email": "noname@example.com", "customer_name": "Chosen By A Stranger"},
    )
    session.expire_all()
    assert get_customer_by_email(session, "noname@example.com").name == ""


def test_anonymous_intake_emails_the_link_to_the_address_given(client, session, victim):
    created = client.post("/api/v1/tickets", json=ENGLISH_TICKET).json()
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.ticket_id == created["id"]))
    assert (row.to_address, created["confirmation_sent_to"]) == (VICTIM_EMAIL, VICTIM_EMAIL)
    token = emailed_token(session, created["id"])
    assert client.get(f"/api/v1/tickets/{created['id']}", headers={"X-Ticket-Token": token}).status_code == 200


def test_anonymous_intake_says_when_no_link_was_emailed(client, session):
    created = client.post("/api/v1/tickets", json={**ENGLISH_TICKET, "customer_email": "noreply@example.com"}).json()
    assert created["confirmation_sent_to"] is None


def test_signed_in_customer_gets_their_own_ticket_and_link(client, session):
    user = create_customer_user(session)
    response = client.post(
        "/api/v1/tickets", json={**ENGLISH_TICKET, "customer_email": user.email}, headers=token_for(session, user)
    )
    data = response.json()
    assert data["requester"]["email"] == user.email
    token = data["access_url"].split("access_token=")[1]
    assert client.get(f"/api/v1/tickets/{data['id']}", headers={"X-Ticket-Token": token}).status_code == 200


def test_signed_in_customer_writing_for_another_address_gets_a_receipt(client, session, victim):
    intruder = create_customer_user(session)
    data = client.post("/api/v1/tickets", json=ENGLISH_TICKET, headers=token_for(session, intruder)).json()
    assert "requester" not in data and data["access_url"] is None


def test_agent_intake_for_a_customer_still_returns_the_ticket(client, session, victim):
    agent = create_staff(session)
    data = client.post("/api/v1/tickets", json=ENGLISH_TICKET, headers=token_for(session, agent)).json()
    assert data["requester"]["name"] == VICTIM_NAME


def test_openapi_documents_both_intake_answers(client):
    schema = client.get("/openapi.json").json()
    answer = schema["paths"]["/api/v1/tickets"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    refs = {item["$ref"].rsplit("/", 1)[1] for item in answer["anyOf"]}
    assert refs == {"TicketCreated", "TicketReceipt"}


# ---- the contact page -----------------------------------------------------------------------------


def _contact(client, **fields):
    token = csrf_from(client.get("/contact").text)
    data = {
        "csrf_token": token,
        "customer_email": VICTIM_EMAIL,
        "customer_name": "",
        "subject": ENGLISH_TICKET["subject"],
        "body": ENGLISH_TICKET["body"],
        **fields,
    }
    return client.post("/contact", data=data, follow_redirects=False)


def test_contact_form_does_not_hand_an_anonymous_sender_the_ticket_link(client, session, victim):
    response = _contact(client)
    assert response.status_code == 303
    assert "access_token" not in response.headers["location"]
    assert response.headers["location"].startswith("/contact/sent?receipt=")


def test_contact_receipt_says_where_the_link_went_and_shows_nothing_private(client, session, victim):
    page = client.get(_contact(client).headers["location"])
    ticket = session.scalar(select(Ticket).where(Ticket.requester_id == victim.id))
    assert f"We sent a link to follow your request to {VICTIM_EMAIL}" in page.text
    assert f"#{ticket.id}" in page.text
    assert VICTIM_NAME not in page.text and ENGLISH_TICKET["body"] not in page.text


def test_contact_receipt_does_not_open_the_ticket_page(client, session, victim):
    receipt_url = _contact(client).headers["location"]
    ticket = session.scalar(select(Ticket).where(Ticket.requester_id == victim.id))
    receipt = receipt_url.split("receipt=", 1)[1]
    response = client.get(f"/tickets/{ticket.id}?access_token={receipt}", follow_redirects=False)
    assert response.status_code in (303, 401)


def test_forged_receipt_is_404(client):
    assert client.get("/contact/sent", params={"receipt": "[1, 1].forged"}).status_code == 404


def test_signed_in_customer_goes_to_their_ticket_from_the_contact_form(client, session):
    user = create_customer_user(session)
    _sign_in_customer(client, session, user)
    response = _contact(client, customer_email=user.email)
    assert response.headers["location"].startswith("/tickets/")
    assert "Since yesterday the charging case" in client.get(response.headers["location"]).text


def test_the_emailed_link_opens_the_ticket_for_its_owner(client, session, victim):
    _contact(client)
    ticket = session.scalar(select(Ticket).where(Ticket.requester_id == victim.id))
    client.cookies.clear()
    assert ENGLISH_TICKET["body"] in client.get(emailed_link(session, ticket.id)).text
