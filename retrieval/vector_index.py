"""A FAISS inner-product index over integer ids, with add/remove and a directory format stamped with
the embedder's id (vectors from two different embedders are never mixed).

Small indexes are exact (``IndexFlatIP`` in ``IndexIDMap2``). Past ``approximate_threshold`` vectors the
index becomes an ``IndexIVFFlat`` (which removes by id natively); ``bench/eval_retrieval.py --ann``
measures its recall against exact search.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

import faiss
import numpy as np

import retrieval.threads  # noqa: F401 - FAISS and BLAS thread limits, before any search

FORMAT_VERSION = 1
MANIFEST = "vectors.json"
INDEX_FILE = "vectors.faiss"
# Exact search over this many 384-d vectors is still fast on one core, so approximate search only
# pays off beyond that; below it exactness is free (`python bench/bench_search.py` times searches
# at sizes on both sides of it).
APPROXIMATE_THRESHOLD = 50_000
# Lists probed per query as a share of all lists: 1/8 keeps recall@1 and recall@10 at or next to
# exact search's, and fewer lists start to lose answers. `python bench/eval_retrieval.py --ann`
# measures recall and time per query against exact search for several nprobe values.
NPROBE_SHARE = 1 / 8
# Retrain the coarse quantiser when the index has grown this much since it was last trained.
RETRAIN_GROWTH = 2.0
# An IVF index's id -> list map, so that it can remove and reconstruct by id. faiss's stubs leave
# out the SWIG enum DirectMap; the value is an int.
HASHTABLE_DIRECT_MAP: int = faiss.DirectMap.Hashtable  # type: ignore[attr-defined]


class IndexKind(StrEnum):
    FLAT = "flat"
    IVF = "ivf"


class EmbedderMismatchError(ValueError):
    """The saved index was built with a different embedder; its vectors cannot be compared."""


def _nlist_for(count: int) -> int:
    # FAISS wants ~40 training points per list; 4*sqrt(n) lists is the usual trade-off.
    return int(max(1, min(4096, 4 * math.sqrt(count), count / 40)))


class VectorIndex:
    def __init__(self, embedder_id: str, dim: int, *, approximate_threshold: int = APPROXIMATE_THRESHOLD) -> None:
        self.embedder_id = embedder_id
        self.dim = dim
        self.approximate_threshold = approximate_threshold
        self.kind = IndexKind.FLAT
        self._index: faiss.Index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._trained_at = 0
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def _check(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"expected vectors of shape (n, {self.dim}), got {vectors.shape}")
        return vectors

    def add(self, ids: np.ndarray | list[int], vectors: np.ndarray) -> None:
        """Add vectors under ``ids``; an id already present is replaced."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = self._check(vectors)
        if len(ids) != len(vectors):
            raise ValueError("ids and vectors differ in length")
        if not len(ids):
            return
        with self._lock:
            self.remove(ids)
            self._index.add_with_ids(vectors, ids)
            self._maybe_restructure()

    def remove(self, ids: np.ndarray | list[int]) -> int:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if not len(ids):
            return 0
        with self._lock:
            # IVF's hashtable direct map only removes through an explicit id array; the flat
            # IDMap2 wants a batch selector (an array would be scanned once per stored vector).
            selector = faiss.IDSelectorArray(ids) if self.kind is IndexKind.IVF else faiss.IDSelectorBatch(ids)
            return int(self._index.remove_ids(selector))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, ids), each (n_queries, k'); k' = min(k, len); missing slots have id -1."""
        queries = self._check(queries)
        with self._lock:
            k = max(1, min(k, len(self)))
            if len(self) == 0:
                return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
            scores, ids = self._index.search(queries, k)
        return scores, ids

    def reconstruct(self, ids: list[int] | np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids``, in that order (each id must be present)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        with self._lock:
            if not len(ids):
                return np.zeros((0, self.dim), np.float32)
            return self._index.reconstruct_batch(ids)

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """Every (ids, vectors) pair, in no particular order (for restructuring and tests)."""
        with self._lock:
            if self.kind is IndexKind.FLAT:
                flat = self._flat()
                ids = faiss.vector_to_array(flat.id_map).astype(np.int64)
                vectors = flat.index.reconstruct_n(0, flat.ntotal)
                return ids, vectors.reshape(-1, self.dim)
            ivf = self._ivf()
            invlists = ivf.invlists
            if invlists is None:
                raise ValueError("an IVF index without inverted lists cannot list its vectors")
            id_parts, vector_parts = [], []
            for list_no in range(ivf.nlist):
                size = invlists.list_size(list_no)
                if not size:
                    continue
                id_parts.append(faiss.rev_swig_ptr(invlists.get_ids(list_no), size).copy())
                codes = faiss.rev_swig_ptr(invlists.get_codes(list_no), size * self.dim * 4).copy()
                vector_parts.append(codes.view(np.float32).reshape(size, self.dim))
            if not id_parts:
                return np.zeros(0, np.int64), np.zeros((0, self.dim), np.float32)
            return np.concatenate(id_parts).astype(np.int64), np.concatenate(vector_parts)

    def _flat(self) -> faiss.IndexIDMap2:
        # kind FLAT means an IndexIDMap2 (made in __init__, or read back as one by load).
        return cast(faiss.IndexIDMap2, self._index)

    def _ivf(self) -> faiss.IndexIVFFlat:
        # kind IVF means an IndexIVFFlat (made by _build_ivf, or read back as one by load).
        return cast(faiss.IndexIVFFlat, self._index)

    def _maybe_restructure(self) -> None:
        count = len(self)
        if self.kind is IndexKind.FLAT and count < self.approximate_threshold:
            return
        if self.kind is IndexKind.IVF and count < RETRAIN_GROWTH * self._trained_at:
            return
        self._index = self._build_ivf(*self.all_vectors())
        self.kind = IndexKind.IVF

    def _build_ivf(self, ids: np.ndarray, vectors: np.ndarray) -> faiss.Index:
        nlist = _nlist_for(len(ids))
        quantizer = faiss.IndexFlatIP(self.dim)
        index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.own_fields = True
        # The IVF index owns (and frees) the quantiser now; `this` is SWIG's handle, not in faiss's stubs.
        quantizer.this.disown()  # type: ignore[attr-defined]
        # Training on a bounded sample (64 points per list) keeps a rebuild's training short for any
        # number of vectors.
        sample = (
            vectors
            if len(vectors) <= 64 * nlist
            else vectors[np.random.default_rng(0).choice(len(vectors), 64 * nlist, replace=False)]
        )
        index.train(np.ascontiguousarray(sample))
        index.set_direct_map_type(HASHTABLE_DIRECT_MAP)
        index.nprobe = max(1, int(round(nlist * NPROBE_SHARE)))
        index.add_with_ids(np.ascontiguousarray(vectors), ids)
        self._trained_at = len(ids)
        return index

    def set_nprobe(self, nprobe: int) -> None:
        if self.kind is IndexKind.IVF:
            self._ivf().nprobe = nprobe

    def save(self, directory: Path) -> None:
        self.snapshot().write(directory)

    def snapshot(self) -> VectorSnapshot:
        """A copy of the index, to be written while searches go on: only the copy holds the lock
        (``python bench/bench_search.py``, "stall ms", shows what a save costs a search)."""
        with self._lock:
            manifest = {
                "format": FORMAT_VERSION,
                "embedder_id": self.embedder_id,
                "dim": self.dim,
                "count": len(self),
                "index_type": str(self.kind),
                "approximate_threshold": self.approximate_threshold,
                "trained_at": self._trained_at,
            }
            return VectorSnapshot(faiss.clone_index(self._index), manifest)

    @staticmethod
    def read_manifest(directory: Path) -> dict[str, Any]:
        manifest: dict[str, Any] = json.loads((Path(directory) / MANIFEST).read_text(encoding="utf-8"))
        return manifest

    @classmethod
    def load(cls, directory: Path, embedder_id: str) -> VectorIndex:
        directory = Path(directory)
        manifest = cls.read_manifest(directory)
        if manifest.get("embedder_id") != embedder_id:
            raise EmbedderMismatchError(
                f"the index in {directory} was built with embedder {manifest.get('embedder_id')!r}, "
                f"not {embedder_id!r}; refusing to mix their vectors (rebuild the index with the new embedder)"
            )
        if manifest.get("format") != FORMAT_VERSION:
            raise ValueError(f"unsupported vector index format {manifest.get('format')!r} in {directory}")
        index = cls(embedder_id, int(manifest["dim"]), approximate_threshold=int(manifest["approximate_threshold"]))
        index._index = faiss.read_index(str(directory / INDEX_FILE))
        index.kind = IndexKind(manifest["index_type"])
        index._trained_at = int(manifest.get("trained_at", 0))
        if index.kind is IndexKind.IVF:
            index._ivf().set_direct_map_type(HASHTABLE_DIRECT_MAP)
        if len(index) != int(manifest["count"]) or index._index.d != index.dim:
            raise ValueError(f"vector index in {directory} does not match its manifest")
        return index


@dataclass(frozen=True)
class VectorSnapshot:
    index: faiss.Index
    manifest: dict[str, Any]

    def write(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self.index, str(directory / INDEX_FILE))  # releases the GIL while it writes
        (directory / MANIFEST).write_text(json.dumps(self.manifest, indent=2), encoding="utf-8")
