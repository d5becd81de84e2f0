"""Journeys through the portal and the agent workspace in a real browser."""

from __future__ import annotations

import itertools
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LIVE_DATA, sign_in

pytestmark = pytest.mark.browser
_unique = itertools.count(1)

XSS = '<img src=x onerror=alert(1)><script>alert(2)</script>"><svg onload=alert(3)>'


def emailed_link(ticket_id: int) -> str:
    """The ticket page's signed address, from the confirmation e-mail in the live server's outbox."""
    with sqlite3.connect(LIVE_DATA["database"]) as database:
        [text] = database.execute(
            "SELECT text_body FROM outbox_messages WHERE dedupe_key = ?", (f"ticket-confirmation:{ticket_id}",)
        ).fetchone()
    return re.search(rf"/tickets/{ticket_id}\?access_token=\S+", text).group(0)


def submit_contact_form(page, *, subject: str, body: str, name: str = "Piotr Nowak", email: str | None = None) -> str:
    """Fill and send the contact form; stays on the receipt and returns the link e-mailed to follow it."""
    page.goto("/contact")
    page.fill("#customer_email", email or f"customer{next(_unique)}@example.com")
    page.fill("#customer_name", name)
    page.fill("#subject", subject)
    page.fill("#body", body)
    page.locator("form.contact-form button[type=submit]").click()
    # Not signed in: a receipt (number and status); the ticket's link goes only by e-mail.
    page.wait_for_url(re.compile(r"/contact/sent\?receipt="))
    return emailed_link(int(page.locator("[data-ticket-id]").get_attribute("data-ticket-id")))


def _injected_elements(page) -> int:
    return page.evaluate("() => document.querySelectorAll('img[src=\"x\"], svg[onload], main script').length")


def test_customer_submits_a_ticket_in_polish(open_session, screenshot):
    customer = open_session(locale="pl-PL")
    page = customer.page
    page.goto("/contact")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.locator("h1")).to_have_text("Skontaktuj się z pomocą")
    screenshot(page, "contact-form")
    submit_contact_form(
        page,
        subject=f"Robot nie wraca do stacji {next(_unique)}",
        body="Dzień dobry, mój robot Aurora od wczoraj nie wraca do stacji dokującej i rozładowuje się w salonie.",
    )
    expect(page.get_by_role("status")).to_contain_text("Dziękujemy, otrzymaliśmy Twoje zgłoszenie")
    expect(page.locator(".status")).to_have_text("Nowe")
    screenshot(page, "confirmation")
    customer.watch.assert_clean()


