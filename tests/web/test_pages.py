"""Pages: contact form, sign-in/out, agent inbox and ticket, CSRF, escaping."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpdesk.models import Ticket
from tests.factories import create_customer_user, create_staff, create_ticket
from tests.web.intake_support import emailed_link
from tests.web.pages_support import PASSWORD, csrf_from, sign_in


def contact_form(client) -> str:
    return csrf_from(client.get("/contact").text)


@pytest.fixture
def agent_client(client, session):
    sign_in(client, session)
    return client


def test_contact_form_creates_ticket_and_shows_it(client, session):
    token = contact_form(client)
    response = client.post(
        "/contact",
        data={
            "csrf_token": token,
            "customer_email": "ana@example.com",
            "subject": "Pomoc z termostatem",
            "body": "Termostat nie łączy się z Wi-Fi od wczoraj wieczorem.",
        },
    )
    assert response.status_code == 200
    assert "we received your request" in response.text
    assert session.scalar(select(Ticket.language).where(Ticket.subject == "Pomoc z termostatem")) == "pl"


def test_contact_form_without_csrf_is_refused(client, session):
    client.get("/contact")
    response = client.post("/contact", data={"customer_email": "a@example.com", "subject": "s", "body": "b"})
    assert response.status_code == 403


def test_contact_form_with_errors_keeps_what_was_typed(client, session):
    token = contact_form(client)
    response = client.post(
        "/contact",
        data={
            "csrf_token": token,
            "customer_email": "not-an-email",
            "subject": "Kept subject",
            "body": "Kept body text",
        },
    )
    assert response.status_code == 422
    assert "Kept subject" in response.text and "Kept body text" in response.text
    assert "email" in response.text.lower()


def test_user_html_is_escaped_on_ticket_pages(agent_client, session):
    ticket = create_ticket(session, subject="<script>alert(1)</script>", body='<img src=x onerror="alert(2)">')
    html = agent_client.get(f"/agent/tickets/{ticket.id}").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<img src=x onerror="alert(2)">' not in html


def test_pages_send_a_strict_content_security_policy(client):
    policy = client.get("/").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_inbox_redirects_anonymous_to_login(client):
    response = client.get("/agent/tickets", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def test_wrong_password_shows_error(client, session):
    agent = create_staff(session, password=PASSWORD)
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"email": agent.email, "password": "nope-nope-nope", "csrf_token": token})
    assert response.status_code == 400 and "Wrong e-mail address or password" in response.text


def test_login_cookie_is_httponly_and_samesite(client, session):
    agent = create_staff(session, password=PASSWORD)
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login", data={"email": agent.email, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_login_refuses_offsite_next(client, session):
    agent = create_staff(session, password=PASSWORD)
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"email": agent.email, "password": PASSWORD, "csrf_token": token, "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/agent/tickets"


def test_inbox_lists_tickets(agent_client, session):
    ticket = create_ticket(session, subject="Grinding noise from the vacuum")
    assert "Grinding noise from the vacuum" in agent_client.get("/agent/tickets").text
    assert f"/agent/tickets/{ticket.id}" in agent_client.get("/agent/tickets").text


def test_inbox_htmx_request_returns_only_results_fragment(agent_client, session):
    create_ticket(session)
    response = agent_client.get("/agent/tickets", headers={"HX-Request": "true"})
    assert "<table" in response.text and "<html" not in response.text


def test_agent_replies_and_sets_pending(agent_client, session):
    ticket = create_ticket(session)
    token = csrf_from(agent_client.get(f"/agent/tickets/{ticket.id}").text)
    agent_client.post(
        f"/agent/tickets/{ticket.id}/messages",
        data={"csrf_token": token, "body": "Please restart the router.", "kind": "public_reply", "status": "pending"},
    )
    html = agent_client.get(f"/agent/tickets/{ticket.id}").text
    assert "Please restart the router." in html
    session.refresh(ticket)
    assert ticket.status == "pending"


def test_agent_empty_reply_is_refused_and_nothing_stored(agent_client, session):
    ticket = create_ticket(session)
    token = csrf_from(agent_client.get(f"/agent/tickets/{ticket.id}").text)
    response = agent_client.post(
        f"/agent/tickets/{ticket.id}/messages", data={"csrf_token": token, "body": "  ", "kind": "public_reply"}
    )
    assert response.status_code == 422
    session.refresh(ticket)
    assert len(ticket.messages) == 1


def test_logout_ends_the_session(agent_client, session):
    token = csrf_from(agent_client.get("/agent/tickets").text)
    agent_client.post("/logout", data={"csrf_token": token})
    assert agent_client.get("/agent/tickets", follow_redirects=False).status_code == 303


def test_customer_link_page_shows_only_public_messages(client, session, agent_client):
    created = client.post(
        "/api/v1/tickets",
        json={"customer_email": "c@example.com", "subject": "Help", "body": "My earbuds do not charge any more."},
    ).json()
    token = csrf_from(agent_client.get(f"/agent/tickets/{created['id']}").text)
    agent_client.post(
        f"/agent/tickets/{created['id']}/messages",
        data={"csrf_token": token, "body": "SECRET-NOTE", "kind": "internal_note"},
    )
    agent_client.cookies.clear()
    html = client.get(emailed_link(session, created["id"])).text
    assert "My earbuds do not charge" in html and "SECRET-NOTE" not in html


def test_ticket_page_without_link_redirects_to_login(client, session):
    ticket = create_ticket(session)
    response = client.get(f"/tickets/{ticket.id}", follow_redirects=False)
    assert response.status_code == 303


def test_ticket_count_unchanged_by_refused_contact(client, session):
    before = session.scalar(select(func.count()).select_from(Ticket))
    token = contact_form(client)
    client.post("/contact", data={"csrf_token": token, "customer_email": "a@example.com", "subject": "", "body": ""})
    assert session.scalar(select(func.count()).select_from(Ticket)) == before


def test_login_form_signs_an_agent_in(client, session):
    agent = create_staff(session, password=PASSWORD)
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login", data={"email": agent.email, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/agent/tickets"
    assert client.get("/agent/tickets").status_code == 200


def test_login_refuses_backslash_next(client, session):
    agent = create_staff(session, password=PASSWORD)
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"email": agent.email, "password": PASSWORD, "csrf_token": token, "next": "/\\evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/agent/tickets"


def test_customer_sees_my_tickets(client, session):
    from helpdesk import service
    from helpdesk.schemas import TicketCreate

    user = create_customer_user(session, password=PASSWORD)
    service.create_ticket(
        session,
        TicketCreate(customer_email=user.email, subject="Where is my order?", body="It has not arrived yet."),
        author=user,
    )
    token = csrf_from(client.get("/login").text)
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    html = client.get("/tickets").text
    assert "Where is my order?" in html and "1 request" in html


def test_customer_marks_ticket_solved_then_closes_it(client, session):
    created = client.post(
        "/api/v1/tickets",
        json={
            "customer_email": "close@example.com",
            "subject": "Done soon",
            "body": "The earbuds will not pair with my phone.",
        },
    ).json()
    url = emailed_link(session, created["id"])
    page = client.get(url)
    assert "My problem is solved" in page.text
    token = csrf_from(page.text)
    action = url.replace(f"/tickets/{created['id']}", f"/tickets/{created['id']}/reply")
    client.post(action, data={"csrf_token": token, "action": "close", "body": ""})
    assert "Close ticket" in client.get(url).text
    client.post(action, data={"csrf_token": token, "action": "close", "body": ""})
    assert "This ticket is closed." in client.get(url).text


def test_signed_in_agent_sees_navigation_on_error_pages(agent_client):
    response = agent_client.get("/agent/tickets/99999999")
    assert response.status_code == 404 and "Sign out" in response.text and "Page not found" in response.text


def test_customer_ticket_page_is_not_cached(client, session):
    created = client.post(
        "/api/v1/tickets",
        json={"customer_email": "cache@example.com", "subject": "Cache", "body": "Please do not cache this page."},
    ).json()
    response = client.get(emailed_link(session, created["id"]))
    assert response.headers["cache-control"] == "no-store"
