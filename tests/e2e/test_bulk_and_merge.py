"""Bulk actions and merge in the browser: assign three tickets from the inbox and see the summary
and the new assignee in their rows; merge two tickets from a ticket's page, through the
confirmation, and see the first one's messages on the second.

Its own small server (a fresh SQLite file, two agents, five tickets; no demo index).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import signed_in_page, small_app_server

pytestmark = pytest.mark.browser

AGENT_EMAIL = "bulk-agent@example.com"
AGENT_PASSWORD = "correct horse battery staple"
BULK_SUBJECTS = ["Bulk alpha", "Bulk bravo", "Bulk charlie"]
SOURCE_BODY = "The left earbud crackles at high volume."
MAKE_TICKETS = f"""
from accounts.models import Role
from accounts.service import create_user
from aftercare.config import get_settings
from aftercare.db import Database
from helpdesk import service
from helpdesk.schemas import TicketCreate
database = Database(get_settings().database_url_resolved)
with database.session(write=True) as session:
    create_user(session, email="{AGENT_EMAIL}", name="Dana Agent", role=Role.AGENT, password="{AGENT_PASSWORD}")
    create_user(session, email="agnieszka@example.com", name="Agnieszka", role=Role.AGENT)
    for subject in {BULK_SUBJECTS!r}:
        service.create_ticket(session, TicketCreate(
            customer_email="many@example.com", subject=subject, body="Please look at this one."))
    source = service.create_ticket(session, TicketCreate(
        customer_email="twice@example.com", subject="Earbuds crackle", body="{SOURCE_BODY}"))
    service.create_ticket(session, TicketCreate(
        customer_email="twice@example.com", subject="Earbuds still crackle", body="Any news about my earbuds?"))
    print(source.id)
database.dispose()
"""


@pytest.fixture(scope="module")
def tickets_server() -> Iterator[tuple[str, int]]:
    with small_app_server("bulk", MAKE_TICKETS) as served:
        yield served


@pytest.fixture
def agent_page(browser, tickets_server):
    base_url, _ = tickets_server
    with signed_in_page(browser, base_url, AGENT_EMAIL, AGENT_PASSWORD) as page:
        yield page


def test_bulk_assign_three_tickets_from_the_inbox(agent_page, screenshot):
    page = agent_page
    page.goto("/agent/tickets?view=all")
    for subject in BULK_SUBJECTS:
        page.locator("tr", has_text=subject).locator("input[name=ticket_ids]").check()
    page.select_option("#bulk-assignee", label="Agnieszka")
    page.get_by_role("button", name="Apply to ticked").click()
    summary = page.locator("[data-bulk-summary]")
    expect(summary).to_contain_text("3 tickets changed")
    expect(summary).to_contain_text("assigned to Agnieszka")
    for subject in BULK_SUBJECTS:
        expect(page.locator("tr", has_text=subject)).to_contain_text("Agnieszka")
    screenshot(page, "bulk-summary")


def test_merge_two_tickets_from_the_ticket_page(agent_page, tickets_server, screenshot):
    page = agent_page
    _, source_id = tickets_server
    target_id = source_id + 1
    page.goto(f"/agent/tickets/{source_id}")
    page.fill("#merge-into", str(target_id))
    page.get_by_role("button", name="Merge into…").click()
    confirm = page.locator("[data-merge-confirm]")
    expect(confirm).to_contain_text("Earbuds crackle")
    expect(confirm).to_contain_text("Earbuds still crackle")
    screenshot(page, "merge-confirmation")
    confirm.get_by_role("button", name=f"Merge into #{target_id}").click()
    page.wait_for_url(f"**/agent/tickets/{target_id}")
    expect(page.locator(".thread")).to_contain_text(SOURCE_BODY)
    expect(page.locator("[data-merge-panel]")).to_contain_text(f"#{source_id} was merged into this ticket.")
    screenshot(page, "merged-target")
