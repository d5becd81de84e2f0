"""The claim form in the browser, in Polish: a signed-in Polish customer opens it from their
purchases on the account page, sees the product's troubleshooting article (its Polish version)
first, goes on to the form, sends it, and sees the RMA number and the warranty's end in Polish.

Its own small server (a fresh SQLite file: one customer, one product with a Polish article, one
purchase; no demo), so that this runs in seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import small_app_server

pytestmark = pytest.mark.browser

EMAIL = "zofia.claims@example.com"
PASSWORD = "correct horse battery staple"
ARTICLE_PL = "Słuchawka nie ładuje się"
MAKE_PURCHASE = f"""
from datetime import UTC, datetime
from decimal import Decimal
from accounts.models import Role
from accounts.service import create_user
from aftercare.config import get_settings
from aftercare.db import Database
from aftersales.purchases import record_purchase, update_product
from aftersales.schemas import ProductUpdate, PurchaseCreate
from kb.models import Article, ArticleContent, ArticleKind, ArticleStatus, ArticleTag, TagKind
database = Database(get_settings().database_url_resolved)
with database.session(write=True) as session:
    create_user(session, email="{EMAIL}", name="Zofia Nowak", role=Role.CUSTOMER, password="{PASSWORD}", language="pl")
    purchase = record_purchase(session, PurchaseCreate(
        external_order_id="ORDER-CLAIM-1", customer_email="{EMAIL}", sku="PULSE-1", product_name="Pulse earbuds",
        amount=Decimal("79.00"), currency="PLN", purchased_at=datetime(2026, 3, 10, 12, 0, tzinfo=UTC))).purchase
    update_product(session, purchase.product, ProductUpdate(tags=["pulse"], warranty_months=1200))
    article = Article(slug="pulse-not-charging", kind=ArticleKind.TROUBLESHOOTING, status=ArticleStatus.PUBLISHED,
                      source_locale="en", published_at=datetime(2026, 1, 1, tzinfo=UTC))
    article.tag_rows = [ArticleTag(tag_kind=TagKind.PRODUCT, tag="pulse")]
    article.contents = [
        ArticleContent(locale="en", title="Earbud not charging", body_markdown="Clean the contacts.",
                       status=ArticleStatus.PUBLISHED),
        ArticleContent(locale="pl", title="{ARTICLE_PL}", body_markdown="Wyczyść styki.",
                       status=ArticleStatus.PUBLISHED, source_version=1),
    ]
    session.add(article)
    session.flush()
    print(purchase.id)
database.dispose()
"""


@pytest.fixture(scope="module")
def claim_server() -> Iterator[tuple[str, int]]:
    with small_app_server("claims", MAKE_PURCHASE) as served:
        yield served


def test_a_polish_customer_sends_a_claim_from_their_purchases(browser, claim_server, screenshot):
    base_url, purchase_id = claim_server
    context = browser.new_context(base_url=base_url, locale="pl-PL")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto("/login")
        page.fill("#email", EMAIL)
        page.fill("#password", PASSWORD)
        page.locator("main form[action='/login'] button[type=submit]").click()
        page.wait_for_url(re.compile(r"/tickets|/account|/$"))
        page.goto("/account")
        expect(page.locator("html")).to_have_attribute("lang", "pl")
        page.locator(f"li[data-purchase='{purchase_id}'] a.claim-link").click()
        page.wait_for_url(f"**/claims/new?purchase_id={purchase_id}")
        # Articles first, in Polish.
        expect(page.locator(".claim-form")).to_have_attribute("data-step", "articles")
        expect(page.locator(".claim-articles")).to_contain_text(ARTICLE_PL)
        screenshot(page, "articles")
        page.locator("#claim-continue").click()
        expect(page.locator(".claim-form")).to_have_attribute("data-step", "form")
        page.select_option("#claim-kind", "warranty")
        page.select_option("#claim-reason", "defective")
        page.fill("#claim-description", "Lewa słuchawka przestała grać.")
        page.locator("form[action='/claims/new'] button[type=submit]").click()
        page.wait_for_url(re.compile(r"/claims/\d+\?created=1"))
        expect(page.locator(".rma-number")).to_have_text(re.compile(r"RMA-\d{4}-\d{6}"))
        # Bought 10 March 2026 with 1,200 months of warranty: in window, the date in Polish.
        eligibility = page.locator(".claim-eligibility")
        expect(eligibility).to_have_attribute("data-eligible", "true")
        expect(eligibility).to_contain_text("10 marca 2126")
        screenshot(page, "claim-sent")
        assert not errors, f"JavaScript errors: {errors}"
    finally:
        context.close()
