"""SearchEngine: documents in, ranked and confidence-scored answers out (no database, no web).

The documents, their units and the indexes over them (with vector reuse, removal and saving) are
``retrieval.engine_contents.EngineContents``, which ``SearchEngine`` extends with the query path:
embedding queries (cached, or made ahead by ``reusing``), gathering dense and lexical candidates,
and ranking them. Fusion and confidence live in ``retrieval.ranking``. The API, the portal, agents'
suggestions and the benchmarks all call ``SearchEngine.search``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.candidates import DenseEvidence, best_per_row, exact_dense, group_dense
from retrieval.documents import (
    IndexedDocument,
    QueryEmbedding,
    SearchResponse,
    SearchResult,
    UnitKind,
    document_units,
)
from retrieval.embedders import Embedder, RoutedEmbedder
from retrieval.engine_contents import EMBED_BATCH_DOCS, EngineContents, UpsertStats
from retrieval.lexical import LexicalScores
from retrieval.persistence import read_index
from retrieval.query_cache import QUERY_CACHE_SIZE, QueryCache
from retrieval.ranking import (
    FusionConfig,
    LexicalScope,
    SearchMode,
    fusion_parts,
    margins,
)
from retrieval.vector_index import EmbedderMismatchError, VectorIndex

# The names callers import from here, wherever they are defined (the contents' ones included, so
# that splitting the engine changed no import).
__all__ = [
    "EMBED_BATCH_DOCS",
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


@dataclass
class _DocCandidate:
    dense: float = 0.0
    dense_unit: int | None = None
    strength: float = 0.0
    lexical_unit: int | None = None


class SearchEngine(EngineContents):
    def __init__(
        self,
        embedder: Embedder,
        *,
        fusion: FusionConfig | None = None,
        vector_index: VectorIndex | None = None,
        query_cache_size: int = QUERY_CACHE_SIZE,
    ) -> None:
        super().__init__(embedder, vector_index=vector_index)
        self.fusion = fusion or FusionConfig()
        # Query embeddings made ahead of a search by ``reusing`` (route, text -> embedding).
        self._reused: dict[tuple[str, str], QueryEmbedding] = {}
        self._reuse_lock = threading.Lock()
        self.query_cache = QueryCache(query_cache_size)

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

    # ---- persistence (saving is the contents'; loading builds the engine) ---------------------
    @classmethod
    def load(cls, directory: Path, embedder: Embedder, *, fusion: FusionConfig | None = None) -> SearchEngine:
        """Load a saved engine; raises EmbedderMismatchError if it was built with another embedder."""
        stored = read_index(Path(directory), embedder.id)
        engine = cls(embedder, fusion=fusion, vector_index=stored.vectors)
        engine._restore(stored)
        return engine
