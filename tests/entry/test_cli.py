"""The ``aftercare`` command as operators use it: real processes, a real SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(tmp_path: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AFTERCARE_DATA_DIR": str(tmp_path), "AFTERCARE_DATABASE_URL": "", **extra_env}
    env.pop("AFTERCARE_TEST_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "entry.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    result = run_cli(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    return tmp_path


def test_help_lists_the_commands(tmp_path):
    result = run_cli(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("db", "serve", "demo", "create-user"):
        assert command in result.stdout


def test_db_upgrade_creates_the_sqlite_file(migrated):
    assert (migrated / "aftercare.db").exists()


def test_create_user_prints_token_alone_on_last_line(migrated):
    result = run_cli(migrated, "create-user", "--email", "a@example.com", "--name", "Ann", "--role", "agent")
    assert result.returncode == 0, result.stderr
    last_line = result.stdout.strip().splitlines()[-1]
    assert last_line.startswith("ac_") and " " not in last_line


def test_create_user_with_unknown_role_fails_clearly(migrated):
    result = run_cli(migrated, "create-user", "--email", "a@example.com", "--name", "Ann", "--role", "wizard")
    assert result.returncode != 0
    assert "unknown role" in result.stderr


def test_create_user_twice_fails_clearly(migrated):
    args = ("create-user", "--email", "a@example.com", "--name", "Ann", "--role", "admin")
    assert run_cli(migrated, *args).returncode == 0
    second = run_cli(migrated, *args)
    assert second.returncode != 0 and "already exists" in second.stderr


def test_create_user_without_schema_says_to_migrate(tmp_path):
    result = run_cli(tmp_path, "create-user", "--email", "a@example.com", "--name", "Ann", "--role", "agent")
    assert result.returncode != 0 and "aftercare db upgrade" in result.stderr


def test_serve_refuses_default_secret_in_production(migrated):
    result = run_cli(
        migrated,
        "serve",
        "--port",
        "8765",
        AFTERCARE_ENVIRONMENT="production",
        AFTERCARE_SECRET_KEY="dev-insecure-change-me",
    )
    assert result.returncode != 0 and "AFTERCARE_SECRET_KEY" in result.stderr


def test_demo_loads_tickets_in_five_languages_and_is_idempotent(migrated):
    import sqlite3

    def ticket_rows() -> tuple[set[str], int]:
        with sqlite3.connect(migrated / "aftercare.db") as connection:
            languages = {row[0] for row in connection.execute("SELECT language FROM tickets")}
            return languages, connection.execute("SELECT count(*) FROM tickets").fetchone()[0]

    first = run_cli(migrated, "demo")
    assert first.returncode == 0, first.stderr
    languages, count_after_first = ticket_rows()
    second = run_cli(migrated, "demo")
    assert second.returncode == 0, second.stderr
    assert {"en", "pl", "id", "tl", "th"} <= languages
    assert "demo loaded: 0 new tickets" in second.stdout
    assert ticket_rows()[1] == count_after_first


def test_serve_answers_healthz(migrated):
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "AFTERCARE_DATA_DIR": str(migrated), "AFTERCARE_DATABASE_URL": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "entry.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and status != 200:
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status
            except OSError:
                time.sleep(0.3)
        assert status == 200
    finally:
        process.terminate()
        process.wait(timeout=30)


# --- the development secret key is refused wherever others can reach the process ---------------

DEFAULT_SECRET = "dev-insecure-change-me"  # the value published in aftercare/config.py


def run_cli_briefly(tmp_path: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """Run a command that should refuse to start; one that starts instead fails the test quickly."""
    env = {**os.environ, "AFTERCARE_DATA_DIR": str(tmp_path), "AFTERCARE_DATABASE_URL": "", **extra_env}
    env.pop("AFTERCARE_TEST_DATABASE_URL", None)
    try:
        return subprocess.run(
            [sys.executable, "-m", "entry.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"aftercare {' '.join(args)} started instead of refusing the default secret key")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.com"])
def test_serve_on_a_non_loopback_address_refuses_the_default_secret_even_in_development(migrated, host):
    result = run_cli_briefly(
        migrated,
        "serve",
        "--host",
        host,
        "--port",
        str(_free_port()),
        AFTERCARE_ENVIRONMENT="development",
        AFTERCARE_SECRET_KEY=DEFAULT_SECRET,
    )
    assert result.returncode == 1
    assert "AFTERCARE_SECRET_KEY" in result.stderr and "non-loopback" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_on_loopback_in_development_accepts_the_default_secret(migrated):
    import time
    import urllib.request

    port = _free_port()
    env = {
        **os.environ,
        "AFTERCARE_DATA_DIR": str(migrated),
        "AFTERCARE_DATABASE_URL": "",
        "AFTERCARE_ENVIRONMENT": "development",
        "AFTERCARE_SECRET_KEY": DEFAULT_SECRET,
        "AFTERCARE_EMBEDDED_WORKER": "off",
    }
    env.pop("AFTERCARE_TEST_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "entry.cli", "serve", "--host", "localhost", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and status != 200 and process.poll() is None:
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status
            except OSError:
                time.sleep(0.3)
        assert status == 200, process.stderr.read().decode() if process.poll() is not None else "no /healthz"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("environment", ["production", "test"])
def test_worker_outside_development_refuses_the_default_secret(migrated, environment):
    result = run_cli_briefly(
        migrated,
        "worker",
        "--once",
        AFTERCARE_ENVIRONMENT=environment,
        AFTERCARE_SECRET_KEY=DEFAULT_SECRET,
        AFTERCARE_QUEUE_URL="",
    )
    assert result.returncode == 1
    assert "AFTERCARE_SECRET_KEY" in result.stderr and f"AFTERCARE_ENVIRONMENT={environment}" in result.stderr


def test_worker_in_development_runs_with_the_default_secret(migrated):
    result = run_cli_briefly(
        migrated,
        "worker",
        "--once",
        AFTERCARE_ENVIRONMENT="development",
        AFTERCARE_SECRET_KEY=DEFAULT_SECRET,
        AFTERCARE_QUEUE_URL="",
    )
    assert result.returncode == 0, result.stderr
    assert "ran " in result.stdout


MESSAGE = (
    b"From: Ann Customer <ann@example.com>\r\nTo: support@help.example.com\r\n"
    b"Subject: The robot will not charge\r\nMessage-ID: <refused-1@example.com>\r\n\r\nIt stays at 0 %.\r\n"
)


def _ticket_count(data_dir: Path) -> int:
    import sqlite3

    with sqlite3.connect(data_dir / "aftercare.db") as connection:
        return connection.execute("SELECT count(*) FROM tickets").fetchone()[0]


def test_mail_in_from_a_pipe_outside_development_defers_the_message_with_the_default_secret(migrated):
    env = {
        **os.environ,
        "AFTERCARE_DATA_DIR": str(migrated),
        "AFTERCARE_DATABASE_URL": "",
        "AFTERCARE_ENVIRONMENT": "production",
        "AFTERCARE_SECRET_KEY": DEFAULT_SECRET,
    }
    env.pop("AFTERCARE_TEST_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "entry.cli", "mail-in", "--stdin"],
        input=MESSAGE,
        env=env,
        capture_output=True,
        timeout=120,
    )
    # 75 (EX_TEMPFAIL): the mail server keeps the message and retries, rather than bouncing it.
    assert result.returncode == 75
    assert b"AFTERCARE_SECRET_KEY" in result.stderr
    assert _ticket_count(migrated) == 0


def test_mail_in_server_on_a_non_loopback_address_refuses_the_default_secret(migrated):
    result = run_cli_briefly(
        migrated,
        "mail-in",
        "--host",
        "0.0.0.0",
        "--port",
        str(_free_port()),
        AFTERCARE_ENVIRONMENT="development",
        AFTERCARE_SECRET_KEY=DEFAULT_SECRET,
    )
    assert result.returncode == 1
    assert "AFTERCARE_SECRET_KEY" in result.stderr and "non-loopback" in result.stderr


# ---- set-password, and create-user for a customer who wrote in ---------------------------------------


def _run_with_input(data_dir: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AFTERCARE_DATA_DIR": str(data_dir), "AFTERCARE_DATABASE_URL": ""}
    env.pop("AFTERCARE_TEST_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "entry.cli", *args], env=env, input=text, capture_output=True, text=True, timeout=300
    )


def _stored(data_dir: Path, query: str, *params: object) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(data_dir / "aftercare.db") as connection:
        return connection.execute(query, params).fetchall()


def test_set_password_from_stdin_lets_the_user_sign_in_with_it(migrated):
    from accounts.service import verify_password

    run_cli(migrated, "create-user", "--email", "ann@example.com", "--name", "Ann", "--role", "agent")
    result = _run_with_input(
        migrated, "a long new password\n", "set-password", "--email", "Ann@example.com", "--password-stdin"
    )
    assert result.returncode == 0, result.stderr
    [(stored,)] = _stored(migrated, "select password_hash from users where email = ?", "ann@example.com")
    assert verify_password(stored, "a long new password")


def test_set_password_asks_twice(migrated):
    from accounts.service import verify_password

    run_cli(migrated, "create-user", "--email", "ann@example.com", "--name", "Ann", "--role", "agent")
    result = _run_with_input(
        migrated, "typed twice here\ntyped twice here\n", "set-password", "--email", "ann@example.com"
    )
    assert result.returncode == 0, result.stderr
    [(stored,)] = _stored(migrated, "select password_hash from users where email = ?", "ann@example.com")
    assert verify_password(stored, "typed twice here")


def test_set_password_for_an_unknown_email_fails_clearly(migrated):
    result = _run_with_input(
        migrated, "a long new password\n", "set-password", "--email", "nobody@example.com", "--password-stdin"
    )
    assert result.returncode == 1 and "no user with email nobody@example.com" in result.stderr


def test_create_user_attaches_to_a_customer_who_wrote_in(migrated):
    import sqlite3

    with sqlite3.connect(migrated / "aftercare.db") as connection:
        connection.execute(
            "insert into customers (email, name, consent_marketing, consent_surveys, created_at, updated_at)"
            " values ('zofia@example.com', 'Zofia', 0, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
    [(customer_id,)] = _stored(migrated, "select id from customers where email = ?", "zofia@example.com")
    result = run_cli(migrated, "create-user", "--email", "Zofia@example.com", "--name", "Zofia", "--role", "customer")
    assert result.returncode == 0, result.stderr
    assert _stored(migrated, "select customer_id from users where email = ?", "zofia@example.com") == [(customer_id,)]
    assert _stored(migrated, "select count(*) from customers") == [(1,)]
