"""``aftercare purchases import`` as operators run it: a real process and a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.entry.test_cli import run_cli

CSV_TEXT = (
    "external_order_id,customer_email,sku,product_name,amount,currency,purchased_at\n"
    "O-1,ann@example.com,NIM-1,Nimbus,129.00,EUR,2026-01-05T10:00:00Z\n"
    "O-2,broken-address,NIM-1,Nimbus,129.00,EUR,2026-01-05T10:00:00Z\n"
    "O-3,bob@example.com,AUR-1,Aurora,349.50,EUR,2026-01-07T08:00:00Z\n"
)


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    result = run_cli(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    return tmp_path


def purchases_in(directory: Path) -> list[str]:
    with sqlite3.connect(directory / "aftercare.db") as connection:
        return [row[0] for row in connection.execute("SELECT external_order_id FROM purchases ORDER BY 1")]


def test_import_reports_bad_rows_by_number_and_is_idempotent(migrated):
    orders = migrated / "orders.csv"
    orders.write_text(CSV_TEXT, encoding="utf-8")
    first = run_cli(migrated, "purchases", "import", str(orders))
    assert first.returncode == 1
    assert "row 3: customer_email" in first.stderr
    assert "imported 2 new purchase(s), 0 already known, 1 invalid row(s)" in first.stdout
    second = run_cli(migrated, "purchases", "import", str(orders))
    assert "imported 0 new purchase(s), 2 already known" in second.stdout
    assert purchases_in(migrated) == ["O-1", "O-3"]


def test_all_or_nothing_writes_nothing_when_a_row_is_bad(migrated):
    orders = migrated / "orders.csv"
    orders.write_text(CSV_TEXT, encoding="utf-8")
    result = run_cli(migrated, "purchases", "import", "--all-or-nothing", str(orders))
    assert result.returncode == 1 and "nothing imported" in result.stdout
    assert purchases_in(migrated) == []


def test_a_file_without_the_needed_columns_is_refused(migrated):
    orders = migrated / "orders.csv"
    orders.write_text("order,email\n1,a@example.com\n", encoding="utf-8")
    result = run_cli(migrated, "purchases", "import", str(orders))
    assert result.returncode == 1 and "lacks column(s)" in result.stderr


# Operators' cron lines and scripts name these commands; moving the package must not rename them.
@pytest.mark.parametrize("command", ["import", "schedule", "scan-lapsed"])
def test_the_purchases_commands_keep_their_names(tmp_path, command):
    result = run_cli(tmp_path, "purchases", command, "--help")
    assert result.returncode == 0, result.stderr
    # An unknown command exits 2 ("No such command"); the usage line names the command that answered.
    assert f"purchases {command} [OPTIONS]" in " ".join(result.stdout.split())
