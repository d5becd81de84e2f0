"""The API documentation renders in a real browser with no internet: every request to another
host is cut off, and Swagger UI and ReDoc must still show the API, with no CSP violation."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import REPO_ROOT, _free_port, _run
from tests.serving import uvicorn_command

pytestmark = pytest.mark.browser
START_TIMEOUT = 300.0
RENDER_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def live_server() -> Iterator[str]:
    """The app on an empty, migrated database: the docs need no demo data (nor its index build)."""
    data_dir = Path(tempfile.mkdtemp(prefix="aftercare-docs-"))
    port = _free_port()
    env = {
        **os.environ,
        "AFTERCARE_ENVIRONMENT": "development",
        "AFTERCARE_DATA_DIR": str(data_dir),
        "AFTERCARE_DATABASE_URL": "",
        "AFTERCARE_SECRET_KEY": "docs-secret-key-0123456789-0123456789-abcdef",
        "AFTERCARE_BASE_URL": f"http://127.0.0.1:{port}",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])),
    }
    env.pop("AFTERCARE_TEST_DATABASE_URL", None)
    _run([sys.executable, "-m", "entry.cli", "db", "upgrade"], env)
    server = subprocess.Popen(
        uvicorn_command(port),
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert server.poll() is None, f"the app exited with {server.returncode}"
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"no /healthz within {START_TIMEOUT:.0f} s"
            time.sleep(0.25)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _offline(session, live_server: str) -> list[str]:
    """Abort every request that leaves the app's origin (as on a machine without internet); return them."""
    origin = urlsplit(live_server).netloc
    blocked: list[str] = []

    def route(request_route) -> None:
        url = request_route.request.url
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != origin:
            blocked.append(url)
            request_route.abort()
        else:
            request_route.continue_()

    session.context.route("**/*", route)
    return blocked


def test_swagger_ui_shows_the_api_offline(open_session, live_server, screenshot):
    session = open_session()
    blocked = _offline(session, live_server)
    page = session.page
    page.goto("/docs")
    # The whole spec is rendered in the browser: seconds on a busy machine.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Aftercare", timeout=RENDER_TIMEOUT_MS)
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/tickets").first).to_be_visible()
    screenshot(page, "swagger")
    assert blocked == []
    session.watch.assert_clean()


def test_redoc_shows_the_api_offline(open_session, live_server, screenshot):
    session = open_session()
    blocked = _offline(session, live_server)
    page = session.page
    page.goto("/redoc")
    expect(page.locator("redoc h1").first).to_contain_text("Aftercare", timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_text("/api/v1/tickets").first).to_be_attached()
    screenshot(page, "redoc")
    assert blocked == []
    # ReDoc's "API docs by Redocly" footer links its logo from Redocly's CDN (no option turns it
    # off); the page's CSP keeps that request from leaving, and the page works without the image.
    watch = session.watch
    watch.csp_violations = [text for text in watch.csp_violations if "cdn.redoc.ly/redoc/logo-mini.svg" not in text]
    watch.assert_clean()
