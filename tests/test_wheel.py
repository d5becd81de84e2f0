"""The wheel ships every file the packages read at run time, not just the Python.

A non-editable install (``pip install .``, as the Dockerfile does) runs from the wheel alone; a file
missing from it shows up only in a deployment (``TemplateNotFound: 'tip.txt'`` in ``aftercare
demo``). ``.ci/wheel-smoke`` goes further and runs the commands from an installed wheel.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# The top-level packages (pyproject's [tool.setuptools.packages.find]).
PACKAGES = ("aftercare", "helpdesk", "kb", "retrieval", "web", "workers")
BUILD_INPUTS = ("pyproject.toml", "README.md")


def _tracked_package_files() -> set[str]:
    """Files under the packages that the repository tracks (scratch and build output excluded)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--", *PACKAGES], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: cannot tell tracked files from scratch ones")
    return {name for name in listed if (REPO_ROOT / name).is_file()}


def _setuptools_is_recent() -> bool:
    try:
        import setuptools
    except ImportError:
        return False
    return int(setuptools.__version__.split(".")[0]) >= 68  # pyproject's build requirement


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Names inside a wheel built from a copy of the source (the checkout gets no build/ folder)."""
    source = tmp_path_factory.mktemp("wheel-source")
    for name in BUILD_INPUTS:
        shutil.copy2(REPO_ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(REPO_ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    # Build isolation would fetch setuptools from an index; the test venv's own is the same build.
    isolation = ["--no-build-isolation"] if _setuptools_is_recent() else []
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *isolation, "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (wheel,) = out.glob("aftercare-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_holds_every_tracked_file_of_the_packages(wheel_files):
    assert sorted(_tracked_package_files() - wheel_files) == []


def test_wheel_holds_the_aftersales_email_templates(wheel_files):
    # The file whose absence broke `aftercare demo` from an installed wheel.
    assert "helpdesk/aftersales/email_templates/tip.txt" in wheel_files
