"""The index keeper's state and its persistence: which engine it holds, which database changes that
engine reflects, and the files it is saved to and loaded from.

Truth and persistence. The database is the source of truth. The engine is saved under
``settings.index_path/<embedder slug>/`` (an ``engine/`` folder and ``keeper.json``: embedder id,
generation, horizon, document count, digest of the state it reflects), written to a temporary
folder and renamed into place under a file lock. At start the keeper loads it only if it is
readable and was built by the same embedder, catches up with the feed, and then compares its
(doc id -> updated_at) map with the database's (``documents.indexable_state``), re-reading every
entity that differs: a stale file is repaired, a missing or corrupt one (or another embedder's)
is rebuilt, and a database that went backwards (restored backup: a lower change id than applied)
triggers a rebuild.

``KeeperState`` is the base of ``kb.search.keeper.IndexKeeper``; keeping the index in step with the
database is ``kb.search.keeper_sync``'s, the thread and the process's keeper ``kb.search.keeper``'s.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from aftercare.config import get_settings
from aftercare.db import utcnow
from kb.search.documents import entity_key
from kb.search.storage import IndexStore
from retrieval.embedders import Embedder, get_embedder
from retrieval.engine import SearchEngine
from retrieval.ranking import FusionConfig

# The keeper's logger, whichever of its modules logs: one name to filter on.
logger = logging.getLogger("kb.search.keeper")

OVERLAP = timedelta(minutes=2)
SAVE_SECONDS = 60.0


class KeeperState:
    """One SearchEngine, the change ids it reflects, and its saved copy (if it has an index_dir)."""

    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        embedder_spec: str | None = None,
        index_dir: Path | None = None,
        fusion: FusionConfig | None = None,
        overlap: timedelta = OVERLAP,
        save_seconds: float = SAVE_SECONDS,
    ) -> None:
        self._embedder = embedder
        self._embedder_spec = embedder_spec
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.fusion = fusion
        self.overlap = overlap
        self.save_seconds = save_seconds
        self._engine: SearchEngine | None = None
        self._horizon = 0  # every change id at or below it is applied (or given up on)
        self._recent: dict[int, datetime] = {}  # applied ids above the horizon
        self._entity_docs: dict[str, set[str]] = {}
        self._generation = ""
        self._built_at = ""
        self._dirty = False
        self._last_save = 0.0
        self._manifest_mtime: float | None = None
        self._store: IndexStore | None = None
        # One sync/rebuild at a time; searches do not take it.
        self._lock = threading.RLock()

    # ---- state ----------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self._embedder_spec or get_settings().embedder)
        return self._embedder

    @property
    def is_open(self) -> bool:
        return self._engine is not None

    @property
    def engine(self) -> SearchEngine:
        if self._engine is None:
            raise RuntimeError("the search index is not open yet (call open() or sync() first)")
        return self._engine

    @property
    def applied_change_id(self) -> int:
        """The index version: the highest change id this engine reflects."""
        return max([self._horizon, *self._recent])

    @property
    def dirty(self) -> bool:
        """Whether the engine holds changes not saved yet."""
        return self._dirty

    @property
    def store(self) -> IndexStore | None:
        if self.index_dir is None:
            return None
        if self._store is None:
            self._store = IndexStore(self.index_dir, self.embedder.id)
        return self._store

    @property
    def directory(self) -> Path | None:
        return self.store.directory if self.store is not None else None

    def _new_engine(self) -> SearchEngine:
        return SearchEngine(self.embedder, fusion=self.fusion)

    def _install(
        self, engine: SearchEngine, horizon: int, recent: dict[int, datetime], generation: str, built_at: str
    ) -> None:
        entity_docs: dict[str, set[str]] = {}
        for doc_id in engine.doc_ids():
            entity_docs.setdefault(entity_key(doc_id), set()).add(doc_id)
        # One assignment each: a search running meanwhile sees the old engine or the new one.
        self._engine = engine
        self._entity_docs = entity_docs
        self._horizon, self._recent = horizon, dict(recent)
        self._generation, self._built_at = generation, built_at

    # ---- persistence ----------------------------------------------------------------------
    def startup_lock(self) -> contextlib.AbstractContextManager[None]:
        """Held while a process opens (and, if needed, builds and saves) the index, so that of
        several web workers starting together one builds and the others load its files."""
        store = self.store
        return store.lock(exclusive=True, purpose="startup") if store is not None else contextlib.nullcontext()

    def _load_from_disk(self) -> tuple[SearchEngine, dict] | None:
        store = self.store
        if store is None:
            return None
        self._manifest_mtime = store.manifest_mtime()
        return store.load(self.embedder, self.fusion)

    def save(self, *, force: bool = False) -> bool:
        """Write the index atomically; skipped when a newer full rebuild is already on disk."""
        store = self.store
        if store is None or self._engine is None:
            return False
        with self._lock, store.lock(exclusive=True):
            on_disk = store.read_manifest()
            if not force and on_disk:
                if on_disk.get("generation") != self._generation and on_disk.get("built_at", "") > self._built_at:
                    return False  # somebody rebuilt since; adopt theirs rather than overwrite it
                if (
                    on_disk.get("generation") == self._generation
                    and on_disk.get("applied_change_id", -1) >= self.applied_change_id
                ):
                    self._dirty = False  # another worker already saved this state (or a newer one)
                    return False
            store.save(
                self.engine,
                {
                    "generation": self._generation,
                    "built_at": self._built_at,
                    "saved_at": utcnow().isoformat(),
                    "horizon": self._horizon,
                    "recent": {str(change_id): at.isoformat() for change_id, at in self._recent.items()},
                    "applied_change_id": self.applied_change_id,
                },
            )
            self._manifest_mtime = store.manifest_mtime()
            self._dirty = False
            self._last_save = time.monotonic()
            return True

    def adopt_newer_rebuild(self) -> bool:
        """Swap in a full rebuild another process saved (``aftercare kb reindex``), if there is one."""
        store = self.store
        if store is None:
            return False
        mtime = store.manifest_mtime()
        if mtime is None or mtime == self._manifest_mtime:
            return False
        self._manifest_mtime = mtime
        manifest = store.read_manifest()
        if (
            not manifest
            or manifest.get("generation") == self._generation
            or manifest.get("built_at", "") <= self._built_at
        ):
            return False
        loaded = self._load_from_disk()  # the slow part, outside the sync lock
        if loaded is None:
            return False
        engine, manifest = loaded
        with self._lock:
            self._install(
                engine, int(manifest["horizon"]), _recent_of(manifest), manifest["generation"], manifest["built_at"]
            )
        logger.info("adopted the search index rebuilt at %s", manifest["built_at"])
        return True


def _recent_of(manifest: dict) -> dict[int, datetime]:
    return {int(key): datetime.fromisoformat(value) for key, value in manifest["recent"].items()}
