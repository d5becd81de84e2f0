"""The agent's reply survives an error the server cannot answer with the ticket page.

A form whose CSRF cookie has gone (a login elsewhere, cleared cookies) is refused with a bare 403
page, as a busy database is with a 503: the server never sees the reply again. The page's
script (``static/reply_draft.js``) keeps the typed text in the tab, and puts it back when the
agent opens the ticket again; once the reply is sent it is dropped.

Its own small server (a fresh SQLite file, one agent, one ticket; no demo index), so that this
runs in seconds rather than waiting for the journeys' demo set-up.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import signed_in_page, small_app_server

pytestmark = pytest.mark.browser

AGENT_EMAIL = "draft-agent@example.com"
AGENT_PASSWORD = "correct horse battery staple"
REPLY = "Please hold the reset button for ten seconds,\nthen pair the thermostat again."
MAKE_TICKET = f"""
from aftercare.config import get_settings
from aftercare.db import Database
from helpdesk import service
from accounts.models import Role
from accounts.service import create_user
from helpdesk.schemas import TicketCreate
database = Database(get_settings().database_url_resolved)
with database.session(write=True) as session:
    create_user(session, email="{AGENT_EMAIL}", name="Dana Agent", role=Role.AGENT, password="{AGENT_PASSWORD}")
    ticket = service.create_ticket(session, TicketCreate(
        customer_email="casey@example.com", customer_name="Casey", subject="Thermostat offline",
        body="Since yesterday the thermostat shows offline in the app."))
    print(ticket.id)
database.dispose()
"""


@pytest.fixture(scope="module")
def small_server() -> Iterator[tuple[str, int]]:
    with small_app_server("draft", MAKE_TICKET) as served:
        yield served


@pytest.fixture
def agent_page(browser, small_server):
    base_url, ticket_id = small_server
    with signed_in_page(browser, base_url, AGENT_EMAIL, AGENT_PASSWORD) as page:
        yield page.context, page, ticket_id


def test_a_reply_refused_by_an_error_page_is_back_in_the_editor(agent_page):
    context, page, ticket_id = agent_page
    page.goto(f"/agent/tickets/{ticket_id}")
    page.fill("#reply-body", REPLY)
    # The form's CSRF cookie goes away before the agent presses Send: the server refuses with 403.
    context.clear_cookies(name="aftercare_csrf")
    page.locator("form.reply-form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/messages" in page.url and page.locator("#reply-body").count() == 0
    page.goto(f"/agent/tickets/{ticket_id}")
    editor = page.locator("#reply-body")
    expect(editor).to_have_value(REPLY)
    expect(editor).to_have_attribute("data-restored", "true")


def test_a_sent_reply_is_not_put_back(agent_page):
    context, page, ticket_id = agent_page
    page.goto(f"/agent/tickets/{ticket_id}")
    page.fill("#reply-body", REPLY + " Sent.")
    page.locator("form.reply-form button[type=submit]").click()
    page.wait_for_url(f"**/agent/tickets/{ticket_id}")
    expect(page.locator(".thread")).to_contain_text("Sent.")
    page.reload()
    expect(page.locator("#reply-body")).to_have_value("")
