"""``aftercare serve`` believes X-Forwarded-For exactly as the app does: only from
AFTERCARE_TRUSTED_PROXIES. uvicorn's own default trusts 127.0.0.1, which would let anything on
this machine (or a client behind a local proxy that passes the header on) pick its address.

A real server process on a real SQLite file; the intake limit (2 a minute) shows whose counter a
request went to.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

SERVER_START_TIMEOUT = 120.0
TICKET = {"customer_email": "ana@example.com", "subject": "The heater clicks", "body": "It clicks at night."}


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "AFTERCARE_DATA_DIR": str(data_dir),
        "AFTERCARE_DATABASE_URL": "",
        "AFTERCARE_PUBLIC_RATE_LIMIT": "2/minute",
        **extra,
    }
    env.pop("AFTERCARE_TEST_DATABASE_URL", None)
    env.pop("FORWARDED_ALLOW_IPS", None)
    return env


def _serve(data_dir: Path, **extra: str) -> Iterator[str]:
    migrate = subprocess.run(
        [sys.executable, "-m", "entry.cli", "db", "upgrade"],
        env=_env(data_dir, **extra),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (data_dir / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "entry.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=_env(data_dir, **extra),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"aftercare serve did not answer /healthz:\n{(data_dir / 'serve.log').read_text()[-3000:]}")
            time.sleep(0.3)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture
def served_untrusting(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path)


@pytest.fixture
def served_behind_local_proxy(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path, AFTERCARE_TRUSTED_PROXIES="127.0.0.1")


def _intake(base_url: str, clients: list[str]) -> list[int]:
    with httpx.Client(base_url=base_url, timeout=60) as client:
        return [
            client.post("/api/v1/tickets", json=TICKET, headers={"X-Forwarded-For": ip}).status_code for ip in clients
        ]


def test_by_default_serve_ignores_x_forwarded_for_even_from_localhost(served_untrusting):
    # Three invented addresses from one peer are one client.
    assert _intake(served_untrusting, ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) == [201, 201, 429]


def test_serve_believes_a_configured_proxy(served_behind_local_proxy):
    assert _intake(served_behind_local_proxy, ["203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.1"]) == [
        201,
        201,
        201,
        429,
    ]
