"""The layer rules of pyproject's ``[tool.importlinter]`` hold, an upward import breaks them, and no
two modules import each other (directly or round a longer circle).

``lint-imports`` (import-linter, in the ``test`` extra) is run as CI runs it: the venv's executable,
from the repo root. A missing executable fails here rather than skipping, so that CI never passes
without the check.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
# Written out, not read from pyproject: a package dropped from root_packages there would escape
# every contract, and this list notices.
ROOT_PACKAGES = (
    "accounts",
    "aftercare",
    "aftersales",
    "entry",
    "helpdesk",
    "kb",
    "privacy",
    "retrieval",
    "web",
    "workers",
)


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
    pytest.param("helpdesk/models.py", "import aftersales.models", "Layers:", id="helpdesk-imports-aftersales"),
    pytest.param("kb/models.py", "import aftersales.models", "Layers:", id="kb-imports-aftersales"),
    pytest.param("kb/models.py", "import web.app", "Layers:", id="kb-imports-web"),
    pytest.param("aftersales/models.py", "import web.app", "Layers:", id="aftersales-imports-web"),
    pytest.param(
        "retrieval/engine.py",
        "import aftercare.config",
        "retrieval imports no domain",
        id="retrieval-imports-the-settings",
    ),
    pytest.param(
        "retrieval/engine.py",
        "import sqlalchemy",
        "retrieval imports no domain (and no database)",
        id="retrieval-imports-a-database",
    ),
    pytest.param("helpdesk/macros.py", "import kb.models", "Layers:", id="helpdesk-imports-kb"),
    pytest.param("aftercare/config.py", "import helpdesk.models", "Layers:", id="the-shell-imports-helpdesk"),
    pytest.param(
        "workers/queue.py",
        "import helpdesk.email.outbox",
        "workers is the queue runtime",
        id="workers-imports-the-mail-domain",
    ),
    pytest.param(
        "accounts/service.py",
        "import helpdesk.models",
        "accounts knows no other domain",
        id="accounts-imports-helpdesk",
    ),
    pytest.param("web/app.py", "import entry.jobs", "Layers:", id="web-imports-the-entry-layer"),
    pytest.param("aftercare/db.py", "import accounts.models", "Layers:", id="the-base-imports-accounts"),
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


def test_every_root_package_is_in_the_contracts():
    import tomllib

    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert sorted(config["root_packages"]) == sorted(ROOT_PACKAGES)
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    assert sorted(layers) == sorted(ROOT_PACKAGES)


def _import_circles(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    """Pairs (a, b) where a imports b and b leads back to a; lazy imports inside functions count."""
    circles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if imported in graph.modules and graph.chain_exists(importer=imported, imported=importer):
                circles.append((importer, imported))
    return circles


def test_no_module_imports_one_that_leads_back_to_it():
    graph = grimp.build_graph(*ROOT_PACKAGES, cache_dir=None)
    circles = _import_circles(graph)
    described = [
        f"{a} -> {b} -> ... -> {a}: {' -> '.join(graph.find_shortest_chain(importer=b, imported=a))}"
        for a, b in circles
    ]
    assert not circles, "\n".join(described)


def test_a_circle_is_found(source_copy: Path, monkeypatch: pytest.MonkeyPatch):
    # The oracle for the check above: two modules made to import each other must be reported.
    (source_copy / "accounts" / "service.py").write_text(
        (source_copy / "accounts" / "service.py").read_text() + "\nimport accounts.schemas  # circle\n"
    )
    monkeypatch.syspath_prepend(str(source_copy))
    for name in list(sys.modules):
        if name.split(".")[0] in ROOT_PACKAGES:
            monkeypatch.delitem(sys.modules, name)
    import importlib.util

    # grimp finds the packages on sys.path: the copy, not the checkout, is read.
    assert Path(importlib.util.find_spec("accounts").origin).is_relative_to(source_copy)
    graph = grimp.build_graph(*ROOT_PACKAGES, cache_dir=None)
    assert ("accounts.schemas", "accounts.service") in _import_circles(graph)


# Test folders that mirror no package: browser journeys across every layer.
CROSS_CUTTING_TEST_FOLDERS = {"tests/e2e"}


def test_test_folders_mirror_the_code():
    folders = sorted(
        path.relative_to(REPO_ROOT).as_posix()
        for path in (REPO_ROOT / "tests").rglob("*")
        if path.is_dir() and path.name != "__pycache__" and (path / "__init__.py").exists()
    )
    unmirrored = [
        folder
        for folder in folders
        if folder not in CROSS_CUTTING_TEST_FOLDERS
        and not (REPO_ROOT / folder.removeprefix("tests/") / "__init__.py").exists()
    ]
    assert folders and not unmirrored, f"test folders with no package of that name: {unmirrored}"
