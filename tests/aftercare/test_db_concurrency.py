"""The embedded default under concurrent writers: `aftercare serve --workers 4` on one SQLite file.

Real processes, real HTTP, a real SQLite file with the demo loaded (so that each new ticket also
wakes the keeper, whose stored suggestions are writes of their own). Eight client threads post
300 tickets between them. A 503 with ``Retry-After`` is the documented answer to a lock that
stays busy, so a client retries it; a 500 is never acceptable, and every 201 must be in the file.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serving import free_port, wait_until_ready

REPO_ROOT = Path(__file__).resolve().parents[2]
# Four processes load the embedding model and the saved demo index: a minute on a loaded CI box.
SERVER_START_TIMEOUT = 600.0
TICKETS = 300
CLIENTS = 8
WEB_WORKERS = 4
# A 503 says "try again shortly"; a client that is still refused after this many tries is a failure.
MAX_TRIES = 20

pytestmark = pytest.mark.slow


def _environment(data_dir: Path, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "AFTERCARE_ENVIRONMENT": "development",
        "AFTERCARE_DATA_DIR": str(data_dir),
        "AFTERCARE_DATABASE_URL": "",  # the default: a SQLite file in the data dir
        "AFTERCARE_BASE_URL": f"http://127.0.0.1:{port}",
        "AFTERCARE_PUBLIC_RATE_LIMIT": "100000/minute",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])),
    }
    env.pop("AFTERCARE_TEST_DATABASE_URL", None)
    return env


def _cli(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "entry.cli", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"aftercare {' '.join(args)} failed:\n{result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Base URL of `aftercare serve --workers 4` on a fresh demo database, and that database file."""
    data_dir = tmp_path_factory.mktemp("concurrent-sqlite")
    port = free_port()
    env = _environment(data_dir, port)
    _cli(env, "db", "upgrade")
    _cli(env, "demo")
    # Built once here and saved in the data dir, the index is loaded by each of the four workers
    # instead of being built by all four at once on two cores.
    _cli(env, "kb", "reindex")
    log_path = data_dir / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "entry.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(WEB_WORKERS),
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(server, base_url, log_path, SERVER_START_TIMEOUT)
            yield base_url, data_dir / "aftercare.db"
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


class Outcome:
    """What the clients saw, shared between their threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.created: dict[str, int] = {}  # subject -> ticket id from the 201
        self.busy_without_retry_after = 0
        self.gave_up: list[str] = []
        self.transport_errors: list[str] = []


def _post_until_answered(client: httpx.Client, subject: str, outcome: Outcome) -> None:
    payload = {
        "customer_email": f"{subject.replace(' ', '-')}@example.com",
        "subject": subject,
        "body": f"My vacuum stopped charging overnight ({subject}). What can I do?",
    }
    for _ in range(MAX_TRIES):
        try:
            response = client.post("/api/v1/tickets", json=payload)
        except httpx.TransportError as error:  # e.g. the server dropped the connection after an error
            with outcome.lock:
                outcome.transport_errors.append(f"{subject}: {error!r}")
            return
        with outcome.lock:
            outcome.statuses[response.status_code] += 1
            if response.status_code == 503 and "retry-after" not in response.headers:
                outcome.busy_without_retry_after += 1
        if response.status_code == 201:
            with outcome.lock:
                outcome.created[subject] = response.json()["id"]
            return
        if response.status_code != 503:
            return
        time.sleep(min(float(response.headers.get("retry-after", "1")), 1.0))
    with outcome.lock:
        outcome.gave_up.append(subject)


def _client_thread(base_url: str, subjects: list[str], outcome: Outcome) -> None:
    with httpx.Client(base_url=base_url, timeout=120) as client:
        for subject in subjects:
            _post_until_answered(client, subject, outcome)


@pytest.fixture(scope="module")
def burst(served: tuple[str, Path]) -> tuple[Outcome, Path]:
    base_url, database_file = served
    outcome = Outcome()
    subjects = [f"concurrent ticket {number}" for number in range(TICKETS)]
    threads = [
        threading.Thread(target=_client_thread, args=(base_url, subjects[index::CLIENTS], outcome))
        for index in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome, database_file


def test_no_post_answers_500(burst):
    outcome, _ = burst
    assert outcome.statuses[500] == 0, dict(outcome.statuses)


def test_every_ticket_is_eventually_created(burst):
    outcome, _ = burst
    assert (len(outcome.created), outcome.gave_up) == (TICKETS, []), dict(outcome.statuses)


def test_no_connection_is_dropped(burst):
    outcome, _ = burst
    assert outcome.transport_errors == []


def test_every_201_is_in_the_database(burst):
    outcome, database_file = burst
    with sqlite3.connect(database_file) as connection:
        stored = dict(connection.execute("SELECT subject, id FROM tickets WHERE subject LIKE 'concurrent ticket %'"))
    assert stored == outcome.created


def test_busy_answers_say_when_to_retry(burst):
    outcome, _ = burst
    assert outcome.busy_without_retry_after == 0
