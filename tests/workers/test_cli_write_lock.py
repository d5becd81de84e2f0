"""Commands that write (``kb import``, ``purchases import/schedule/scan-lapsed``) while another
process holds SQLite's write lock past the busy timeout: a clear message, exit status 75
(EX_TEMPFAIL: try again), nothing half-written; and once the lock is free the same command works.

In-process (typer's runner) on a real SQLite file, with the busy timeout shortened so that the
test does not wait out the real 15 seconds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import aftercare.db
from aftercare import migrate
from aftersales import cli as purchases_cli
from kb import cli as kb_cli
from tests.conftest import env
from tests.kb.test_importing import RESET, write

CSV_TEXT = (
    "external_order_id,customer_email,sku,product_name,amount,currency,purchased_at\n"
    "O-1,ann@example.com,NIM-1,Nimbus,129.00,EUR,2026-01-05T10:00:00Z\n"
)


@pytest.fixture
def sqlite_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "cli.db"
    migrate.upgrade(f"sqlite:///{path}")
    monkeypatch.setattr(aftercare.db, "SQLITE_BUSY_TIMEOUT_SECONDS", 0.3)
    with env(AFTERCARE_DATABASE_URL=f"sqlite:///{path}"):
        yield path


@pytest.fixture
def lock_holder(sqlite_path: Path) -> Iterator[sqlite3.Connection]:
    holder = sqlite3.connect(sqlite_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield holder
    if holder.in_transaction:
        holder.execute("ROLLBACK")
    holder.close()


def _count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_kb_import_against_a_held_lock_says_so_and_writes_nothing(sqlite_path, lock_holder, tmp_path):
    folder = tmp_path / "articles"
    write(folder, "reset.md", RESET)
    result = CliRunner().invoke(kb_cli.app, ["import", str(folder)])
    assert result.exit_code == 75
    assert "locked by another writer" in result.output and "run the command again" in result.output
    lock_holder.execute("ROLLBACK")
    assert _count(sqlite_path, "articles") == 0
    again = CliRunner().invoke(kb_cli.app, ["import", str(folder)])
    assert again.exit_code == 0, again.output
    assert _count(sqlite_path, "articles") == 1


def test_purchases_import_against_a_held_lock_says_so(sqlite_path, lock_holder, tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text(CSV_TEXT, encoding="utf-8")
    result = CliRunner().invoke(purchases_cli.app, ["import", str(orders)])
    assert result.exit_code == 75 and "locked by another writer" in result.output
    lock_holder.execute("ROLLBACK")
    assert CliRunner().invoke(purchases_cli.app, ["import", str(orders)]).exit_code == 0
    assert _count(sqlite_path, "purchases") == 1


@pytest.mark.parametrize("command", ["schedule", "scan-lapsed"])
def test_after_sales_passes_against_a_held_lock_say_so(sqlite_path, lock_holder, command):
    result = CliRunner().invoke(purchases_cli.app, [command])
    assert result.exit_code == 75 and "nothing was changed" in result.output
