"""``aftercare kb reindex`` as an operator runs it: a real process on a real database file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kb.search.keeper import KEEPER_MANIFEST
from tests.kb.test_importing import RESET, RESET_PL, write


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AFTERCARE_DATA_DIR": str(data_dir), "AFTERCARE_DATABASE_URL": ""}
    env.pop("AFTERCARE_TEST_DATABASE_URL", None)
    env.pop("AFTERCARE_INDEX_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "entry.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_reindex_builds_and_saves_the_index(tmp_path):
    data_dir = tmp_path / "data"
    write(tmp_path / "articles", "reset.md", RESET)
    write(tmp_path / "articles", "reset.pl.md", RESET_PL)
    for args in (("db", "upgrade"), ("kb", "import", str(tmp_path / "articles"))):
        assert run_cli(data_dir, *args).returncode == 0
    first = run_cli(data_dir, "kb", "reindex")
    second = run_cli(data_dir, "kb", "reindex")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("indexed 2 documents")
    manifests = list((data_dir / "index").glob(f"*/{KEEPER_MANIFEST}"))
    assert len(manifests) == 1
    manifest = json.loads(manifests[0].read_text())
    assert manifest["documents"] == 2 and manifest["embedder_id"].startswith("e5:")
    assert second.returncode == 0 and "indexed 2 documents" in second.stdout


def test_reindex_without_a_schema_says_what_to_do(tmp_path):
    result = run_cli(tmp_path / "empty", "kb", "reindex")
    assert result.returncode == 1 and "aftercare db upgrade" in result.stderr


def test_a_second_reindex_of_an_unchanged_database_embeds_nothing(tmp_path):
    data_dir = tmp_path / "data"
    write(tmp_path / "articles", "reset.md", RESET)
    for args in (("db", "upgrade"), ("kb", "import", str(tmp_path / "articles"))):
        assert run_cli(data_dir, *args).returncode == 0
    first = run_cli(data_dir, "kb", "reindex")
    second = run_cli(data_dir, "kb", "reindex")
    forced = run_cli(data_dir, "kb", "reindex", "--no-reuse")
    assert first.returncode == second.returncode == forced.returncode == 0, second.stderr
    assert ", 0 embedded)" not in first.stdout
    assert ", 0 embedded)" in second.stdout
    assert ", 0 embedded)" not in forced.stdout


def test_reindex_reports_its_rate_and_when_it_is_done(tmp_path):
    data_dir = tmp_path / "data"
    write(tmp_path / "articles", "reset.md", RESET)
    write(tmp_path / "articles", "reset.pl.md", RESET_PL)
    for args in (("db", "upgrade"), ("kb", "import", str(tmp_path / "articles"))):
        assert run_cli(data_dir, *args).returncode == 0

    result = run_cli(data_dir, "kb", "reindex")

    # Not a terminal here, so progress is logged as lines on stderr; the last one is the end.
    lines = [line for line in result.stderr.splitlines() if line.startswith("reindex: ")]
    assert lines and lines[-1].startswith("reindex: 2/2 documents")
    assert "units/s" in lines[-1] and "chunks embedded/s" in lines[-1] and lines[-1].endswith("done")
