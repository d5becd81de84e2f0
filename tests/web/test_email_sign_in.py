"""Signing in by e-mailed link: the API and the sign-in page ask for one, the link's page signs in.

Against the real database and the real outbox: the e-mail is the queued outbox row, and the link is
read out of its text as the customer would. (The delivery through SMTP is in
tests/helpdesk/email/test_account_link_mail.py.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accounts.models import EmailSignInLink, User
from helpdesk.email.models import OutboxMessage
from tests.factories import create_customer_user, create_ticket, unique_email
from tests.web.pages_support import csrf_from
from web import ratelimit

NEUTRAL = "If the address can receive mail, a sign-in link is on its way."


def _mails_to(session, address: str) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(
        OutboxMessage.to_address == address, OutboxMessage.dedupe_key.like("sign-in-link:%")
    )
    return list(session.scalars(query))


def _link_path(mail: OutboxMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/auth/email-link/[A-Za-z0-9_-]+)", mail.text_body)
    assert match, mail.text_body
    return match.group(1)


def _ask(client: TestClient, email: str):
    return client.post("/api/v1/auth/email-link", json={"email": email})


def _follow(client: TestClient, path: str):
    token = csrf_from(client.get(path).text)
    return client.post(path, data={"csrf_token": token}, follow_redirects=False)


# ---- asking for a link ---------------------------------------------------------------------------


def test_known_and_unknown_addresses_get_the_same_answer(client, session):
    known = create_customer_user(session).email
    answers = [_ask(client, known), _ask(client, unique_email("stranger"))]
    assert [answer.status_code for answer in answers] == [202, 202]
    assert answers[0].json() == answers[1].json() == {"detail": NEUTRAL}


def test_known_and_unknown_addresses_both_get_a_mail(client, session):
    # A new address gets a link too: following it makes the account.
    known, unknown = create_customer_user(session).email, unique_email("stranger")
    _ask(client, known), _ask(client, unknown)
    assert [len(_mails_to(session, known)), len(_mails_to(session, unknown))] == [1, 1]


def test_an_invalid_address_is_a_422_in_the_error_format(client):
    response = _ask(client, "not an address")
    assert response.status_code == 422 and response.json()["code"] == "validation_failed"


def test_the_login_page_asks_for_a_link_and_answers_neutrally(client, session):
    address = unique_email("pageasker")
    token = csrf_from(client.get("/login").text)
    response = client.post("/login/email-link", data={"csrf_token": token, "email": address})
    assert response.status_code == 200 and "a sign-in link is on its way" in response.text
    assert len(_mails_to(session, address)) == 1


def test_the_login_pages_link_form_needs_csrf(client, session):
    client.get("/login")
    response = client.post("/login/email-link", data={"email": unique_email()})
    assert response.status_code == 403


def test_the_login_pages_answer_is_in_the_readers_language(client, session):
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login/email-link", data={"csrf_token": token, "email": unique_email()}, headers={"Accept-Language": "pl"}
    )
    assert "a sign-in link is on its way" not in response.text


# ---- following it --------------------------------------------------------------------------------


def test_opening_a_link_changes_nothing(client, session):
    address = unique_email("scanned")
    _ask(client, address)
    page = client.get(_link_path(_mails_to(session, address)[0]))
    assert page.status_code == 200 and 'method="post"' in page.text
    assert session.scalar(select(EmailSignInLink.used_at).where(EmailSignInLink.email == address)) is None
    assert session.scalar(select(User.id).where(User.email == address)) is None


def test_following_a_link_signs_in_and_shows_the_customers_tickets(client, session):
    ticket = create_ticket(session, customer_email=unique_email("writer"))
    _ask(client, ticket.requester.email)
    response = _follow(client, _link_path(_mails_to(session, ticket.requester.email)[0]))
    assert response.status_code == 303 and response.headers["location"] == "/tickets"
    assert ticket.subject in client.get("/tickets").text


def test_a_link_signs_in_only_once(client, session):
    address = unique_email("twice")
    _ask(client, address)
    path = _link_path(_mails_to(session, address)[0])
    assert _follow(client, path).status_code == 303
    again = TestClient(client.app)
    assert _follow(again, path).status_code == 410


def test_an_unknown_link_shows_a_page_that_offers_a_new_one(client):
    page = client.get("/auth/email-link/nothing-we-ever-sent")
    assert page.status_code == 400 and 'action="/login/email-link"' in page.text


# ---- rate limits ---------------------------------------------------------------------------------


@pytest.fixture
def limited_client(database, settings) -> Iterator:
    """``limited_client(peer)``: clients at different addresses of one app allowing 2 links a minute."""
    from web.app import create_app

    app = create_app(settings.model_copy(update={"email_link_rate_limit": "2/minute"}), database=database)
    ratelimit.reset(settings.rate_limit_storage_url)
    clients: list[TestClient] = []

    def make(peer: str) -> TestClient:
        clients.append(TestClient(app, client=(peer, 50000)))
        return clients[-1]

    yield make
    for made in clients:
        made.close()
    ratelimit.reset(settings.rate_limit_storage_url)


def test_one_address_is_limited_from_every_client(limited_client):
    first, second = limited_client("203.0.113.1"), limited_client("203.0.113.2")
    assert [_ask(first, "bob@example.com").status_code, _ask(first, "bob@example.com").status_code] == [202, 202]
    refused = _ask(second, "BOB@example.com")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_one_client_is_limited_across_addresses(limited_client):
    client = limited_client("203.0.113.1")
    assert [_ask(client, f"person{n}@example.com").status_code for n in range(3)] == [202, 202, 429]


def test_a_link_that_does_not_work_is_explained_in_the_readers_language(client):
    page = client.get("/auth/email-link/nothing-we-ever-sent", headers={"Accept-Language": "pl"})
    assert page.status_code == 400 and "This sign-in link does not work" not in page.text
    assert '<html lang="pl"' in page.text
