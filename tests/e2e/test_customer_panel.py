"""The customer's story in the browser: the ticket page's panel shows what they bought, and its
name leads to the customer page with their tickets.

Its own small server (a fresh SQLite file, one agent, one ticket, one purchase; no demo index), so
that this runs in seconds rather than waiting for the journeys' demo set-up.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import small_app_server

pytestmark = pytest.mark.browser

AGENT_EMAIL = "story-agent@example.com"
AGENT_PASSWORD = "correct horse battery staple"
PRODUCT = "Nimbus thermostat"
# A ticket, and a purchase a month before it by the same customer.
MAKE_STORY = f"""
from datetime import timedelta
from decimal import Decimal
from accounts.models import Role
from accounts.service import create_user
from aftercare.config import get_settings
from aftercare.db import Database, utcnow
from aftersales.purchases import record_purchase
from aftersales.schemas import PurchaseCreate
from helpdesk import service
from helpdesk.schemas import TicketCreate
database = Database(get_settings().database_url_resolved)
with database.session(write=True) as session:
    create_user(session, email="{AGENT_EMAIL}", name="Dana Agent", role=Role.AGENT, password="{AGENT_PASSWORD}")
    ticket = service.create_ticket(session, TicketCreate(
        customer_email="casey@example.com", customer_name="Casey Buyer", subject="Thermostat offline",
        body="Since yesterday the thermostat shows offline in the app."))
    record_purchase(session, PurchaseCreate(
        external_order_id="ORDER-STORY-1", customer_email="casey@example.com", sku="NIMBUS-1",
        product_name="{PRODUCT}", amount=Decimal("129.00"), currency="EUR",
        purchased_at=utcnow() - timedelta(days=30)))
    print(ticket.id)
database.dispose()
"""


@pytest.fixture(scope="module")
def story_server() -> Iterator[tuple[str, int]]:
    with small_app_server("story", MAKE_STORY) as served:
        yield served


def test_the_customer_panel_shows_a_purchase_and_leads_to_the_customer_page(browser, story_server, screenshot):
    base_url, ticket_id = story_server
    context = browser.new_context(base_url=base_url, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto("/login")
        page.fill("#email", AGENT_EMAIL)
        page.fill("#password", AGENT_PASSWORD)
        page.locator("main form[action='/login'] button[type=submit]").click()
        page.wait_for_url("**/agent/**")
        page.goto(f"/agent/tickets/{ticket_id}")
        panel = page.locator(".customer-panel")
        expect(panel.locator(".purchases")).to_contain_text(PRODUCT)
        expect(panel.locator(".purchases")).to_contain_text("warranty until")
        screenshot(page, "ticket-panel")
        panel.get_by_role("link", name="Casey Buyer").click()
        page.wait_for_url("**/agent/customers/*")
        expect(page.locator("#tickets")).to_contain_text("Thermostat offline")
        expect(page.locator("#purchases")).to_contain_text(PRODUCT)
        screenshot(page, "customer-page")
        assert not errors, f"JavaScript errors: {errors}"
    finally:
        context.close()
