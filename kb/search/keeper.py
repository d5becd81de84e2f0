"""The index keeper: one in-memory search engine per process, kept in step with the database.

``IndexKeeper`` is built in layers, each a module: ``kb.search.keeper_state`` (the engine, the
change ids it reflects, and its saved copy: truth and persistence), ``kb.search.keeper_sync``
(opening, rebuilding, reconciling and the change feed: version and catch-up) and this one (the
thread that keeps it current, the work handed to that thread, and the process's keeper). Their
public names are importable from here.

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
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from aftercare.config import Settings, get_settings
from aftercare.db import Database
from kb.search.keeper_state import OVERLAP, SAVE_SECONDS
from kb.search.keeper_sync import _OWN_READS, KeeperSync, SyncReport
from kb.search.storage import KEEPER_MANIFEST, embedder_slug
from retrieval.embedders import Embedder
from retrieval.lexical import warm_up_tokenizer
from retrieval.ranking import FusionConfig

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0

# Work for the thread (``IndexKeeper.submit``): called with the keeper and its database.
Job = Callable[["IndexKeeper", Database], None]


class IndexKeeper(KeeperSync):
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
        super().__init__(
            embedder,
            embedder_spec=embedder_spec,
            index_dir=index_dir,
            fusion=fusion,
            overlap=overlap,
            save_seconds=save_seconds,
        )
        self.poll_seconds = poll_seconds
        self._database: Database | None = None
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._jobs: list[Job] = []
        self._jobs_lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def ensure_current(self, session: Session) -> None:
        """Before a search: nothing when the background thread keeps the index, else sync inline."""
        if self.running and self._engine is not None:
            return
        self.sync(session)

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
