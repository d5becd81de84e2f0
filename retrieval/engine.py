"""SearchEngine: documents in, ranked and confidence-scored answers out (no database, no web).

Each document is split into units: its title, each question it answers, and each chunk of its body.
Units are embedded into one vector index and tokenised into a BM25 index under the same integer id;
their terms are also pooled per document into a second BM25 index. A unit whose exact text the
engine (or a *donor*: the index a rebuild replaces) already holds a vector for takes that vector
instead of being embedded again, so re-importing or reindexing an unchanged knowledge base embeds
nothing (the vectors come from the same embedder: an index is stamped with its embedder's id). Fusion and confidence live in
``retrieval.ranking``. The API, the portal, agents' suggestions and the benchmarks all call
``SearchEngine.search``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.candidates import DenseEvidence, DocumentTable, best_per_row, exact_dense, group_dense
from retrieval.documents import (
    IndexedDocument,
    QueryEmbedding,
    SearchResponse,
    SearchResult,
    Unit,
    UnitKind,
    document_units,
)
from retrieval.embedders import Embedder, RoutedEmbedder
from retrieval.lexical import LexicalIndex, LexicalScores, tokenize, yield_gil
from retrieval.persistence import read_index, write_index
from retrieval.query_cache import QUERY_CACHE_SIZE, QueryCache
from retrieval.ranking import (
    FusionConfig,
    LexicalScope,
    SearchMode,
    fusion_parts,
    margins,
)
from retrieval.snapshot import IndexSnapshot, StoredIndex
from retrieval.vector_index import EmbedderMismatchError, VectorIndex

__all__ = [
    "EmbedderMismatchError",
    "IndexedDocument",
    "QueryEmbedding",
    "SearchEngine",
    "SearchMode",
    "UpsertStats",
    "SearchResponse",
    "SearchResult",
    "UnitKind",
    "document_units",
]

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


@dataclass
class _DocCandidate:
    dense: float = 0.0
    dense_unit: int | None = None
    strength: float = 0.0
    lexical_unit: int | None = None


class SearchEngine:
    def __init__(
        self,
        embedder: Embedder,
        *,
        fusion: FusionConfig | None = None,
        vector_index: VectorIndex | None = None,
        query_cache_size: int = QUERY_CACHE_SIZE,
    ) -> None:
        self.embedder = embedder
        self.fusion = fusion or FusionConfig()
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
        # Query embeddings made ahead of a search by ``reusing`` (route, text -> embedding).
        self._reused: dict[tuple[str, str], QueryEmbedding] = {}
        self._reuse_lock = threading.Lock()
        self.query_cache = QueryCache(query_cache_size)

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
        donor: SearchEngine | None = None,
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

    def _upsert_batch(self, documents: list[IndexedDocument], donor: SearchEngine | None) -> tuple[int, int]:
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

    # ---- search ---------------------------------------------------------------------------
    def embed_queries(
        self, queries: Sequence[str], languages: Sequence[str | None] | None = None
    ) -> list[QueryEmbedding]:
        """Embed queries in one batch (what ``search`` does for one query)."""
        queries = [query.strip() for query in queries]
        languages = list(languages) if languages is not None else [None] * len(queries)
        if isinstance(self.embedder, RoutedEmbedder):
            routes = [
                self.embedder.route_for(query, language) for query, language in zip(queries, languages, strict=True)
            ]
        else:
            routes = [self.embedder.id] * len(queries)
        with self._reuse_lock:
            found = {
                i: self._reused[(route, query)]
                for i, (route, query) in enumerate(zip(routes, queries, strict=True))
                if (route, query) in self._reused
            }
        for i, key in enumerate(zip(routes, queries, strict=True)):
            cached = self.query_cache.get(key) if i not in found else None
            if cached is not None:
                found[i] = cached
        missing = [i for i in range(len(queries)) if i not in found]
        if missing:
            texts = [queries[i] for i in missing]
            if isinstance(self.embedder, RoutedEmbedder):
                vectors = self.embedder.embed_queries(texts, routes=[routes[i] for i in missing])
            else:
                vectors = self.embedder.embed_queries(texts)
            for i, vector in zip(missing, vectors, strict=True):
                found[i] = QueryEmbedding(vector, routes[i])
                self.query_cache.put((routes[i], queries[i]), found[i])
        return [found[i] for i in range(len(queries))]

    @contextmanager
    def reusing(
        self, queries: Sequence[str], languages: Sequence[str | None] | None = None
    ) -> Iterator[list[QueryEmbedding]]:
        """Embed ``queries`` now; inside the block, a search for one of them (same text and route)
        uses that embedding instead of embedding it again.

        For a caller that must not embed inside a transaction: the index keeper embeds a new
        ticket's query first, then computes and stores its suggestions in a short write transaction.
        """
        embeddings = self.embed_queries(queries, languages)
        keys = [(embedding.route, query.strip()) for embedding, query in zip(embeddings, queries, strict=True)]
        with self._reuse_lock:
            self._reused.update(zip(keys, embeddings, strict=True))
        try:
            yield embeddings
        finally:
            with self._reuse_lock:
                for key in keys:
                    self._reused.pop(key, None)

    def search(
        self,
        query: str,
        *,
        query_language: str | None = None,
        limit: int = 5,
        mode: SearchMode = SearchMode.HYBRID,
        query_embedding: QueryEmbedding | None = None,
    ) -> SearchResponse:
        """Rank documents for ``query``; ``query_language`` (e.g. from language detection) helps a
        routed embedder pick its scoring, and picks each result's confidence calibration with the
        result's locale (see ``FusionConfig.calibration``). ``query_embedding`` lets a caller that
        embedded the query already (``embed_queries``, e.g. a benchmark) skip embedding it again."""
        started = time.perf_counter()
        mode = SearchMode(mode)
        query = query.strip()
        route = query_embedding.route if query_embedding is not None else self.embedder.id
        if not query or not self._documents or limit <= 0:
            return SearchResponse(query, mode, [], False, query_language, route, 0.0)
        if mode is not SearchMode.LEXICAL and query_embedding is None:
            query_embedding = self.embed_queries([query], [query_language])[0]
            route = query_embedding.route
        with self._lock:
            results = self._rank(
                query, query_embedding.vector if query_embedding else None, limit, mode, route, query_language
            )
        # Each result's threshold is its language pair's (see FusionConfig.calibration).
        answered = bool(results) and results[0].confidence >= results[0].threshold
        elapsed = (time.perf_counter() - started) * 1000
        return SearchResponse(query, mode, results, answered, query_language, route, elapsed)

    def _rank(
        self,
        query: str,
        query_vector: np.ndarray | None,
        limit: int,
        mode: SearchMode,
        route: str,
        query_language: str | None,
    ) -> list[SearchResult]:
        config = self.fusion
        table = self._table
        k = min(len(self._units), max(config.min_candidates, config.candidate_factor * limit))
        use_dense = mode is not SearchMode.LEXICAL
        use_lexical = mode is not SearchMode.DENSE
        dense_query = query_vector if use_dense else None
        if use_dense and dense_query is None:
            raise ValueError(f"a {mode} search needs the query's vector")

        dense = DenseEvidence.empty()
        if dense_query is not None:
            similarities, unit_ids = self._vectors.search(dense_query[None, :], k)
            # Units below the last retrieved one are at most this similar (see aggregate_units).
            floor = float(similarities[0, -1]) if similarities.shape[1] == k and k < len(self._units) else None
            dense = group_dense(table, similarities[0], unit_ids[0], config.second_unit_weight, floor)

        # Scored in every mode: matched terms drive snippet highlighting even for dense results.
        lexical = self._lexical.score_query(query)
        scope = LexicalScope(config.lexical_scope)
        doc_lexical = self._doc_lexical.score_query(query) if scope is not LexicalScope.UNIT else None
        if use_lexical:
            if doc_lexical is not None:
                proposed = doc_lexical.top_arrays(k)[0]
            else:
                proposed = table.unit_row[lexical.top_arrays(k)[0]]
            late = np.setdiff1d(proposed, dense.rows)
            if dense_query is not None:
                late_units = [self._doc_units[self._key_docs[row]] for row in late.tolist()]
                vectors = self._vectors.reconstruct([unit_id for units in late_units for unit_id in units])
                late_evidence = exact_dense(table, late_units, vectors, dense_query, config.second_unit_weight)
            else:
                late_evidence = DenseEvidence.without_vectors(late)
            dense = dense + late_evidence
        rows = dense.rows

        unit_keys, unit_strengths = lexical.positive_strengths()
        strengths = best_per_row(table.unit_row[unit_keys], unit_strengths, table.rows)[rows]
        if doc_lexical is not None:
            pooled = best_per_row(*doc_lexical.positive_strengths(), table.rows)[rows]
            strengths = pooled if scope is LexicalScope.DOCUMENT else np.maximum(pooled, strengths)
        strengths = np.minimum(strengths, 1.0)

        dense_parts, lexical_parts = fusion_parts(dense.scores, strengths, mode, config)
        boosts = table.boost[rows]
        scores = (dense_parts + lexical_parts) * boosts
        keep = np.flatnonzero(scores > 0) if mode is SearchMode.LEXICAL else np.arange(len(rows))
        if not len(keep):
            return []
        # Only the best limit + 1 need ordering (ties on score broken by doc_id, as everywhere).
        if len(keep) > limit + 1:
            threshold = np.partition(scores[keep], len(keep) - limit - 1)[len(keep) - limit - 1]
            keep = keep[scores[keep] >= threshold]
        ranked = sorted(keep.tolist(), key=lambda i: (-scores[i], self._key_docs[int(rows[i])]))[: limit + 1]
        top = ranked[:limit]
        # Margins against the runner-up among all candidates, not only the returned ones.
        margin_list = margins([float(scores[i]) for i in ranked])[: len(top)]
        results = []
        for i, margin in zip(top, margin_list, strict=True):
            doc_id = self._key_docs[int(rows[i])]
            document = self._documents[doc_id]
            candidate = _DocCandidate(
                dense=float(dense.best_similarities[i]) if use_dense else 0.0,
                dense_unit=int(dense.best_units[i]) if use_dense else None,
                strength=float(strengths[i]),
                lexical_unit=self._best_lexical_unit(doc_id, lexical),
            )
            unit = self._units[self._snippet_unit(candidate, mode, query_vector, lexical)]
            confidence, threshold = config.confidence(
                route,
                mode,
                query_language,
                document.locale,
                score=float(scores[i]),
                margin=margin,
                strength=candidate.strength,
            )
            results.append(
                SearchResult(
                    doc_id=doc_id,
                    score=float(scores[i]),
                    confidence=confidence,
                    snippet=unit.text,
                    snippet_kind=unit.kind,
                    matched_terms=lexical.matched_terms(unit.unit_id),
                    dense_score=candidate.dense,
                    lexical_strength=candidate.strength,
                    locale=document.locale,
                    title=document.title,
                    kind=document.kind,
                    extra=document.extra,
                    dense_part=float(dense_parts[i]),
                    lexical_part=float(lexical_parts[i]),
                    boost=float(boosts[i]),
                    margin=margin,
                    threshold=threshold,
                )
            )
        return results

    def _best_lexical_unit(self, doc_id: str, lexical: LexicalScores) -> int | None:
        """The document's unit with the highest lexical strength (the first on ties; None if none)."""
        best, best_unit = 0.0, None
        for unit_id in self._doc_units[doc_id]:
            strength = lexical.strength(unit_id)
            if strength > best:
                best, best_unit = strength, unit_id
        return best_unit

    def _snippet_unit(
        self, candidate: _DocCandidate, mode: SearchMode, query_vector: np.ndarray | None, lexical: LexicalScores | None
    ) -> int:
        """The unit shown as the snippet: the one with the best fused score of its own."""
        if mode is SearchMode.LEXICAL or candidate.dense_unit is None:
            unit_id = candidate.lexical_unit if candidate.lexical_unit is not None else candidate.dense_unit
            if unit_id is None:
                # A ranked document matched the query densely or lexically, so one of them is set.
                raise LookupError("a ranked document has neither a dense nor a lexical unit")
            return unit_id
        if candidate.lexical_unit is None or candidate.lexical_unit == candidate.dense_unit or lexical is None:
            return candidate.dense_unit
        weight = self.fusion.lexical_weight
        dense_side = candidate.dense + weight * min(1.0, lexical.strength(candidate.dense_unit))
        lexical_similarity = float(self._vectors.reconstruct([candidate.lexical_unit])[0] @ query_vector)
        lexical_side = lexical_similarity + weight * candidate.strength
        return candidate.lexical_unit if lexical_side > dense_side else candidate.dense_unit

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

    @classmethod
    def load(cls, directory: Path, embedder: Embedder, *, fusion: FusionConfig | None = None) -> SearchEngine:
        """Load a saved engine; raises EmbedderMismatchError if it was built with another embedder."""
        stored = read_index(Path(directory), embedder.id)
        engine = cls(embedder, fusion=fusion, vector_index=stored.vectors)
        engine._restore(stored)
        return engine

    def _restore(self, stored: StoredIndex) -> None:
        """Take the documents of a freshly constructed engine from ``stored``."""
        with self._lock:
            self._lexical = stored.lexical
            for document, units in stored.documents:
                self._attach(document, units)
            self._next_unit_id = stored.next_unit_id
