"""Two agents on one ticket: each sees the other there (and typing), and a mention rings a bell.

Two browser profiles (own cookies), two agents. Its own small server (a fresh SQLite file, the
two agents, one ticket; no demo index), so that it runs in seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import small_app_server

pytestmark = pytest.mark.browser

PASSWORD = "aftercare-demo"
BRUNO = "bruno.collision@example.com"
AGNIESZKA = "agnieszka.collision@example.com"
MAKE_TICKET = f"""
from aftercare.config import get_settings
from aftercare.db import Database
from helpdesk import service
from accounts.models import Role
from accounts.service import create_user
from helpdesk.schemas import TicketCreate
database = Database(get_settings().database_url_resolved)
with database.session(write=True) as session:
    create_user(session, email="{BRUNO}", name="Bruno Agent", role=Role.AGENT, password="{PASSWORD}")
    create_user(session, email="{AGNIESZKA}", name="Agnieszka Nowak", role=Role.AGENT, password="{PASSWORD}")
    ticket = service.create_ticket(session, TicketCreate(
        customer_email="casey@example.com", customer_name="Casey", subject="Thermostat offline",
        body="Since yesterday the thermostat shows offline in the app."))
    print(ticket.id)
database.dispose()
"""


@pytest.fixture(scope="module")
def small_server() -> Iterator[tuple[str, int]]:
    with small_app_server("collision", MAKE_TICKET) as served:
        yield served


@pytest.fixture
def agents(browser, small_server):
    """Bruno's and Agnieszka's pages, each signed in in a browser profile of its own."""
    base_url, ticket_id = small_server
    opened, errors = [], []

    def sign_in(email: str):
        context = browser.new_context(base_url=base_url, locale="en-GB")
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto("/login")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.locator("main form[action='/login'] button[type=submit]").click()
        page.wait_for_url("**/agent/**")
        opened.append(context)
        return page

    yield sign_in(BRUNO), sign_in(AGNIESZKA), ticket_id
    for context in opened:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_the_second_agent_sees_the_first_viewing(agents, screenshot):
    bruno, agnieszka, ticket_id = agents
    bruno.goto(f"/agent/tickets/{ticket_id}")
    agnieszka.goto(f"/agent/tickets/{ticket_id}")
    expect(agnieszka.locator("#presence")).to_contain_text("Bruno Agent is viewing")
    screenshot(agnieszka, "viewing")


def test_typing_in_the_reply_box_shows_as_typing_to_the_other(agents):
    bruno, agnieszka, ticket_id = agents
    agnieszka.goto(f"/agent/tickets/{ticket_id}")
    bruno.goto(f"/agent/tickets/{ticket_id}")
    bruno.locator("#reply-body").press_sequentially("Let me check the logs", delay=30)
    expect(agnieszka.locator("#presence")).to_contain_text("Bruno Agent is typing a reply")


def test_a_mention_rings_the_mentioned_agents_bell(agents, screenshot):
    bruno, agnieszka, ticket_id = agents
    bruno.goto(f"/agent/tickets/{ticket_id}")
    bruno.locator("input[name=kind][value=internal_note]").check()
    bruno.fill("#reply-body", "@Agnieszka could you call the customer?")
    bruno.locator("form.reply-form button[type=submit]").click()
    expect(bruno.locator("li.message.internal .mention").last).to_have_text("@Agnieszka")
    agnieszka.goto("/agent/tickets")
    expect(agnieszka.locator("#bell-count .bell-unread")).to_contain_text("1")
    agnieszka.locator("#notification-bell").click()
    item = agnieszka.locator("li.notification.unread").first
    expect(item).to_contain_text(f"Bruno Agent mentioned you on #{ticket_id}")
    screenshot(agnieszka, "notifications")
    item.locator("a").first.click()
    expect(agnieszka).to_have_url(re.compile(rf"/agent/tickets/{ticket_id}#message-\d+$"))
