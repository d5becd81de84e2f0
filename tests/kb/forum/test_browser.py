"""In a real browser: a customer asks, sees a similar thread, another member answers, the asker accepts.

The answered thread is then indexed as question + accepted answer and appears in search.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import playwright.sync_api as playwright_api
import pytest
import uvicorn

from accounts.models import Role
from accounts.service import create_user, principal_for_user
from aftercare import migrate
from aftercare.config import get_settings
from aftercare.db import Database
from kb.forum.indexing import iter_indexable_threads
from kb.forum.models import ForumThread
from tests.kb.forum.factories import create_thread, trust
from web.app import create_app

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live_server() -> Iterator[tuple[str, Database]]:
    """The app served by uvicorn on a fresh SQLite file (a browser needs a real server)."""
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='aftercare-forum-browser-')) / 'browser.db'}"
    migrate.upgrade(url)
    database = Database(url)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(get_settings(), database=database), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", database
    server.should_exit = True
    thread.join(timeout=10)
    database.dispose()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        # Use the system Chromium when Playwright's own download is absent (offline installs).
        executable = shutil.which("chromium") or shutil.which("chromium-browser")
        browser = playwright.chromium.launch(executable_path=executable) if executable else playwright.chromium.launch()
        yield browser
        browser.close()


def _sign_in(browser, base_url: str, email: str):
    page = browser.new_context().new_page()
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_load_state()
    return page


def test_ask_see_similar_answer_accept(live_server, browser):
    base_url, database = live_server
    with database.session() as session:
        asker = create_user(
            session, email="asker@example.com", name="Asha Asker", role=Role.CUSTOMER, password=PASSWORD
        )
        helper = create_user(
            session, email="helper@example.com", name="Hal Helper", role=Role.CUSTOMER, password=PASSWORD
        )
        trust(session, asker)
        trust(session, helper)
        create_thread(session, principal_for_user(helper), title="Nimbus thermostat offline after power cut")

    asker_page = _sign_in(browser, base_url, "asker@example.com")
    asker_page.goto(f"{base_url}/forum/new")
    asker_page.locator("#title").press_sequentially("Nimbus thermostat offline since yesterday", delay=10)
    similar = asker_page.locator("#similar")
    playwright_api.expect(similar).to_contain_text("Nimbus thermostat offline after power cut", timeout=5000)
    asker_page.fill("#body", "The app shows the thermostat as offline. The router works.")
    asker_page.locator("form[action='/forum/new'] button[type=submit]").click()
    asker_page.wait_for_url(f"{base_url}/forum/t/*")
    thread_url = asker_page.url

    helper_page = _sign_in(browser, base_url, "helper@example.com")
    helper_page.goto(thread_url)
    helper_page.fill("#reply-body", "Hold the dial for ten seconds and join the 2.4 GHz network again.")
    helper_page.locator("#replies form.reply-form button[type=submit]").click()
    playwright_api.expect(helper_page.locator("#replies")).to_contain_text("Thank you: your answer is posted.")
    assert helper_page.locator(".forum-reply .forum-vote-button").count() == 0, "no votes on one's own answer"

    asker_page.reload()
    asker_page.locator(".forum-reply .forum-vote-button.up").first.click()
    playwright_api.expect(asker_page.locator(".forum-reply .forum-score").first).to_have_text("1")
    asker_page.get_by_role("button", name="Accept this answer").click()
    playwright_api.expect(asker_page.locator(".forum-reply.accepted")).to_contain_text("Accepted answer")

    thread_id = int(thread_url.rstrip("/").rsplit("/", 1)[1])
    with database.session() as session:
        assert session.get(ForumThread, thread_id).title == "Nimbus thermostat offline since yesterday"
        [record] = iter_indexable_threads(session, [thread_id])
    assert record.answer_accepted and record.answer_score == 1
    assert record.answer_body == "Hold the dial for ten seconds and join the 2.4 GHz network again."

    # The answered thread becomes findable: the server's index keeper picks the change up by itself.
    deadline = time.monotonic() + 30
    found = None
    while found is None and time.monotonic() < deadline:
        response = asker_page.request.get(
            f"{base_url}/api/v1/search", params={"q": "Nimbus thermostat offline since yesterday", "types": "thread"}
        )
        assert response.ok, response.text()
        found = next((hit for hit in response.json()["results"] if hit.get("thread_id") == thread_id), None)
        if found is None:
            time.sleep(0.5)
    assert found is not None, "the answered thread never appeared in search"
    asker_page.goto(f"{base_url}/search?q=Nimbus+thermostat+offline+since+yesterday")
    playwright_api.expect(asker_page.locator("main")).to_contain_text("Nimbus thermostat offline since yesterday")
