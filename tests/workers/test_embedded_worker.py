"""`aftercare serve` runs the task queue's worker itself on the embedded default (workers.embedded).

Real processes: `aftercare serve` on a fresh SQLite data dir, a real SMTP server (aiosmtpd) in the
test process, the contact form submitted over HTTP with its CSRF token. Nobody runs
`aftercare worker`: the confirmation reaches the SMTP server only if the server runs the queue.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from aftercare.config import EmbeddedWorker, Settings
from tests.helpdesk.email.conftest import SmtpSink, free_port
from tests.serving import wait_until_ready
from workers import embedded

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT = 300.0
# The worker polls an empty queue at most every 10 s (Huey's backoff ceiling); the nudge after
# the ticket's commit is picked up on its next poll.
DELIVERY_TIMEOUT = 60.0
CUSTOMER = "nadia@example.com"


def _environment(data_dir: Path, port: int, smtp_port: int, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "AFTERCARE_ENVIRONMENT": "development",
        "AFTERCARE_DATA_DIR": str(data_dir),
        "AFTERCARE_DATABASE_URL": "",
        "AFTERCARE_QUEUE_URL": "",  # the embedded default: a SQLite file in the data dir
        "AFTERCARE_BASE_URL": f"http://127.0.0.1:{port}",
        "AFTERCARE_SMTP_HOST": "127.0.0.1",
        "AFTERCARE_SMTP_PORT": str(smtp_port),
        "AFTERCARE_SMTP_TIMEOUT_SECONDS": "5",
        "AFTERCARE_MAIL_FROM": "Aftercare Support <support@help.example.com>",
        "AFTERCARE_PUBLIC_RATE_LIMIT": "1000/minute",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])),
        **extra,
    }
    env.pop("AFTERCARE_TEST_DATABASE_URL", None)
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "entry.cli", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"aftercare {' '.join(args)} failed:\n{result.stderr[-3000:]}"
    return result


@contextmanager
def serving(env: dict[str, str], port: int, log_path: Path) -> Iterator[str]:
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "entry.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
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
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


def submit_contact_form(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=60) as client:
        page = client.get("/contact")
        assert page.status_code == 200
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
        assert token, "the contact form has no CSRF token"
        answer = client.post(
            "/contact",
            data={
                "csrf_token": token.group(1),
                "customer_email": CUSTOMER,
                "customer_name": "Nadia",
                "subject": "The thermostat keeps losing Wi-Fi",
                "body": "Since Monday it drops the network every hour.",
            },
        )
        assert answer.status_code == 303, answer.text[-2000:]


def wait_for_mail(sink: SmtpSink, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        recipients = [address for delivery in sink.delivered for address in delivery.rcpt_tos]
        if CUSTOMER in recipients:
            return recipients
        time.sleep(0.25)
    return [address for delivery in sink.delivered for address in delivery.rcpt_tos]


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    smtp = SmtpSink(free_port())
    smtp.start()
    try:
        yield smtp
    finally:
        smtp.stop()


def test_serve_sends_the_contact_form_confirmation_without_a_separate_worker(tmp_path, sink):
    port = free_port()
    env = _environment(tmp_path, port, sink.port)  # AFTERCARE_EMBEDDED_WORKER unset: auto
    _cli(env, "db", "upgrade")
    with serving(env, port, tmp_path / "serve.log") as base_url:
        submit_contact_form(base_url)
        recipients = wait_for_mail(sink, DELIVERY_TIMEOUT)
    log = (tmp_path / "serve.log").read_text()
    assert CUSTOMER in recipients, f"no confirmation reached the SMTP server:\n{log[-3000:]}"


def _queued_mail(data_dir: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(data_dir / "aftercare.db") as connection:
        return connection.execute("SELECT to_address, status FROM outbox_messages").fetchall()


def test_with_the_embedded_worker_off_the_mail_waits_for_aftercare_worker(tmp_path, sink):
    port = free_port()
    env = _environment(tmp_path, port, sink.port, AFTERCARE_EMBEDDED_WORKER="off")
    _cli(env, "db", "upgrade")
    with serving(env, port, tmp_path / "serve.log") as base_url:
        submit_contact_form(base_url)
        # Longer than the embedded worker's worst poll interval (10 s) plus a delivery.
        assert wait_for_mail(sink, 20.0) == []
    assert [address for address, _ in _queued_mail(tmp_path)] == [CUSTOMER]
    # It was queued, not lost: the separate worker sends it to the same SMTP server.
    _cli(env, "worker", "--once")
    assert CUSTOMER in wait_for_mail(sink, 10.0)


# --- which processes run it --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "queue_url", "expected"),
    [
        (EmbeddedWorker.AUTO, "", True),  # the embedded default: nothing else would run the jobs
        (EmbeddedWorker.AUTO, "sqlite:////srv/aftercare/queue.db", True),
        (EmbeddedWorker.AUTO, "redis://127.0.0.1:6379/0", False),  # scale-out: `aftercare worker` runs them
        (EmbeddedWorker.ON, "redis://127.0.0.1:6379/0", True),
        (EmbeddedWorker.OFF, "", False),
    ],
)
def test_auto_runs_the_worker_only_on_the_embedded_queue(setting, queue_url, expected):
    settings = Settings(embedded_worker=setting, queue_url=queue_url)
    assert embedded.wanted(settings) is expected


def test_only_one_process_per_data_dir_runs_it(tmp_path):
    settings = Settings(data_dir=tmp_path, queue_url="", embedded_worker=EmbeddedWorker.ON)
    first = embedded.start(settings)
    assert first is not None
    try:
        # A second `serve` on the same data dir: the lock is taken (flock is per open file, so a
        # second opening in this process stands for another process).
        assert embedded.start(settings) is None
    finally:
        first.stop()
    again = embedded.start(settings)
    assert again is not None, "the lock was not released when the first worker stopped"
    again.stop()
