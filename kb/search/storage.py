"""The saved search index: one folder per embedder, written atomically, read only when it is whole.

Layout under ``settings.index_path``::

    <embedder slug>/keeper.json      embedder id, generation, built_at, horizon, applied ids, counts
    <embedder slug>/engine/          SearchEngine.save (vectors, BM25, documents)
    <embedder slug>.files.lock       shared while reading, exclusive while replacing the folder
    <embedder slug>.startup.lock     held by a process opening the index (one builds, others wait)

A save writes a sibling temporary folder and renames it into place, so a reader sees the old index
or the new one, never half of one. Anything unreadable, from another embedder or of another
format is reported as ``None``: the keeper then rebuilds from the database.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from retrieval.embedders import Embedder
from retrieval.engine import SearchEngine
from retrieval.ranking import FusionConfig

logger = logging.getLogger(__name__)

KEEPER_FORMAT = 1
KEEPER_MANIFEST = "keeper.json"
ENGINE_FOLDER = "engine"


def embedder_slug(embedder_id: str) -> str:
    """A folder name for an embedder id ("e5:multilingual-e5-small-q4" -> "e5-multilingual-e5-small-q4-<hash>")."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", embedder_id).strip("-.")[:80]
    return f"{readable}-{hashlib.sha256(embedder_id.encode()).hexdigest()[:8]}"


def state_digest(state: dict[str, str]) -> str:
    """A fingerprint of a (doc id -> updated_at) map, recorded with each save."""
    payload = "\n".join(f"{doc_id}\t{updated}" for doc_id, updated in sorted(state.items()))
    return hashlib.sha256(payload.encode()).hexdigest()


class IndexStore:
    def __init__(self, index_dir: Path, embedder_id: str) -> None:
        self.index_dir = Path(index_dir)
        self.embedder_id = embedder_id
        self.directory = self.index_dir / embedder_slug(embedder_id)

    @contextlib.contextmanager
    def lock(self, *, exclusive: bool, purpose: str = "files") -> Iterator[None]:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.index_dir / f"{self.directory.name}.{purpose}.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def manifest_mtime(self) -> float | None:
        try:
            return (self.directory / KEEPER_MANIFEST).stat().st_mtime
        except OSError:
            return None

    def read_manifest(self) -> dict | None:
        try:
            return json.loads((self.directory / KEEPER_MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def load(self, embedder: Embedder, fusion: FusionConfig | None = None) -> tuple[SearchEngine, dict] | None:
        """(engine, manifest), or None when there is nothing usable (logged with the reason)."""
        if not (self.directory / KEEPER_MANIFEST).exists():
            return None
        try:
            with self.lock(exclusive=False):
                manifest = json.loads((self.directory / KEEPER_MANIFEST).read_text(encoding="utf-8"))
                if manifest.get("format") != KEEPER_FORMAT or manifest.get("embedder_id") != embedder.id:
                    raise ValueError(
                        f"made for embedder {manifest.get('embedder_id')!r}, format {manifest.get('format')!r}"
                    )
                engine = SearchEngine.load(self.directory / ENGINE_FOLDER, embedder, fusion=fusion)
                if len(engine) != int(manifest["documents"]):
                    raise ValueError(f"{len(engine)} documents on disk, manifest says {manifest['documents']}")
        except Exception as error:  # unreadable in any way: the database rebuilds it
            logger.warning("search index at %s is unusable (%s); rebuilding from the database", self.directory, error)
            return None
        return engine, manifest

    def save(self, engine: SearchEngine, manifest: dict) -> None:
        """Replace the saved index with ``engine`` and ``manifest`` (the caller holds the files lock)."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{self.directory.name}-", dir=self.index_dir))
        try:
            engine.save(staging / ENGINE_FOLDER)
            held = {doc_id: (engine.document(doc_id).extra or {}).get("updated_at", "") for doc_id in engine.doc_ids()}
            manifest = {
                "format": KEEPER_FORMAT,
                "embedder_id": self.embedder_id,
                **manifest,
                "documents": len(engine),
                "units": engine.unit_count,
                "state_digest": state_digest(held),
            }
            (staging / KEEPER_MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
            previous = None
            if self.directory.exists():
                previous = self.directory.with_name(f".{self.directory.name}-old-{time.time_ns()}")
                self.directory.rename(previous)
            staging.rename(self.directory)
            if previous is not None:
                shutil.rmtree(previous, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
