"""Browser journey: a Polish customer signs in by e-mailed link, sets their mail preferences on
"My account", downloads their data, and deletes the account through the e-mailed confirmation.

Links are read from the live server's outbox (its SQLite file), as the customer would read them.
"""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LIVE_DATA

pytestmark = pytest.mark.browser


def _link_in_mail(address: str, dedupe_prefix: str, path_pattern: str) -> str:
    with sqlite3.connect(LIVE_DATA["database"]) as database:
        [text] = database.execute(
            "SELECT text_body FROM outbox_messages WHERE to_address = ? AND dedupe_key LIKE ? ORDER BY id DESC",
            (address, f"{dedupe_prefix}:%"),
        ).fetchone()
    return re.search(path_pattern + r"\S+", text).group(0)


def _customer_row(address: str):
    with sqlite3.connect(LIVE_DATA["database"]) as database:
        return database.execute("SELECT id, erased_at FROM customers WHERE email = ?", (address,)).fetchone()


def test_a_customer_manages_and_deletes_their_account(open_session, screenshot, tmp_path):
    customer = open_session(locale="pl-PL")
    page = customer.page
    address = "konto-journey@example.com"
    page.goto("/login")
    page.fill("#link-email", address)
    page.locator("form.email-link-form button[type=submit]").click()
    expect(page.get_by_role("status")).to_be_visible()
    page.goto(_link_in_mail(address, "sign-in-link", "/auth/email-link/"))
    page.locator("form[action^='/auth/email-link/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/tickets$"))

    page.locator("nav a[href='/account']").click()
    page.wait_for_url(re.compile(r"/account$"))
    expect(page.locator("main")).to_contain_text(address)
    page.fill("#account-name", "Kasia Konto")
    page.select_option("#account-language", "pl")
    page.locator("form[action='/account/profile'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/account\?saved=profile$"))
    expect(page.locator("#account-name")).to_have_value("Kasia Konto")
    page.locator("input[name=surveys]").uncheck()
    page.locator("form[action='/account/preferences'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/account\?saved=preferences$"))
    expect(page.locator("input[name=surveys]")).not_to_be_checked()
    screenshot(page, "account")

    with page.expect_download() as download_info:
        page.locator("a[href='/account/export']").click()
    document = json.loads(download_info.value.path().read_text(encoding="utf-8"))
    assert address in json.dumps(document, ensure_ascii=False)

    page.locator("form[action='/account/delete'] button[type=submit]").click()
    expect(page.get_by_role("status")).to_be_visible()
    assert _customer_row(address) is not None  # nothing erased before the confirmation
    page.goto(_link_in_mail(address, "account-deletion-link", "/account/delete/"))
    screenshot(page, "confirm-deletion")
    page.locator("form[action^='/account/delete/'] button[type=submit]").click()
    expect(page.get_by_role("status")).to_be_visible()
    screenshot(page, "deleted")
    assert _customer_row(address) is None  # the address is gone from the customer records
    page.goto("/account")
    expect(page.locator("#link-email")).to_be_visible()  # signed out: the sign-in page
    customer.watch.assert_clean()
