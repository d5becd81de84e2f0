"""The index keeper: one in-memory search engine per process, kept in step with the database.

Version and catch-up. The index version is the highest ``search_index_changes`` id applied (no
counter of our own). ``sync`` reads the rows above a *horizon*, re-reads the entities they name
through ``kb.indexing.iter_indexable_documents`` / ``kb.forum.indexing.iter_indexable_threads``,
upserts what comes back and drops that entity's documents that did not (unpublished, archived,
hidden, deleted, locale removed). Ids are handed out at insert time but transactions commit in any
order, so a row may appear below ids already applied: the keeper remembers the ids it applied
during the last ``OVERLAP`` and keeps re-reading above the horizon, which only moves past rows
older than that window. Applying an entity twice is harmless; a transaction left open longer than
``OVERLAP`` after writing its change row is the one case the feed can miss (the consistency check
at the next start repairs it).

Truth and persistence. The database is the source of truth. The engine is saved under
``settings.index_path/<embedder slug>/`` (an ``engine/`` folder and ``keeper.json``: embedder id,
generation, horizon, document count, digest of the state it reflects), written to a temporary
folder and renamed into place under a file lock. At start the keeper loads it only if it is
readable and was built by the same embedder, catches up with the feed, and then compares its
(doc id -> updated_at) map with the database's (``documents.indexable_state``), re-reading every
entity that differs: a stale file is repaired, a missing or corrupt one (or another embedder's)
is rebuilt, and a database that went backwards (restored backup: a lower change id than applied)
triggers a rebuild.

Processes. ``start`` runs a thread that syncs when woken (``kb.search.subscribers`` calls ``wake``
after a commit that recorded changes in this process: ``kb.events``) and otherwise every ``POLL_SECONDS``, so changes
committed by other processes or machines on the same database become searchable within about a
second. Searches use ``keeper.engine`` and never wait for embedding: the engine embeds outside its
lock and a rebuild is done off to the side and swapped in. Without the thread (tests, CLI,
``start_search_keeper(background=False)``) ``ensure_current`` syncs inline before a search.
A keeper that owns a thread also saves the index (at most every ``SAVE_SECONDS``, and on stop) and
adopts a newer full rebuild written by ``aftercare kb reindex``.

Work handed to the thread. ``submit(job)`` queues ``job(keeper, database)`` to run on the thread
after its next sync, so that slow work (a new ticket's suggestions: ``kb.search.subscribers``)
never holds up the request that caused it. The keeper knows nothing of what the jobs do.

Transactions (SQLite has one writer at a time). The thread's reads end before it embeds what it
read (an open read transaction pins the write-ahead log while an import is embedded for minutes).
Jobs that write follow the same rule: embed outside any transaction, then one short
``session(write=True)`` (``BEGIN IMMEDIATE``): a deferred read-then-write failed with "database is
locked" whenever a request committed meanwhile.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftercare.config import Settings, get_settings
from aftercare.db import Database, utcnow
from kb.indexing import latest_search_change_id, search_changes_after
from kb.models import SearchIndexChange
from kb.search.documents import entities_of, entity_key, indexable_state, load_documents
from kb.search.storage import KEEPER_MANIFEST, IndexStore, embedder_slug
from retrieval.embedders import Embedder, get_embedder
from retrieval.engine import EMBED_BATCH_DOCS, SearchEngine, UpsertStats
from retrieval.lexical import warm_up_tokenizer
from retrieval.ranking import FusionConfig

logger = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=2)
POLL_SECONDS = 1.0
SAVE_SECONDS = 60.0
CHANGE_PAGE = 5_000
# Entities (articles, threads) read and indexed together; the engine embeds in batches of this size.
APPLY_PAGE = EMBED_BATCH_DOCS

Progress = Callable[[int, int], None]
# Work for the thread (``IndexKeeper.submit``): called with the keeper and its database.
Job = Callable[["IndexKeeper", Database], None]
# Marks a session the keeper's thread opened for its own reads (see _end_reads). It stays in
# session.info: it is no after-commit side effect but which session may be committed early, and
# the sync code that needs to know is handed a caller's session just as often.
_OWN_READS = "kb_search_keeper_own_reads"


@dataclass
class SyncReport:
    changes: int = 0  # change rows applied
    upserted: int = 0  # documents (re)indexed
    removed: int = 0  # documents dropped
    rebuilt: bool = False
    embedded: int = 0  # units that went through the model (the others reused a vector of their text)

    def __iadd__(self, other: SyncReport) -> SyncReport:
        self.changes += other.changes
        self.upserted += other.upserted
        self.removed += other.removed
        self.embedded += other.embedded
        self.rebuilt = self.rebuilt or other.rebuilt
        return self


class IndexKeeper:
    """Owns one SearchEngine and the knowledge of which database changes it reflects."""

    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        embedder_spec: str | None = None,
        index_dir: Path | None = None,
        fusion: FusionConfig | None = None,
        overlap: timedelta = OVERLAP,
        poll_seconds: float = POLL_SECONDS,
        save_seconds: float = SAVE_SECONDS,
    ) -> None:
        self._embedder = embedder
        self._embedder_spec = embedder_spec
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.fusion = fusion
        self.overlap = overlap
        self.poll_seconds = poll_seconds
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
        self._database: Database | None = None
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._jobs: list[Job] = []
        self._jobs_lock = threading.Lock()

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
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

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

    # ---- opening, rebuilding, reconciling -------------------------------------------------
    def open(self, session: Session, *, progress: Progress | None = None) -> SyncReport:
        """Load the saved index if usable and bring it up to date, else build it from the database."""
        with self._lock:
            if self._engine is not None:
                return self.sync(session)
            loaded = self._load_from_disk()
            if loaded is None:  # nothing usable on disk, so nothing to reuse either
                return self.rebuild(session, progress=progress, reuse=False)
            engine, manifest = loaded
            if latest_search_change_id(session) < int(manifest["applied_change_id"]):
                logger.warning("search index is ahead of the database (restored backup?); rebuilding")
                return self.rebuild(session, progress=progress)
            self._install(
                engine, int(manifest["horizon"]), _recent_of(manifest), manifest["generation"], manifest["built_at"]
            )
            report = self._catch_up(session)
            report += self.reconcile(session, progress=progress)
            logger.info("search index loaded: %d documents, version %d", len(engine), self.applied_change_id)
            return report

    def rebuild(
        self,
        session: Session,
        *,
        progress: Progress | None = None,
        stats: UpsertStats | None = None,
        reuse: bool = True,
    ) -> SyncReport:
        """Build a new engine from the whole database and swap it in (searches use the old one meanwhile).

        ``reuse``: units whose text the engine being replaced (in memory, else the saved one) has a
        vector for take that vector instead of being embedded again; ``aftercare kb reindex
        --no-reuse`` turns it off. ``stats`` accumulates units indexed and embedded.
        """
        with self._lock:
            # Everything older than the overlap is in the documents read below; the window is
            # re-applied by the next sync, so a commit racing with this read is not lost.
            horizon = self._window_horizon(session)
            documents = load_documents(session, _all_entities(session))
            _end_reads(session)
            donor = self._donor() if reuse else None
            engine = self._new_engine()
            stats = stats if stats is not None else UpsertStats()
            embedded_before = stats.embedded
            engine.upsert(documents, progress=progress, stats=stats, donor=donor)
            del donor
            self._install(engine, horizon, {}, uuid.uuid4().hex, utcnow().isoformat())
            self._dirty = True
            report = SyncReport(upserted=len(documents), rebuilt=True, embedded=stats.embedded - embedded_before)
            report += self._catch_up(session)
            logger.info("search index rebuilt: %d documents, version %d", len(engine), self.applied_change_id)
            return report

    def _donor(self) -> SearchEngine | None:
        """The engine whose vectors a rebuild may reuse: the one in memory, else the saved one (an
        index of the same embedder: ``IndexStore.load`` checks; stale or not, each of its vectors is
        the embedding of its unit's exact text)."""
        if self._engine is not None:
            return self._engine
        loaded = self.store.load(self.embedder, self.fusion) if self.store is not None else None
        return loaded[0] if loaded is not None else None

    def reconcile(self, session: Session, *, progress: Progress | None = None) -> SyncReport:
        """Re-read every entity whose indexed documents differ from the database's (ids or updated_at)."""
        with self._lock:
            wanted = indexable_state(session)
            engine = self.engine
            held = {doc_id: (engine.document(doc_id).extra or {}).get("updated_at") for doc_id in engine.doc_ids()}
            differing = {doc_id for doc_id, stamp in wanted.items() if held.get(doc_id) != stamp}
            differing |= {doc_id for doc_id in held if doc_id not in wanted}
            if not differing:
                return SyncReport()
            logger.info("search index differs from the database on %d documents; re-reading them", len(differing))
            return self._apply(session, entities_of(differing), progress=progress)

    def _window_horizon(self, session: Session) -> int:
        cutoff = utcnow() - self.overlap
        query = select(func.max(SearchIndexChange.id)).where(SearchIndexChange.changed_at < cutoff)
        return session.scalar(query) or 0

    # ---- incremental sync -----------------------------------------------------------------
    def sync(self, session: Session) -> SyncReport:
        """Apply the changes recorded since the last sync (opening the index first if needed)."""
        with self._lock:
            if self._engine is None:
                return self.open(session)
            if latest_search_change_id(session) < self.applied_change_id:
                logger.warning("search change feed went backwards (database restored or reset); rebuilding")
                return self.rebuild(session)
            return self._catch_up(session)

    def ensure_current(self, session: Session) -> None:
        """Before a search: nothing when the background thread keeps the index, else sync inline."""
        if self.running and self._engine is not None:
            return
        self.sync(session)

    def _catch_up(self, session: Session) -> SyncReport:
        report = SyncReport()
        after = self._horizon
        while True:
            rows = search_changes_after(session, after, entity_type=None, limit=CHANGE_PAGE)
            fresh = [row for row in rows if row.id not in self._recent]
            if fresh:
                entities: dict[str, set[int]] = {}
                for row in fresh:
                    entities.setdefault(row.entity_type, set()).add(row.entity_id)
                report += self._apply(session, entities)
                report.changes += len(fresh)
                self._recent.update({row.id: row.changed_at for row in fresh})
            if len(rows) < CHANGE_PAGE:
                break
            after = rows[-1].id
        self._advance_horizon()
        return report

    def _advance_horizon(self) -> None:
        cutoff = utcnow() - self.overlap
        settled = [change_id for change_id, changed_at in self._recent.items() if changed_at < cutoff]
        if settled:
            self._horizon = max(self._horizon, max(settled))
            self._recent = {change_id: at for change_id, at in self._recent.items() if change_id > self._horizon}

    def _apply(
        self, session: Session, entities: dict[str, set[int]], *, progress: Progress | None = None
    ) -> SyncReport:
        # A page of entities at a time: reading a thousand articles in one go (after an import) is
        # a long stretch of ORM work in Python, during which searches' threads wait for the GIL;
        # a page's read is short, and each page is searchable as soon as it is embedded.
        pairs = sorted((entity_type, entity_id) for entity_type, ids in entities.items() for entity_id in ids)
        report = SyncReport()
        for start in range(0, len(pairs), APPLY_PAGE):
            page: dict[str, set[int]] = {}
            for entity_type, entity_id in pairs[start : start + APPLY_PAGE]:
                page.setdefault(entity_type, set()).add(entity_id)
            report += self._apply_page(session, page)
            if progress is not None:
                progress(min(start + APPLY_PAGE, len(pairs)), len(pairs))
        return report

    def _apply_page(self, session: Session, entities: dict[str, set[int]]) -> SyncReport:
        keys = {f"{entity_type}:{entity_id}" for entity_type, ids in entities.items() for entity_id in ids}
        documents = load_documents(session, entities)
        _end_reads(session)
        keep = {document.doc_id for document in documents}
        engine = self.engine
        stale = [doc_id for key in keys for doc_id in self._entity_docs.get(key, ()) if doc_id not in keep]
        # Re-applied overlap rows mostly bring back what is already indexed: skip identical ones.
        changed = [document for document in documents if engine.document(document.doc_id) != document]
        removed = engine.remove(stale)
        stats = UpsertStats()
        engine.upsert(changed, stats=stats)
        for key in keys:
            self._entity_docs.pop(key, None)
        for document in documents:
            self._entity_docs.setdefault(entity_key(document.doc_id), set()).add(document.doc_id)
        if removed or changed:
            self._dirty = True
        return SyncReport(upserted=len(changed), removed=removed, embedded=stats.embedded)

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

    # ---- background thread ----------------------------------------------------------------
    def start(self, database: Database) -> None:
        """Sync in a thread from now on: when woken after a commit, and every ``poll_seconds``."""
        if self.running:
            return
        self._database = database
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="search-index-keeper", daemon=True)
        self._thread.start()

    def stop(self, *, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._dirty:
            try:
                self.save()
            except Exception:
                logger.exception("could not save the search index on shutdown")

    def wake(self) -> None:
        self._wake.set()

    def submit(self, job: Job) -> None:
        """Run ``job(keeper, database)`` on the thread after its next sync (a failing job is logged)."""
        with self._jobs_lock:
            self._jobs.append(job)
        self._wake.set()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.run_once()
                failures = 0
            except Exception:
                failures += 1
                logger.exception("search index keeper failed (attempt %d); retrying", failures)
                self._stop.wait(min(30.0, 2.0**failures))

    def run_once(self) -> SyncReport:
        """One round of the thread's work: adopt a rebuild, sync, submitted jobs, maybe save."""
        assert self._database is not None
        self.adopt_newer_rebuild()
        with self._database.session() as session:
            session.info[_OWN_READS] = True
            report = self.sync(session)
        self.run_jobs()
        if self._dirty and time.monotonic() - self._last_save >= self.save_seconds:
            self.save()
        return report

    def run_jobs(self) -> None:
        """Run the submitted jobs, oldest first, each isolated (the thread calls this after a sync)."""
        with self._jobs_lock:
            jobs, self._jobs = self._jobs, []
        if self._database is None:
            return
        for job in jobs:
            try:
                job(self, self._database)
            except Exception:
                # Whoever submitted it owns the fallback (suggestions: computed on first view).
                logger.exception("search keeper job %r failed", job)


def _end_reads(session: Session) -> None:
    """Before embedding what was read: end the keeper's own read-only transaction (the next read
    begins another). An open one pins SQLite's write-ahead log, which then grows with every commit
    until it ends, to many times the database's size while an import's articles wait for their
    embedding (``python bench/bench_search.py --during-import`` posts 1,000; compare the data dir's
    ``aftercare.db-wal`` with ``aftercare.db``). A caller's session (a request, a test) is left alone."""
    if session.info.get(_OWN_READS):
        session.commit()


def _all_entities(session: Session) -> dict[str, set[int]]:
    return entities_of(indexable_state(session))


def _recent_of(manifest: dict) -> dict[int, datetime]:
    return {int(key): datetime.fromisoformat(value) for key, value in manifest["recent"].items()}


# ---- the process's keeper -----------------------------------------------------------------
_active: IndexKeeper | None = None
_active_lock = threading.Lock()


def active_keeper() -> IndexKeeper:
    """The keeper searches use by default: the app's, else one built lazily from settings
    (a CLI or worker process; it loads the saved index when it is consistent)."""
    global _active
    with _active_lock:
        if _active is None:
            settings = get_settings()
            _active = IndexKeeper(embedder_spec=settings.embedder, index_dir=settings.index_path)
        return _active


def set_active_keeper(keeper: IndexKeeper | None) -> None:
    global _active
    with _active_lock:
        _active = keeper


def running_keepers() -> list[IndexKeeper]:
    keeper = _active
    return [keeper] if keeper is not None and keeper.running else []


def start_search_keeper(database: Database, settings: Settings, *, background: bool) -> IndexKeeper:
    """The app's keeper. ``background``: open (load or build) now, then keep it current in a
    thread and persist it; the app is ready once this returns, search included. Otherwise (an app
    on a caller's database, e.g. a test's rolled-back transaction that one thread must not share)
    an in-memory keeper that opens on first search and syncs inline."""
    if background:
        keeper = IndexKeeper(embedder_spec=settings.embedder, index_dir=settings.index_path)
        with keeper.startup_lock():
            with database.session() as session:
                keeper.open(session)
            if keeper.dirty:
                keeper.save()
        warm_up_tokenizer()
        keeper.start(database)
    else:
        keeper = IndexKeeper(embedder_spec=settings.embedder)
    set_active_keeper(keeper)
    return keeper


def stop_search_keeper(keeper: IndexKeeper | None) -> None:
    if keeper is None:
        return
    keeper.stop()
    with _active_lock:
        global _active
        if _active is keeper:
            _active = None


def describe(keeper: IndexKeeper) -> dict:
    """Figures for a status line or a health page."""
    engine = keeper._engine
    return {
        "embedder": keeper.embedder.id,
        "documents": len(engine) if engine is not None else 0,
        "units": engine.unit_count if engine is not None else 0,
        "version": keeper.applied_change_id,
        "background": keeper.running,
    }


__all__ = [
    "KEEPER_MANIFEST",
    "IndexKeeper",
    "SyncReport",
    "active_keeper",
    "describe",
    "embedder_slug",
    "running_keepers",
    "set_active_keeper",
    "start_search_keeper",
    "stop_search_keeper",
]
