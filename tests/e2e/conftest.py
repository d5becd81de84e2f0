"""Browser tests: the real app under uvicorn, driven by Debian's headless Chromium through Playwright.

The app runs in its own process on a free port, against a fresh SQLite file whose schema comes
from the migrations, with the demo data loaded (``aftercare db upgrade`` then ``aftercare demo``).
Screenshots go to ``artifacts/screenshots/``.

Chromium missing is a failure with instructions, never a silent skip; set
``AFTERCARE_SKIP_BROWSER=1`` to skip these tests on a machine without it (ignored in CI).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.serving import uvicorn_command, wait_until_ready

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("AFTERCARE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "aftercare-demo"
# The live server's SQLite file, for journeys that read what it e-mailed (the outbox).
LIVE_DATA: dict[str, Path] = {}
# The first start builds the demo index (about a minute on an idle 2-core machine; more when busy).
SERVER_START_TIMEOUT = float(os.environ.get("AFTERCARE_E2E_START_TIMEOUT", "90"))
# Canned replies for the agent journeys (idempotent, so harmless once `aftercare demo` loads them).
LOAD_DEMO_MACROS = """
from aftercare.config import get_settings
from aftercare.db import Database
from helpdesk.macros_demo import load_demo
database = Database(get_settings().database_url_resolved)
with database.session() as session:
    load_demo(session, echo=lambda message: None)
database.dispose()
"""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # CI never skips them, whatever the variable says.
    if os.environ.get("AFTERCARE_SKIP_BROWSER") != "1" or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="AFTERCARE_SKIP_BROWSER=1")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command[2:])} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}",
            pytrace=False,
        )


@contextmanager
def small_app_server(prefix: str, setup_script: str) -> Iterator[tuple[str, int]]:
    """A server of its own on a fresh SQLite file (no demo, no index), for journeys that need seconds
    rather than the demo's set-up: ``setup_script`` (Python, run in the app's environment) makes
    what the journey needs and prints an id on its last line; yields the base URL and that id."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"aftercare-e2e-{prefix}-"))
    port = _free_port()
    env = {
        **os.environ,
        "AFTERCARE_ENVIRONMENT": "development",
        "AFTERCARE_DATA_DIR": str(data_dir),
        "AFTERCARE_DATABASE_URL": f"sqlite:///{data_dir / 'aftercare.db'}",
        "AFTERCARE_SECRET_KEY": "e2e-secret-key-0123456789-0123456789-abcdef",
        "AFTERCARE_BASE_URL": f"http://127.0.0.1:{port}",
        "AFTERCARE_LOGIN_RATE_LIMIT": "1000/minute",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])),
    }
    env.pop("AFTERCARE_TEST_DATABASE_URL", None)
    _run([sys.executable, "-m", "entry.cli", "db", "upgrade"], env)
    made = subprocess.run(
        [sys.executable, "-c", setup_script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert made.returncode == 0, made.stderr
    made_id = int(made.stdout.strip().splitlines()[-1])
    log_path = data_dir / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(uvicorn_command(port), cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(server, base_url, log_path, 180)
            yield base_url, made_id
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """Base URL of the app, served by uvicorn in a subprocess with a fresh, migrated demo database."""
    data_dir = Path(tempfile.mkdtemp(prefix="aftercare-e2e-"))
    LIVE_DATA["database"] = data_dir / "aftercare.db"
    port = _free_port()
    env = {
        **os.environ,
        "AFTERCARE_ENVIRONMENT": "development",
        "AFTERCARE_DATA_DIR": str(data_dir),
        "AFTERCARE_DATABASE_URL": f"sqlite:///{data_dir / 'aftercare.db'}",
        "AFTERCARE_SECRET_KEY": "e2e-secret-key-0123456789-0123456789-abcdef",
        "AFTERCARE_BASE_URL": f"http://127.0.0.1:{port}",
        # The journeys sign in and submit forms many times in a minute.
        "AFTERCARE_PUBLIC_RATE_LIMIT": "1000/minute",
        "AFTERCARE_LOGIN_RATE_LIMIT": "1000/minute",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])),
    }
    env.pop("AFTERCARE_TEST_DATABASE_URL", None)
    _run([sys.executable, "-m", "entry.cli", "db", "upgrade"], env)
    _run([sys.executable, "-m", "entry.cli", "demo"], env)
    # Canned replies for the agent journeys (idempotent if `aftercare demo` already loads them).
    _run([sys.executable, "-c", LOAD_DEMO_MACROS], env)
    log_path = data_dir / "server.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        uvicorn_command(port),
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(server, base_url, log_path, SERVER_START_TIMEOUT)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


# Module scope, not session: sync Playwright can't run twice at once in one thread, and other
# test folders start their own; each module's browser is closed before the next module starts.
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. Install it with `make browsers` (apt-get install chromium "
            "fonts-thai-tlwg), point AFTERCARE_CHROMIUM at it, or set AFTERCARE_SKIP_BROWSER=1 to skip the "
            "browser tests on this machine.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class PageWatch:
    """What a page did that it must not: open dialogs (alert/confirm: script ran), break the CSP."""

    dialogs: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.dialogs, f"a dialog opened (injected script ran?): {self.dialogs}"
        assert not self.csp_violations, f"Content-Security-Policy violations: {self.csp_violations}"
        assert not self.page_errors, f"JavaScript errors: {self.page_errors}"


@dataclass
class BrowserSession:
    context: object
    page: object
    watch: PageWatch


@pytest.fixture
def open_session(browser, live_server, request):
    """Open a fresh browser profile (own cookies): ``open_session(locale="pl-PL")``."""
    sessions: list[BrowserSession] = []

    def _open(*, locale: str = "en-GB", viewport: dict | None = None) -> BrowserSession:
        context = browser.new_context(
            base_url=live_server,
            locale=locale,
            viewport=viewport or {"width": 1280, "height": 900},
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        watch = PageWatch()

        def on_dialog(dialog) -> None:
            watch.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        def on_console(message) -> None:
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
                watch.csp_violations.append(message.text)

        page.on("dialog", on_dialog)
        page.on("console", on_console)
        page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
        session = BrowserSession(context=context, page=page, watch=watch)
        sessions.append(session)
        return session

    yield _open
    for session in sessions:
        session.context.close()


@pytest.fixture
def screenshot(request):
    """``screenshot(page, "step")`` saves artifacts/screenshots/<test>-<step>.png."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name).strip("_")

    def _take(page, step: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOT_DIR / f"{test_name}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return _take


def sign_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form[action='/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/agent/|/tickets"))


@contextmanager
def signed_in_page(browser, base_url: str, email: str, password: str, **context_options) -> Iterator:
    """A page of a new browser context, signed in through the login form as ``email``.

    Leaving the block closes the context and fails the test on any JavaScript error the page raised.
    """
    context = browser.new_context(base_url=base_url, **({"locale": "en-GB"} | context_options))
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form[action='/login'] button[type=submit]").click()
    page.wait_for_url("**/agent/**")
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"
