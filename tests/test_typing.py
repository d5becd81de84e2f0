"""mypy passes, strictly, on the packages pyproject's ``[tool.mypy]`` names.

``mypy`` (in the ``test`` extra) is run as CI runs it: the venv's executable, from the repo root, with
no arguments, so pyproject decides what is checked and how. A missing executable fails here rather
than skipping, so that CI never passes without the check.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
MYPY = Path(sys.executable).parent / "mypy"
# Written out, not only read from pyproject: a package dropped from `files` there would escape the
# check silently, and this list notices.
TYPED_PACKAGES = ["aftercare", "accounts", "retrieval"]
# A cold run (no .mypy_cache) of the three packages takes about a minute on a busy CI machine.
MYPY_TIMEOUT_SECONDS = 600


def test_pyproject_types_the_listed_packages():
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert (sorted(config["files"]), config["strict"]) == (sorted(TYPED_PACKAGES), True)


def test_mypy_finds_no_errors():
    assert MYPY.exists(), f"{MYPY} is missing: install the test extra (pip install -e '.[test]')"
    result = subprocess.run([str(MYPY)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=MYPY_TIMEOUT_SECONDS)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
