"""SLA badges in the inbox, in the browser: a ticket due later, one at risk, one breached; the
"At risk" view lists the last two.

Its own small server (a fresh SQLite file, one agent, two SLA policies, three tickets; no demo index).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import signed_in_page, small_app_server

pytestmark = pytest.mark.browser

AGENT_EMAIL = "sla-agent@example.com"
AGENT_PASSWORD = "correct horse battery staple"
# Polish tickets: 30 minutes to a first response, at risk from the start (its last business hour).
# Others: 10 hours. "Overdue question" had its clock started two days ago, so both its targets are past.
MAKE_TICKETS = f"""
from datetime import timedelta
from accounts.models import Role
from accounts.service import create_user, principal_for_user
from aftercare.config import get_settings
from aftercare.db import Database, utcnow
from helpdesk import service
from helpdesk.operations import admin, sla
from helpdesk.operations.schemas import SlaPolicyCreate
from helpdesk.schemas import TicketCreate
database = Database(get_settings().database_url_resolved)
with database.session(write=True) as session:
    boss = principal_for_user(create_user(session, email="boss@example.com", name="Boss", role=Role.ADMIN))
    create_user(session, email="{AGENT_EMAIL}", name="Dana Agent", role=Role.AGENT, password="{AGENT_PASSWORD}")
    admin.create_sla_policy(session, SlaPolicyCreate(
        name="Polish", conditions={{"language": "pl"}}, first_response_minutes=30, resolution_minutes=120), boss)
    admin.create_sla_policy(session, SlaPolicyCreate(
        name="Standard", first_response_minutes=600, resolution_minutes=2400), boss)
    later = service.create_ticket(session, TicketCreate(
        customer_email="later@example.com", subject="Due later", body="No rush with this one.", language="en"))
    service.create_ticket(session, TicketCreate(
        customer_email="soon@example.com", subject="Soon", body="Termostat nie działa.", language="pl"))
    two_days_ago = utcnow() - timedelta(days=2)
    sla.utcnow = lambda: two_days_ago
    service.create_ticket(session, TicketCreate(
        customer_email="late@example.com", subject="Overdue question", body="Still waiting for an answer.", language="en"))
    print(later.id)
database.dispose()
"""


@pytest.fixture(scope="module")
def sla_server() -> Iterator[tuple[str, int]]:
    with small_app_server("sla", MAKE_TICKETS) as served:
        yield served


@pytest.fixture
def agent_page(browser, sla_server):
    base_url, _ = sla_server
    with signed_in_page(browser, base_url, AGENT_EMAIL, AGENT_PASSWORD) as page:
        yield page


def _badge(page, subject: str):
    return page.locator("tr", has_text=subject).locator(".sla-cell")


def test_inbox_rows_show_their_sla_badge(agent_page, screenshot):
    page = agent_page
    page.goto("/agent/tickets?view=all")
    expect(_badge(page, "Due later")).to_contain_text("Due in")
    expect(_badge(page, "Soon")).to_contain_text("At risk")
    expect(_badge(page, "Overdue question")).to_have_text("Breached")
    screenshot(page, "sla-badges")


def test_at_risk_view_lists_the_tickets_at_risk_or_late(agent_page):
    page = agent_page
    page.goto("/agent/tickets?view=at_risk")
    rows = page.locator("tbody tr")
    expect(rows.filter(has_text="Soon")).to_have_count(1)
    expect(rows.filter(has_text="Overdue question")).to_have_count(1)
    expect(rows.filter(has_text="Due later")).to_have_count(0)
