"""Keeping the index keeper's engine in step with the database: opening, rebuilding, reconciling,
and applying the change feed.

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

Transactions (SQLite has one writer at a time). The thread's reads end before it embeds what it
read (an open read transaction pins the write-ahead log while an import is embedded for minutes).
Jobs that write follow the same rule: embed outside any transaction, then one short
``session(write=True)`` (``BEGIN IMMEDIATE``): a deferred read-then-write failed with "database is
locked" whenever a request committed meanwhile.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftercare.db import utcnow
from kb.indexing import latest_search_change_id, search_changes_after
from kb.models import SearchIndexChange
from kb.search.documents import entities_of, entity_key, indexable_state, load_documents
from kb.search.keeper_state import KeeperState, _recent_of
from retrieval.engine import EMBED_BATCH_DOCS, SearchEngine, UpsertStats

# The keeper's logger, whichever of its modules logs: one name to filter on.
logger = logging.getLogger("kb.search.keeper")

CHANGE_PAGE = 5_000
# Entities (articles, threads) read and indexed together; the engine embeds in batches of this size.
APPLY_PAGE = EMBED_BATCH_DOCS

Progress = Callable[[int, int], None]
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


class KeeperSync(KeeperState):
    """Brings the engine up to date with the database; the thread that calls it is ``IndexKeeper``'s."""

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
