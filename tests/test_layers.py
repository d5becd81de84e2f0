"""The layer rules of pyproject's ``[tool.importlinter]`` hold, and an upward import breaks them.

``lint-imports`` (import-linter, in the ``test`` extra) is run as CI runs it: the venv's executable,
from the repo root. A missing executable fails here rather than skipping, so that CI never passes
without the check.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
# pyproject's root_packages: the copy below must hold every one of them.
ROOT_PACKAGES = ("aftercare", "aftersales", "helpdesk", "kb", "retrieval", "web", "workers")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    assert LINT_IMPORTS.exists(), f"{LINT_IMPORTS} is missing: install the test extra (pip install -e '.[test]')"
    # --no-cache: nothing is written into the checkout, and every run reads the files as they are.
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_layer_rules_hold():
    result = _lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def _python_only(directory: str, names: list[str]) -> list[str]:
    return [n for n in names if n == "__pycache__" or (not n.endswith(".py") and not Path(directory, n).is_dir())]


@pytest.fixture
def source_copy(tmp_path: Path) -> Path:
    """The packages' Python files and pyproject.toml, in a directory of their own."""
    shutil.copy2(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for package in ROOT_PACKAGES:
        shutil.copytree(REPO_ROOT / package, tmp_path / package, ignore=_python_only)
    return tmp_path


# Each case adds one import that goes up a layer (or out of retrieval) and names the contract that
# must catch it.
UPWARD_IMPORTS = [
    pytest.param("helpdesk/models.py", "import aftersales.models", "aftersales is above helpdesk and kb",
                 id="helpdesk-imports-aftersales"),
    pytest.param("kb/models.py", "import aftersales.models", "aftersales is above helpdesk and kb",
                 id="kb-imports-aftersales"),
    pytest.param("kb/models.py", "import web.app", "web is the top", id="kb-imports-web"),
    pytest.param("aftersales/models.py", "import web.app", "web is the top", id="aftersales-imports-web"),
    pytest.param("retrieval/engine.py", "import aftercare.config", "retrieval imports no domain",
                 id="retrieval-imports-the-settings"),
    pytest.param("retrieval/engine.py", "import sqlalchemy", "retrieval imports no domain (and no database)",
                 id="retrieval-imports-a-database"),
    pytest.param("helpdesk/macros.py", "import kb.models", "Layers:", id="helpdesk-imports-kb"),
    pytest.param("aftercare/config.py", "import helpdesk.models", "Layers:", id="the-shell-imports-helpdesk"),
    pytest.param("workers/queue.py", "import kb.models", "workers knows nothing above helpdesk",
                 id="workers-imports-kb"),
]


@pytest.mark.parametrize(("path", "line", "contract"), UPWARD_IMPORTS)
def test_an_upward_import_breaks_its_contract(source_copy: Path, path: str, line: str, contract: str):
    module = source_copy / path
    module.write_text(module.read_text() + f"\n{line}  # added by tests/test_layers.py\n")

    result = _lint_imports(source_copy)

    assert result.returncode != 0, result.stdout[-3000:]
    # The summary's lines: "<contract name> BROKEN" or "... BROKEN (n ignored imports)".
    broken = [text for text in result.stdout.splitlines() if " BROKEN" in text]
    assert [text for text in broken if text.startswith(contract)], result.stdout[-3000:]
    # The import named in the report is the one added here: the copy, not the checkout, was read.
    assert f"{path.removesuffix('.py').replace('/', '.')} -> " in result.stdout, result.stdout[-3000:]
