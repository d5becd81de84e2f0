"""Full-text ticket search in the agent inbox, in a real browser: a body word typed in "All open"
finds a solved ticket; the requester's e-mail finds their ticket.

Its own small server (a fresh SQLite file, one agent, three tickets; no demo index): the demo's
set-up takes minutes on a loaded machine, and the search needs only a few tickets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import signed_in_page, small_app_server

pytestmark = pytest.mark.browser

AGENT_EMAIL = "search-agent@example.com"
AGENT_PASSWORD = "correct horse battery staple"
# As in the demo: Jose Reyes asks, in Tagalog, how to reset his thermostat "because we are moving
# house" ("lilipat na kami ng bahay"); the ticket is solved, "lilipat" is in no subject and in no
# other ticket, so only the full-text search of bodies across statuses can find it.
SOLVED_SUBJECT = "Paano i-reset ang thermostat?"
SOLVED_BODY = "Gusto ko pong i-reset ang aking Nimbus thermostat dahil lilipat na kami ng bahay."
BODY_WORD = "lilipat"
REQUESTER_EMAIL = "jose.reyes@example.com"
OPEN_SUBJECT = "Thermostat shows the wrong temperature"
MAKE_TICKETS = f"""
from accounts.models import Role
from accounts.service import create_user, principal_for_user
from aftercare.config import get_settings
from aftercare.db import Database
from helpdesk import service
from helpdesk.models import TicketStatus
from helpdesk.schemas import TicketCreate, TicketUpdate
database = Database(get_settings().database_url_resolved)
with database.session(write=True) as session:
    agent = create_user(session, email="{AGENT_EMAIL}", name="Sam Search", role=Role.AGENT, password="{AGENT_PASSWORD}")
    solved = service.create_ticket(session, TicketCreate(
        customer_email="{REQUESTER_EMAIL}", customer_name="Jose Reyes", subject="{SOLVED_SUBJECT}",
        body="{SOLVED_BODY}", language="tl"))
    service.update_ticket(session, solved, TicketUpdate(status=TicketStatus.SOLVED), principal_for_user(agent))
    service.create_ticket(session, TicketCreate(
        customer_email="ola@example.com", subject="{OPEN_SUBJECT}", body="It reads 30 degrees in a cold room."))
    service.create_ticket(session, TicketCreate(
        customer_email="kai@example.com", subject="Earbuds crackle", body="The left earbud crackles."))
    print(solved.id)
database.dispose()
"""


@pytest.fixture(scope="module")
def search_server() -> Iterator[tuple[str, int]]:
    with small_app_server("search", MAKE_TICKETS) as served:
        yield served


@pytest.fixture
def agent_page(browser, search_server):
    base_url, _ = search_server
    with signed_in_page(browser, base_url, AGENT_EMAIL, AGENT_PASSWORD) as page:
        yield page


def _search_from_all_open(page, text: str) -> None:
    page.goto("/agent/tickets?view=open")
    # "All open" lists the open ticket and not the solved one before the search.
    expect(page.locator("table tbody tr").filter(has_text=OPEN_SUBJECT)).to_have_count(1)
    expect(page.locator("table tbody tr").filter(has_text=SOLVED_SUBJECT)).to_have_count(0)
    page.locator("#f-q").press_sequentially(text, delay=25)


def test_a_body_word_typed_in_all_open_finds_the_solved_ticket(agent_page, search_server, screenshot):
    page = agent_page
    _, solved_id = search_server
    _search_from_all_open(page, BODY_WORD)
    row = page.locator("table.search-results tbody tr").filter(has_text=SOLVED_SUBJECT)
    expect(row).to_have_count(1)
    expect(row.locator(".status")).to_have_class(re.compile(r"status-solved"))
    expect(row.locator(".snippet mark")).to_have_text(BODY_WORD)
    screenshot(page, "body-word-finds-solved")

    row.locator("a[data-row-link]").click()
    page.wait_for_url(re.compile(rf"/agent/tickets/{solved_id}$"))
    expect(page.locator("h1")).to_contain_text(SOLVED_SUBJECT)


def test_the_requester_email_finds_their_ticket(agent_page):
    page = agent_page
    _search_from_all_open(page, REQUESTER_EMAIL)
    rows = page.locator("table.search-results tbody tr")
    expect(rows.filter(has_text=SOLVED_SUBJECT)).to_have_count(1)
    expect(rows).to_have_count(1)
