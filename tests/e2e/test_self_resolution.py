"""An answer on intake in a real browser: a Polish customer's ticket page offers the Polish
charging article of the demo, and "This solved it" (on the page, or the e-mail link's page) closes
the request with a note on the thread."""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_journeys import submit_contact_form

pytestmark = pytest.mark.browser
_unique = itertools.count(1)

# The demo's Polish translation of the Pulse charging article (kb/demo_content/pulse-not-charging.pl.md).
POLISH_CHARGING_TITLE = "Problem z ładowaniem słuchawek Pulse lub etui"


def _polish_charging_ticket(page) -> str:
    return submit_contact_form(
        page,
        subject=f"Słuchawki się nie ładują {next(_unique)}",
        name="Anna Kowalska",
        body="Dzień dobry, włożyłam słuchawki Pulse do etui i podłączyłam kabel, ale etui się nie ładuje.",
    )


def test_the_receipt_offers_the_article_and_this_solved_it_closes_the_request(open_session, screenshot):
    customer = open_session(locale="pl-PL")
    page = customer.page
    _polish_charging_ticket(page)  # stays on the receipt: number, status and the offered articles
    offer = page.locator("section.offered-articles")
    expect(offer.get_by_role("link", name=POLISH_CHARGING_TITLE)).to_be_visible()
    screenshot(page, "receipt-offered")
    offer.locator("li", has=page.get_by_role("link", name=POLISH_CHARGING_TITLE)).get_by_role(
        "button", name="To rozwiązało problem"
    ).click()
    expect(page.get_by_role("status").filter(has_text="cieszymy się, że artykuł pomógł")).to_be_visible()
    expect(page.locator(".heading-row .status")).to_have_text("Rozwiązane")
    # A receipt, not the ticket: no conversation is shown to whoever sent the form.
    expect(page.locator("ol.thread")).to_have_count(0)
    customer.watch.assert_clean()


def test_customer_sees_suggestions_and_says_this_solved_it(open_session, screenshot):
    customer = open_session(locale="pl-PL")
    page = customer.page
    page.goto(_polish_charging_ticket(page))  # the link the confirmation e-mail carries
    offer = page.locator("section.offered-articles")
    article = offer.get_by_role("link", name=POLISH_CHARGING_TITLE)
    expect(article).to_be_visible()
    expect(article).to_have_attribute("href", re.compile(r"^/articles/[\w-]+\?lang=pl$"))
    screenshot(page, "offered")
    offer.locator("li", has=page.get_by_role("link", name=POLISH_CHARGING_TITLE)).get_by_role(
        "button", name="To rozwiązało problem"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("cieszymy się, że artykuł pomógł")
    expect(page.locator(".heading-row .status")).to_have_text("Rozwiązane")
    expect(page.locator("ol.thread")).to_contain_text(
        f"Rozwiązane przez klienta dzięki artykułowi „{POLISH_CHARGING_TITLE}”."
    )
    screenshot(page, "solved")
    customer.watch.assert_clean()


def test_the_email_link_asks_before_closing(open_session, screenshot):
    customer = open_session(locale="pl-PL")
    page = customer.page
    ticket_url = _polish_charging_ticket(page)
    page.goto(ticket_url)
    offer = page.locator("section.offered-articles")
    form_action = (
        offer.locator("li", has=page.get_by_role("link", name=POLISH_CHARGING_TITLE))
        .locator("form")
        .get_attribute("action")
    )
    # The e-mail's link is the same address, opened with GET (what a mail scanner would do too).
    page.goto(form_action)
    expect(page.get_by_text("Czy ten artykuł rozwiązał Twój problem?")).to_be_visible()
    page.goto(ticket_url)
    expect(page.locator(".heading-row .status")).to_have_text("Nowe")
    page.goto(form_action)
    screenshot(page, "email-confirmation")
    page.get_by_role("button", name="Tak, to rozwiązało problem: zamknij zgłoszenie").click()
    expect(page.locator(".heading-row .status")).to_have_text("Rozwiązane")
    customer.watch.assert_clean()
