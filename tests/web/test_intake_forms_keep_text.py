"""The contact form and the customer's reply form keep what was typed on any error (issue 12).

Validation, a rate limit, and a SQLite database still locked after the busy timeout (503): the
page comes back with the error beside the form and every field filled in as sent.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from aftercare import migrate
from aftercare.db import Database
from helpdesk.models import Message
from helpdesk.ticket_links import sign_ticket_link
from tests.factories import create_customer_user, create_ticket, token_for
from tests.web.pages_support import csrf_from
from web import ratelimit

TYPED = {
    "customer_email": "pilar@example.com",
    "customer_name": "Pilar “Pili” O'Brien",
    "subject": "Robot <vacuum> stops & beeps",
    "body": "It beeps 3 times & stops.\nThen: nothing <at all>.\n\n  Indented line kept.",
}


class _FormReader(HTMLParser):
    """The values a browser would show in the page's form fields (entities decoded)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("name"):
            self.values[attributes["name"]] = attributes.get("value") or ""
        elif tag == "textarea":
            self._textarea = attributes.get("name")
            self.values[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def form_values(page: str) -> dict[str, str]:
    reader = _FormReader()
    reader.feed(page)
    return reader.values


def _assert_all_typed(page: str) -> None:
    shown = form_values(page)
    # A browser drops one newline right after <textarea>; the template starts the text there.
    assert {field: shown.get(field, "").removeprefix("\n") for field in TYPED} == TYPED


def _post_contact(client: TestClient, **overrides: str):
    token = csrf_from(client.get("/contact").text)
    return client.post("/contact", data={"csrf_token": token, **TYPED, **overrides}, follow_redirects=False)


def test_contact_validation_error_keeps_every_field(client):
    response = _post_contact(client, customer_email="pilar-at-example")
    assert response.status_code == 422
    assert form_values(response.text)["customer_email"] == "pilar-at-example"
    assert {field: form_values(response.text)[field] for field in ("customer_name", "subject", "body")} == {
        field: TYPED[field] for field in ("customer_name", "subject", "body")
    }


def test_contact_rate_limit_keeps_every_field(app, client):
    app.state.settings = app.state.settings.model_copy(update={"public_rate_limit": "1/minute"})
    ratelimit.reset(app.state.settings.rate_limit_storage_url)
    assert _post_contact(client).status_code == 303
    response = _post_contact(client)
    assert (response.status_code, int(response.headers["Retry-After"]) >= 1) == (429, True)
    _assert_all_typed(response.text)


# ---- a busy SQLite file ----------------------------------------------------------------------------
# The lock is held by another connection for the whole request; a short busy timeout makes it quick.
SHORT_BUSY_TIMEOUT = 0.3


@pytest.fixture(scope="module")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("busy-contact") / "busy.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def busy_client(migrated_file, settings) -> Iterator[tuple[TestClient, sqlite3.Connection]]:
    from web.app import create_app

    database = Database(
        f"sqlite:///{migrated_file}", connect_args={"check_same_thread": False, "timeout": SHORT_BUSY_TIMEOUT}
    )
    ratelimit.reset(settings.rate_limit_storage_url)
    holder = sqlite3.connect(migrated_file, isolation_level=None, check_same_thread=False)
    try:
        with TestClient(create_app(settings, database=database), raise_server_exceptions=False) as client:
            token = csrf_from(client.get("/contact").text)
            holder.execute("BEGIN IMMEDIATE")
            yield client, token, database
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()
        database.dispose()


def test_contact_on_a_busy_database_is_a_503_with_every_field_kept(busy_client):
    client, token, database = busy_client
    response = client.post("/contact", data={"csrf_token": token, **TYPED}, follow_redirects=False)
    assert (response.status_code, response.headers.get("Retry-After")) == (503, "1")
    assert 'class="error" role="alert"' in response.text
    _assert_all_typed(response.text)


def test_contact_on_a_busy_database_stores_nothing(busy_client, migrated_file):
    client, token, database = busy_client
    client.post("/contact", data={"csrf_token": token, **TYPED}, follow_redirects=False)
    with sqlite3.connect(migrated_file) as reader:
        count = reader.execute("SELECT count(*) FROM tickets WHERE subject = ?", (TYPED["subject"],)).fetchone()[0]
    assert count == 0


# ---- reply limits ----------------------------------------------------------------------------------


@pytest.fixture
def two_replies_a_minute(app):
    app.state.settings = app.state.settings.model_copy(update={"reply_rate_limit": "2/minute"})
    ratelimit.reset(app.state.settings.rate_limit_storage_url)


def _message_count(session, ticket_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Message).where(Message.ticket_id == ticket_id))


