"""The engine's contents: documents, their units, and the indexes over them, kept in step.

Each document is split into units: its title, each question it answers, and each chunk of its body.
Units are embedded into one vector index and tokenised into a BM25 index under the same integer id;
their terms are also pooled per document into a second BM25 index. A unit whose exact text the
engine (or a *donor*: the index a rebuild replaces) already holds a vector for takes that vector
instead of being embedded again, so re-importing or reindexing an unchanged knowledge base embeds
nothing (the vectors come from the same embedder: an index is stamped with its embedder's id).

``EngineContents`` is what ``retrieval.engine.SearchEngine`` ranks over; it is split off so that
adding, replacing, removing and saving documents reads apart from the query path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.candidates import DocumentTable
from retrieval.documents import IndexedDocument, Unit, document_units
from retrieval.embedders import Embedder
from retrieval.lexical import LexicalIndex, tokenize, yield_gil
from retrieval.persistence import write_index
from retrieval.snapshot import IndexSnapshot, StoredIndex
from retrieval.vector_index import EmbedderMismatchError, VectorIndex

EMBED_BATCH_DOCS = 64

ProgressCallback = Callable[[int, int], None]


@dataclass
class UpsertStats:
    """What upserts did, accumulated over calls: units indexed, and how many of them went through the
    model (the others took the vector of a unit with the same text)."""

    documents: int = 0
    units: int = 0
    embedded: int = 0

    @property
    def reused(self) -> int:
        return self.units - self.embedded


class EngineContents:
    """Documents and their units in the vector and lexical indexes; ``SearchEngine`` adds the search."""

    def __init__(self, embedder: Embedder, *, vector_index: VectorIndex | None = None) -> None:
        self.embedder = embedder
        self._vectors = vector_index or VectorIndex(embedder.id, embedder.dim)
        if self._vectors.embedder_id != embedder.id:
            raise EmbedderMismatchError(f"vector index is for {self._vectors.embedder_id!r}, not {embedder.id!r}")
        self._lexical = LexicalIndex()
        # The same terms pooled per document (title, questions and body together), keyed by a
        # per-document integer: BM25 over the whole article sees vocabulary no single unit has.
        self._doc_lexical = LexicalIndex()
        self._doc_keys: dict[str, int] = {}
        self._key_docs: dict[int, str] = {}
        self._next_doc_key = 1
        self._table = DocumentTable()
        self._documents: dict[str, IndexedDocument] = {}
        self._doc_units: dict[str, list[int]] = {}
        self._units: dict[int, Unit] = {}
        # Indexed text -> one unit holding it, for reusing its vector (see _upsert_batch). Keyed by
        # the text itself (the units' own strings, so no copy): exact, and no hash collisions.
        self._text_units: dict[str, int] = {}
        self._next_unit_id = 1
        self._lock = threading.RLock()

    # ---- contents -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._documents)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._documents

    @property
    def unit_count(self) -> int:
        return len(self._units)

    def document(self, doc_id: str) -> IndexedDocument | None:
        return self._documents.get(doc_id)

    def doc_ids(self) -> list[str]:
        return list(self._documents)

    def add(self, documents: Iterable[IndexedDocument], *, progress: ProgressCallback | None = None) -> None:
        """Index new documents; a doc_id already indexed is an error (use ``upsert`` to replace)."""
        documents = list(documents)
        ids = [document.doc_id for document in documents]
        clash = [doc_id for doc_id in ids if doc_id in self._documents]
        if clash or len(set(ids)) != len(ids):
            raise ValueError(f"documents already indexed or repeated: {sorted(set(clash) or set(ids))[:5]}")
        self.upsert(documents, progress=progress)

    def upsert(
        self,
        documents: Iterable[IndexedDocument],
        *,
        progress: ProgressCallback | None = None,
        stats: UpsertStats | None = None,
        donor: EngineContents | None = None,
    ) -> None:
        """Index documents, replacing any with the same doc_id; embeds in batches.

        A unit whose text this engine, or ``donor`` (an engine of the same embedder, e.g. the one a
        rebuild replaces), already has a vector for reuses it: editing an article's body does not
        re-embed its questions, and a rebuild of unchanged documents embeds nothing. ``stats``
        accumulates what was indexed and embedded.
        """
        if donor is not None and donor.embedder.id != self.embedder.id:
            raise EmbedderMismatchError(f"cannot reuse vectors of {donor.embedder.id!r} in {self.embedder.id!r}")
        documents = list({document.doc_id: document for document in documents}.values())
        total = len(documents)
        for start in range(0, total, EMBED_BATCH_DOCS):
            batch = documents[start : start + EMBED_BATCH_DOCS]
            units, embedded = self._upsert_batch(batch, donor)
            if stats is not None:
                stats.documents += len(batch)
                stats.units += units
                stats.embedded += embedded
            if progress is not None:
                progress(min(start + EMBED_BATCH_DOCS, total), total)

    def vectors_for(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The vectors this engine holds for any of ``texts`` (exact indexed text), by text."""
        with self._lock:
            found = [text for text in texts if text in self._text_units]
            vectors = self._vectors.reconstruct([self._text_units[text] for text in found])
        return dict(zip(found, vectors, strict=True))

    def _upsert_batch(self, documents: list[IndexedDocument], donor: EngineContents | None) -> tuple[int, int]:
        planned = [(document, document_units(document)) for document in documents]
        wanted = list(dict.fromkeys(indexed for _, units in planned for _, _, indexed in units))
        by_text = self.vectors_for(wanted)
        if donor is not None:
            by_text.update(donor.vectors_for([text for text in wanted if text not in by_text]))
        fresh = [text for text in wanted if text not in by_text]
        # Embedding is the slow part; it runs outside the lock (on the embedder's passage lane)
        # so searches continue meanwhile.
        if fresh:
            new_vectors = self.embedder.embed_passages(fresh)
            by_text.update({text: new_vectors[i] for i, text in enumerate(fresh)})
        # Tokenising is pure Python: outside the lock too, letting searches' threads have the GIL
        # as it goes (see yield_gil).
        terms = {text: tokenize(text) for text in yield_gil(wanted)}

        # One document per hold of the lock, so a search waits for one document's bookkeeping at
        # most, never a batch's; each document is swapped whole (a search sees it old or new).
        for document, planned_units in yield_gil(planned, every=1):
            with self._lock:
                self.remove([document.doc_id])
                units = [
                    Unit(self._next_unit_id + position, document.doc_id, kind, text, indexed)
                    for position, (kind, text, indexed) in enumerate(planned_units)
                ]
                self._next_unit_id += len(units)
                for unit in units:
                    self._lexical.add_terms(unit.unit_id, terms[unit.indexed_text])
                self._attach(document, units)
                if units:
                    self._vectors.add(
                        np.asarray([unit.unit_id for unit in units], dtype=np.int64),
                        np.stack([by_text[unit.indexed_text] for unit in units]),
                    )
        return sum(len(units) for _, units in planned), len(fresh)

    def _attach(self, document: IndexedDocument, units: list[Unit]) -> None:
        """Record a document whose units are already in the unit-level lexical and vector indexes."""
        unit_ids = [unit.unit_id for unit in units]
        self._units.update((unit.unit_id, unit) for unit in units)
        for unit in units:
            self._text_units.setdefault(unit.indexed_text, unit.unit_id)
        self._documents[document.doc_id] = document
        self._doc_units[document.doc_id] = unit_ids
        key = self._next_doc_key
        self._next_doc_key += 1
        self._doc_keys[document.doc_id], self._key_docs[key] = key, document.doc_id
        terms = [term for unit_id in unit_ids for term in self._lexical.terms_of(unit_id)]
        self._doc_lexical.add_terms(key, terms)
        self._table.attach(key, unit_ids, document.boost)

    def remove(self, doc_ids: Iterable[str]) -> int:
        """Forget documents; unknown ids are ignored. Returns how many were removed."""
        removed = 0
        with self._lock:
            unit_ids: list[int] = []
            doc_keys: list[int] = []
            for doc_id in doc_ids:
                if self._documents.pop(doc_id, None) is None:
                    continue
                removed += 1
                document_unit_ids = self._doc_units.pop(doc_id, [])
                unit_ids.extend(document_unit_ids)
                doc_keys.append(self._doc_keys.pop(doc_id))
                del self._key_docs[doc_keys[-1]]
                self._table.detach(doc_keys[-1], document_unit_ids)
            for unit_id in unit_ids:
                text = self._units.pop(unit_id).indexed_text
                # Another unit with this text (if any) is no longer found for reuse; it is only
                # embedded again, never given a wrong vector.
                if self._text_units.get(text) == unit_id:
                    del self._text_units[text]
            self._lexical.remove(unit_ids)
            self._doc_lexical.remove(doc_keys)
            self._vectors.remove(unit_ids)
        return removed

    # ---- persistence ----------------------------------------------------------------------
    def snapshot(self) -> IndexSnapshot:
        """A consistent copy of the contents, cheap to take; writing it needs no lock."""
        with self._lock:
            # Shallow copies (C-speed): the engine replaces these values on change, never edits them.
            return IndexSnapshot(
                embedder_id=self.embedder.id,
                dim=self.embedder.dim,
                vectors=self._vectors.snapshot(),
                lexical=self._lexical.snapshot(),
                documents=dict(self._documents),
                doc_units=dict(self._doc_units),
                units=dict(self._units),
                next_unit_id=self._next_unit_id,
            )

    def save(self, directory: Path) -> None:
        """Write the engine to ``directory``, replacing what was there only once fully written."""
        # Only the snapshot holds the lock; the slow part (JSON, disk) lets searches go on.
        write_index(self.snapshot(), Path(directory))

    def _restore(self, stored: StoredIndex) -> None:
        """Take the documents of a freshly constructed engine from ``stored``."""
        with self._lock:
            self._lexical = stored.lexical
            for document, units in stored.documents:
                self._attach(document, units)
            self._next_unit_id = stored.next_unit_id
