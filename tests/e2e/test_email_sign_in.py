"""Browser journey: a customer who wrote in through the contact form signs in by e-mailed link.

The link is read from the live server's outbox (its SQLite file), as the customer would read it in
the e-mail; the page it opens only shows a button, and the button signs in to "My tickets".
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LIVE_DATA

pytestmark = pytest.mark.browser


def _sign_in_link_path(address: str) -> str:
    with sqlite3.connect(LIVE_DATA["database"]) as database:
        [text] = database.execute(
            "SELECT text_body FROM outbox_messages WHERE to_address = ? AND dedupe_key LIKE 'sign-in-link:%'",
            (address,),
        ).fetchone()
    return re.search(r"/auth/email-link/\S+", text).group(0)


def test_a_customer_who_wrote_in_signs_in_by_emailed_link(open_session, screenshot):
    customer = open_session()
    page = customer.page
    address, subject = "link-journey@example.com", "Doorbell chime stays silent after the update"
    page.goto("/contact")
    page.fill("#customer_email", address)
    page.fill("#customer_name", "Lina Journey")
    page.fill("#subject", subject)
    page.fill("#body", "Since the firmware update last night the doorbell rings on the phone but the chime is silent.")
    page.locator("form.contact-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/contact/sent\?receipt="))

    page.goto("/login")
    page.fill("#link-email", address)
    page.locator("form.email-link-form button[type=submit]").click()
    expect(page.get_by_role("status")).to_contain_text("a sign-in link is on its way")
    screenshot(page, "link-sent")

    page.goto(_sign_in_link_path(address))
    screenshot(page, "confirm")
    page.locator("form[action^='/auth/email-link/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/tickets$"))
    expect(page.locator("main")).to_contain_text(subject)
    screenshot(page, "my-tickets")
    customer.watch.assert_clean()
