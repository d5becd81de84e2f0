"""Helpers for tests that start a real ``aftercare serve`` (or another server) as a subprocess."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    """A port nothing listens on (bound, then released without listening)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def uvicorn_command(port: int) -> list[str]:
    """The app under uvicorn on 127.0.0.1:``port``, as the browser tests serve it (run from the repo root)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "entry.asgi:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]


def wait_until_ready(server: subprocess.Popen, base_url: str, log_path: Path, timeout: float) -> None:
    """Return once ``/healthz`` answers 200; fail with the server's log if it exits or times out."""
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            pytest.fail(f"the server exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"no /healthz within {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.25)
