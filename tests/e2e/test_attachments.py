"""Attachments in the browser: an agent sends a reply with a file, downloads it again byte for
byte, and a picture shows as a thumbnail in the thread.

Its own small server (a fresh SQLite file, one agent, one ticket; no demo index), so that this
runs in seconds rather than waiting for the journeys' demo set-up.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import signed_in_page, small_app_server

pytestmark = pytest.mark.browser

AGENT_EMAIL = "files-agent@example.com"
AGENT_PASSWORD = "correct horse battery staple"


def _zip() -> bytes:
    # Binary bytes (compressed, with NUL and high bytes), which no text handling would leave alone.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("router.log", "2026-12-07 10:00:01 wifi\r\nZażółć reason 15\n" * 50)
        archive.writestr("dump.bin", bytes(range(256)) * 4)
    return buffer.getvalue()


LOGS = _zip()


def _png(width: int, height: int) -> bytes:
    """A plain red RGB picture, written by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xd0\x20\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


# Larger than a thumbnail, so that the page has to scale it down.
PNG = _png(600, 400)
MAKE_TICKET = f"""
from aftercare.config import get_settings
from aftercare.db import Database
from helpdesk import service
from accounts.models import Role
from accounts.service import create_user
from helpdesk.schemas import TicketCreate
database = Database(get_settings().database_url_resolved)
with database.session(write=True) as session:
    create_user(session, email="{AGENT_EMAIL}", name="Dana Agent", role=Role.AGENT, password="{AGENT_PASSWORD}")
    ticket = service.create_ticket(session, TicketCreate(
        customer_email="casey@example.com", customer_name="Casey", subject="Thermostat offline",
        body="Since yesterday the thermostat shows offline in the app."))
    print(ticket.id)
database.dispose()
"""


@pytest.fixture(scope="module")
def small_server() -> Iterator[tuple[str, int]]:
    with small_app_server("files", MAKE_TICKET) as served:
        yield served


@pytest.fixture
def agent_page(browser, small_server):
    base_url, ticket_id = small_server
    with signed_in_page(browser, base_url, AGENT_EMAIL, AGENT_PASSWORD, accept_downloads=True) as page:
        yield page, ticket_id


def _send_with(page, ticket_id: int, body: str, name: str, mime: str, payload: bytes) -> None:
    page.goto(f"/agent/tickets/{ticket_id}")
    page.fill("#reply-body", body)
    page.set_input_files("#reply-files", files=[{"name": name, "mimeType": mime, "buffer": payload}])
    page.locator("form.reply-form button[type=submit]").click()
    page.wait_for_url(f"**/agent/tickets/{ticket_id}")


def test_an_uploaded_file_downloads_byte_identical(agent_page, tmp_path: Path):
    page, ticket_id = agent_page
    _send_with(page, ticket_id, "The router logs, zipped.", "router-logs.zip", "application/zip", LOGS)
    message = page.locator(".thread li.message", has_text="The router logs, zipped.")
    with page.expect_download() as info:
        message.get_by_role("link", name="router-logs.zip").click()
    download = info.value
    saved = tmp_path / "downloaded.zip"
    download.save_as(saved)
    assert (download.suggested_filename, saved.read_bytes()) == ("router-logs.zip", LOGS)


def test_a_picture_shows_as_a_thumbnail(agent_page):
    page, ticket_id = agent_page
    _send_with(page, ticket_id, "Photo of the wiring.", "wiring.png", "image/png", PNG)
    thumbnail = page.locator(".thread li.message", has_text="Photo of the wiring.").locator("img")
    expect(thumbnail).to_be_visible()
    thumbnail.evaluate("img => img.decode()")
    natural, shown = thumbnail.evaluate("img => [img.naturalWidth, img.getBoundingClientRect().width]")
    # The 600 x 400 picture arrives as a real 240 x 160 thumbnail, not the full file scaled by CSS.
    assert natural == 240 and shown <= 240
