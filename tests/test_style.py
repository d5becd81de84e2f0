"""ruff's lint and format checks pass on the whole repository, as pyproject's ``[tool.ruff]`` sets them.

``ruff`` (in the ``test`` extra) is run as CI runs it: the venv's executable, from the repo root. A
missing executable fails here rather than skipping, so that CI never passes without the check.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).parent / "ruff"
RUFF_TIMEOUT_SECONDS = 300


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    assert RUFF.exists(), f"{RUFF} is missing: install the test extra (pip install -e '.[test]')"
    return subprocess.run(
        [str(RUFF), *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=RUFF_TIMEOUT_SECONDS
    )


def test_ruff_check_finds_nothing():
    result = _ruff("check", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_every_file_is_formatted():
    result = _ruff("format", "--check", ".")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("import os\n", "F401"),  # an unused import
        ("def f():\n    try:\n        pass\n    except ValueError:\n        raise KeyError('x')\n", "B904"),
    ],
)
def test_ruff_catches_what_the_config_asks_for(tmp_path, source, rule):
    # In the repo's configuration (run from its root), on a file outside it: the rules are live.
    probe = tmp_path / "probe.py"
    probe.write_text(source, encoding="utf-8")
    result = _ruff("check", "--output-format", "concise", "--config", str(REPO_ROOT / "pyproject.toml"), str(probe))
    assert result.returncode == 1 and rule in result.stdout, result.stdout + result.stderr
