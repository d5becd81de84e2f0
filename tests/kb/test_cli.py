"""``aftercare kb import`` and ``aftercare kb export`` as operators run them: real processes, real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kb.test_importing import RESET, RESET_PL, write


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AFTERCARE_DATA_DIR": str(data_dir), "AFTERCARE_DATABASE_URL": ""}
    env.pop("AFTERCARE_TEST_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "entry.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kb-cli-template")
    result = run_cli(folder, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture
def data_dir(migrated_template: Path, tmp_path: Path) -> Path:
    # A copy of one migrated database per test: migrating costs a process start each time.
    shutil.copytree(migrated_template, tmp_path / "data")
    return tmp_path / "data"


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    write(folder, "reset.md", RESET)
    write(folder, "reset.pl.md", RESET_PL)
    return folder


def test_import_reports_created_then_unchanged(data_dir, articles):
    first = run_cli(data_dir, "kb", "import", str(articles))
    second = run_cli(data_dir, "kb", "import", str(articles))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().endswith("2 created, 0 updated, 0 unchanged")
    assert second.stdout.strip().endswith("0 created, 0 updated, 2 unchanged")


def test_bad_file_fails_naming_it_and_imports_nothing(data_dir, articles):
    bad = write(articles, "zz-bad.md", "---\ntitle: Broken\nkind: recipe\n---\nBody\n")
    result = run_cli(data_dir, "kb", "import", str(articles))
    assert result.returncode == 1
    assert f"{bad}:3: kind:" in result.stderr and "nothing was imported" in result.stderr
    assert run_cli(data_dir, "kb", "export").stdout == ""


def test_dry_run_writes_nothing(data_dir, articles):
    result = run_cli(data_dir, "kb", "import", str(articles), "--dry-run")
    assert result.returncode == 0 and "2 created" in result.stdout
    assert run_cli(data_dir, "kb", "export").stdout == ""


def test_markdown_export_imports_into_another_database(data_dir, articles, tmp_path, migrated_template):
    assert run_cli(data_dir, "kb", "import", str(articles)).returncode == 0
    out = tmp_path / "export"
    assert run_cli(data_dir, "kb", "export", "--format", "markdown", "--out", str(out)).returncode == 0
    other = tmp_path / "other"
    shutil.copytree(migrated_template, other)
    assert run_cli(other, "kb", "import", str(out)).returncode == 0
    original = run_cli(data_dir, "kb", "export").stdout
    copied = run_cli(other, "kb", "export").stdout
    assert copied == original and len(original.splitlines()) == 2
    assert json.loads(original.splitlines()[0])["slug"] == "nimbus-factory-reset"


def test_markdown_export_needs_an_output_folder(data_dir):
    result = run_cli(data_dir, "kb", "export", "--format", "markdown")
    assert result.returncode == 2 and "--out" in result.stderr