def test_agent_replies_with_an_edited_macro_and_the_customer_sees_it(open_session, screenshot):
    customer = open_session(locale="pl-PL")
    subject = f"Harmonogram ogrzewania {next(_unique)}"
    link = submit_contact_form(
        customer.page,
        subject=subject,
        name="Marta Wiśniewska",
        body="Witam, chciałabym ustawić inną temperaturę na noc i na dzień. Gdzie w aplikacji jest harmonogram?",
    )

    agent = open_session()
    page = agent.page
    sign_in(page, "agent@example.com")
    # Keyboard: "/" to search, type, Down to the first result, Enter to open it.
    page.keyboard.press("/")
    expect(page.locator("#f-q")).to_be_focused()
    page.keyboard.type(subject)
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text(subject)
    page.keyboard.press("ArrowDown")
    expect(page.locator("#results [data-row-link]").first).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/agent/tickets/\d+$"))
    expect(page.locator("#suggestions")).to_contain_text("Suggested replies")

    page.select_option("#macro", label="Prośba o szczegóły (pl)")
    page.locator("form[data-macro-form] button").click()
    editor = page.locator("#reply-body")
    expect(editor).to_have_value(re.compile(r"^Dzień dobry Marta,"))
    expect(editor).to_be_focused()
    drafted = editor.input_value()
    assert "{{" not in drafted and "Bruno Agent" in drafted
    edited = drafted.replace(
        "Pozdrawiamy", "Harmonogram znajdzie Pani w zakładce Ustawienia > Ogrzewanie.\n\nPozdrawiamy"
    )
    editor.fill(edited)
    page.select_option("#reply-status", "pending")
    screenshot(page, "agent-draft")
    page.locator("form.reply-form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".heading-row .status")).to_have_text("Pending")
    expect(page.locator(".thread")).to_contain_text("zakładce Ustawienia > Ogrzewanie")
    screenshot(page, "agent-sent")

    customer.page.goto(link)
    expect(customer.page.locator(".thread .from-staff")).to_contain_text("zakładce Ustawienia > Ogrzewanie")
    expect(customer.page.locator(".heading-row .status")).to_have_text("Oczekujące")
    expect(customer.page.locator(".notice.info")).to_contain_text("Czekamy na Twoją odpowiedź")
    screenshot(customer.page, "customer-sees-reply")
    agent.watch.assert_clean()
    customer.watch.assert_clean()


def test_script_in_forms_is_shown_as_text_and_never_runs(open_session, screenshot):
    customer = open_session()
    page = customer.page
    link = submit_contact_form(page, subject=f"{XSS} {next(_unique)}", body=f"Body {XSS}", name=f"Eve {XSS}")
    page.goto(link)
    expect(page.locator("h1")).to_contain_text("<script>alert(2)</script>")
    expect(page.locator(".thread")).to_contain_text(f"Body {XSS}")

    page.fill("#body", f"Reply {XSS}")
    page.locator("form.reply-form button[value=reply]").click()
    page.wait_for_load_state()
    expect(page.locator(".thread")).to_contain_text(f"Reply {XSS}")
    assert _injected_elements(page) == 0
    screenshot(page, "customer-thread")

    agent = open_session()
    sign_in(agent.page, "admin@example.com")
    ticket_path = re.search(r"/tickets/(\d+)", link).group(1)
    agent.page.goto(f"/agent/tickets?view=all&q={ticket_path}")
    expect(agent.page.locator("#results")).to_contain_text("<script>alert(2)</script>")
    agent.page.goto(f"/agent/tickets/{ticket_path}")
    expect(agent.page.locator(".thread")).to_contain_text(f"Reply {XSS}")
    expect(agent.page.locator(".customer-panel")).to_contain_text(f"Eve {XSS}")
    agent.page.fill("#reply-body", f"Agent {XSS}")
    agent.page.locator("form.reply-form button[type=submit]").click()
    agent.page.wait_for_load_state()
    expect(agent.page.locator(".thread")).to_contain_text(f"Agent {XSS}")
    assert _injected_elements(agent.page) == 0
    screenshot(agent.page, "agent-ticket")

    agent.page.goto("/agent/macros/new")
    agent.page.fill("#title", f"Macro {XSS} {next(_unique)}")
    agent.page.fill("#body", f"Text {XSS}")
    agent.page.locator("form.macro-form button[type=submit]").click()
    agent.page.wait_for_url(re.compile(r"/agent/macros$"))
    expect(agent.page.locator("table.macros")).to_contain_text("<script>alert(2)</script>")
    assert _injected_elements(agent.page) == 0

    customer.page.goto(link)
    expect(customer.page.locator(".thread")).to_contain_text(f"Agent {XSS}")
    assert _injected_elements(customer.page) == 0
    customer.watch.assert_clean()
    agent.watch.assert_clean()


def test_switching_the_portal_to_thai(open_session, screenshot):
    visitor = open_session(locale="en-GB")
    page = visitor.page
    page.goto("/")
    expect(page.locator("h1")).to_have_text("How can we help?")
    page.select_option("#ui-language", "th")
    page.locator("form.language-switcher button").click()
    expect(page.locator("html")).to_have_attribute("lang", "th")
    expect(page.locator("h1")).to_have_text("มีอะไรให้เราช่วยไหม")
    expect(page.locator(".main-nav")).to_contain_text("ติดต่อเรา")
    screenshot(page, "home-thai")
    # The choice sticks for the next pages, whatever the browser asks for.
    page.goto("/contact")
    expect(page.locator("h1")).to_have_text("ติดต่อฝ่ายสนับสนุน")
    screenshot(page, "contact-thai")
    visitor.watch.assert_clean()


def test_inbox_filters_replace_results_without_reloading(open_session):
    agent = open_session()
    page = agent.page
    sign_in(page, "agent@example.com")
    page.goto("/agent/tickets?view=all")
    page.evaluate("() => { window.__sameDocument = true; }")
    page.select_option("#f-language", "th")
    expect(page).to_have_url(re.compile(r"language=th"))
    rows = page.locator("#results tbody tr")
    expect(rows.first).to_be_visible()
    languages = [text.strip() for text in rows.locator("td.language").all_inner_texts()]
    assert languages and set(languages) == {"th"}, languages
    assert page.evaluate("() => window.__sameDocument === true"), "the filter reloaded the whole page"
    # j / k move between tickets.
    page.locator("h1").click()
    page.keyboard.press("j")
    expect(page.locator("#results [data-row-link]").first).to_be_focused()
    agent.watch.assert_clean()


def test_phone_layout_has_no_sideways_scrolling(open_session, screenshot):
    phone = open_session(locale="id-ID", viewport={"width": 390, "height": 844})
    page = phone.page
    link = submit_contact_form(
        page,
        subject=f"Earbud kiri tidak ada suara {next(_unique)}",
        body="Halo, earbud Pulse sebelah kiri saya tidak mengeluarkan suara sama sekali.",
    )
    page.goto(link)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "ticket-phone")
    sign_in(page, "agent@example.com")
    page.goto("/agent/tickets")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "inbox-phone")
    phone.watch.assert_clean()


def test_keyboard_focus_is_visible(open_session):
    visitor = open_session()
    page = visitor.page
    page.goto("/contact")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "customer_email":
            break
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    visitor.watch.assert_clean()
