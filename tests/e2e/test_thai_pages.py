"""Thai readers see the expired-link page and the contact receipt in Thai, drawn with real glyphs.

Chromium with a Thai locale (so the browser sends ``Accept-Language: th-TH``) on the app's own
small server (a fresh SQLite file and one ticket; no demo index). Besides the words, the Thai must
be drawn with Thai glyphs, not "tofu" boxes: Chromium says which fonts drew an element's text
(DevTools' CSS.getPlatformFontsForNode), and fonts that fontconfig says cover Thai must have drawn
at least as many glyphs as the element has Thai characters. Screenshots go to
``artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO_ROOT, SCREENSHOT_DIR, _free_port, _run
from tests.serving import uvicorn_command, wait_until_ready

pytestmark = pytest.mark.browser

SECRET_KEY = "e2e-secret-key-0123456789-0123456789-abcdef"
# A ticket, and a link to it signed 31 days ago (the default lifetime is 30 days).
MAKE_TICKET_AND_OLD_LINK = """
import time
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from aftercare.config import get_settings
from aftercare.db import Database
from helpdesk import service, ticket_links
from helpdesk.schemas import TicketCreate

class PastSigner(TimestampSigner):
    def get_timestamp(self):
        return int(time.time() - 31 * 24 * 3600)

settings = get_settings()
database = Database(settings.database_url_resolved)
with database.session(write=True) as session:
    ticket = service.create_ticket(session, TicketCreate(
        customer_email="somchai@example.com", customer_name="Somchai", subject="หูฟังเชื่อมต่อบลูทูธไม่ได้",
        body="สวัสดีครับ หูฟังของผมเชื่อมต่อบลูทูธกับโทรศัพท์ไม่ได้ตั้งแต่เมื่อวาน", language="th"))
    serializer = URLSafeTimedSerializer(settings.secret_key, salt=ticket_links._TIMED_TICKET_LINK_SALT, signer=PastSigner)
    print(ticket.id, serializer.dumps([ticket.id, ticket.requester_id, ticket.link_generation]))
database.dispose()
"""
THAI = re.compile(r"[\u0e00-\u0e7f]")


def _thai_font_families() -> set[str]:
    listed = subprocess.run(["fc-list", ":lang=th", "family"], capture_output=True, text=True, check=True).stdout
    families = {name.strip() for line in listed.splitlines() for name in line.split(",") if name.strip()}
    assert families, "no font covers Thai (install fonts-thai-tlwg)"
    return families


@pytest.fixture(scope="module")
def thai_server() -> Iterator[tuple[str, int, str]]:
    data_dir = Path(tempfile.mkdtemp(prefix="aftercare-e2e-thai-"))
    port = _free_port()
    env = {
        **os.environ,
        "AFTERCARE_ENVIRONMENT": "development",
        "AFTERCARE_DATA_DIR": str(data_dir),
        "AFTERCARE_DATABASE_URL": f"sqlite:///{data_dir / 'aftercare.db'}",
        "AFTERCARE_SECRET_KEY": SECRET_KEY,
        "AFTERCARE_BASE_URL": f"http://127.0.0.1:{port}",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])),
    }
    env.pop("AFTERCARE_TEST_DATABASE_URL", None)
    _run([sys.executable, "-m", "entry.cli", "db", "upgrade"], env)
    made = subprocess.run(
        [sys.executable, "-c", MAKE_TICKET_AND_OLD_LINK],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    ticket_id, old_link = made.stdout.strip().splitlines()[-1].split()
    log_path = data_dir / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            uvicorn_command(port),
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(server, base_url, log_path, 180)
            yield base_url, int(ticket_id), old_link
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


@pytest.fixture
def thai_page(browser, thai_server):
    base_url, _, _ = thai_server
    context = browser.new_context(base_url=base_url, locale="th-TH", viewport={"width": 900, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors, f"JavaScript errors: {errors}"
    context.close()


def _assert_thai_glyphs(page, selector: str) -> None:
    """The element's Thai characters were drawn by fonts that have Thai (not as missing-glyph boxes)."""
    text = page.locator(selector).first.text_content()
    thai_characters = len(THAI.findall(text))
    assert thai_characters >= 5, f"no Thai in {selector}: {text!r}"
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    thai_fonts = _thai_font_families()
    drawn_in_thai_fonts = sum(font["glyphCount"] for font in fonts if font["familyName"] in thai_fonts)
    assert drawn_in_thai_fonts >= thai_characters, f"Thai drawn without a Thai font: {fonts}"
    cdp.detach()


def _screenshot(page, step: str) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"thai-{step}.png"), full_page=True)


def test_expired_link_page_is_in_thai(thai_page, thai_server):
    _, ticket_id, old_link = thai_server
    thai_page.goto(f"/tickets/{ticket_id}?access_token={old_link}")
    assert thai_page.locator("html").get_attribute("lang") == "th"
    assert thai_page.locator("form[action='/tickets/link'] input[name=link]").count() == 1
    text = thai_page.locator("main").inner_text()
    assert "This link has expired" not in text and "E-mail me a new link" not in text
    _assert_thai_glyphs(thai_page, "main h1")
    _screenshot(thai_page, "expired-link")


def test_contact_receipt_is_in_thai(thai_page):
    thai_page.goto("/contact")
    thai_page.fill("#customer_email", "malee@example.com")
    thai_page.fill("#customer_name", "มาลี")
    thai_page.fill("#subject", "ลำโพงไม่มีเสียง")
    thai_page.fill("#body", "สวัสดีค่ะ ลำโพงที่ซื้อเมื่อสัปดาห์ก่อนเปิดติดแต่ไม่มีเสียงออกมาเลยค่ะ")
    thai_page.locator("main form[action='/contact'] button[type=submit]").click()
    thai_page.wait_for_url(re.compile(r"/contact/sent"))
    assert thai_page.locator("html").get_attribute("lang") == "th"
    text = thai_page.locator("main").inner_text()
    assert "we received your request" not in text and "Request #" not in text
    _assert_thai_glyphs(thai_page, "main [data-sent-to]")
    _screenshot(thai_page, "contact-receipt")