def test_customer_api_replies_are_limited(client, session, two_replies_a_minute):
    user = create_customer_user(session)
    ticket = create_ticket(session, customer_email=user.email)
    headers = token_for(session, user)
    statuses = [
        client.post(f"/api/v1/tickets/{ticket.id}/messages", json={"body": f"more {n}"}, headers=headers).status_code
        for n in range(3)
    ]
    assert statuses == [201, 201, 429]
    assert _message_count(session, ticket.id) == 3  # the first message and two replies


def test_limited_api_reply_says_when_to_retry(client, session, two_replies_a_minute):
    user = create_customer_user(session)
    ticket = create_ticket(session, customer_email=user.email)
    headers = token_for(session, user)
    for n in range(2):
        client.post(f"/api/v1/tickets/{ticket.id}/messages", json={"body": f"more {n}"}, headers=headers)
    response = client.post(f"/api/v1/tickets/{ticket.id}/messages", json={"body": "again"}, headers=headers)
    assert (response.json()["code"], int(response.headers["Retry-After"]) >= 1) == ("rate_limited", True)


def test_portal_and_api_replies_share_one_allowance(client, session, settings, two_replies_a_minute):
    user = create_customer_user(session)
    ticket = create_ticket(session, customer_email=user.email)
    headers = token_for(session, user)
    for n in range(2):
        client.post(f"/api/v1/tickets/{ticket.id}/messages", json={"body": f"api {n}"}, headers=headers)
    url = f"/tickets/{ticket.id}?access_token={sign_ticket_link(settings.secret_key, ticket)}"
    token = csrf_from(client.get(url).text)
    draft = "Third reply <b>typed</b> & kept"
    response = client.post(
        f"/tickets/{ticket.id}/reply?access_token={sign_ticket_link(settings.secret_key, ticket)}",
        data={"csrf_token": token, "body": draft, "action": "reply"},
        follow_redirects=False,
    )
    assert response.status_code == 429
    assert form_values(response.text)["body"] == draft
    assert _message_count(session, ticket.id) == 3


def test_agents_replies_are_not_limited(client, session, two_replies_a_minute):
    from tests.factories import create_staff

    agent = create_staff(session)
    ticket = create_ticket(session)
    headers = token_for(session, agent)
    statuses = {
        client.post(f"/api/v1/tickets/{ticket.id}/messages", json={"body": f"agent {n}"}, headers=headers).status_code
        for n in range(4)
    }
    assert statuses == {201}


def test_reply_refused_on_a_closed_ticket_keeps_the_text(client, session, settings):
    # A tab left open while the ticket was closed: the reply is refused, not lost.
    from helpdesk import service
    from helpdesk.models import TicketStatus
    from tests.factories import staff_principal

    ticket = create_ticket(session)
    url = f"/tickets/{ticket.id}?access_token={sign_ticket_link(settings.secret_key, ticket)}"
    token = csrf_from(client.get(url).text)
    agent = staff_principal(session)
    service.change_status(ticket, TicketStatus.SOLVED, agent)
    service.change_status(ticket, TicketStatus.CLOSED, agent)
    session.flush()
    draft = "One more thing: the light blinks red."
    response = client.post(
        f"/tickets/{ticket.id}/reply?access_token={sign_ticket_link(settings.secret_key, ticket)}",
        data={"csrf_token": token, "body": draft, "action": "reply"},
        follow_redirects=False,
    )
    assert response.status_code == 409
    assert form_values(response.text).get("body") is None  # a closed ticket shows no reply box...
    assert draft in response.text  # ...so the text is shown for copying
