"""An on-disk embedding cache for benchmarks, keyed by embedder id, role and text hash.

It wraps any embedder and keeps its id, so an engine built through it is indistinguishable from one
built with the bare embedder; reruns of the evaluations then skip the slow model entirely.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.embedders import Embedder

DEFAULT_CACHE_DIR = Path(__file__).resolve().parents[1] / "var" / "cache"


class CachedEmbedder:
    def __init__(self, inner: Embedder, cache_dir: Path = DEFAULT_CACHE_DIR) -> None:
        self.inner = inner
        self.id = inner.id
        self.dim = inner.dim
        cache_dir.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(cache_dir / "embeddings.sqlite")
        self._db.execute("CREATE TABLE IF NOT EXISTS embedding (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        self.hits = 0
        self.misses = 0

    def _key(self, role: str, text: str) -> str:
        return hashlib.sha256(f"{self.id}\x00{role}\x00{text}".encode()).hexdigest()[:40]

    def _embed(self, texts: Sequence[str], role: str) -> np.ndarray:
        texts = list(texts)
        keys = [self._key(role, text) for text in texts]
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            part = unique[start : start + 500]
            rows = self._db.execute(
                f"SELECT key, vector FROM embedding WHERE key IN ({','.join('?' * len(part))})", part
            ).fetchall()
            found.update({key: np.frombuffer(blob, dtype=np.float32) for key, blob in rows})
        missing = list(dict.fromkeys(text for text, key in zip(texts, keys, strict=True) if key not in found))
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            embed = self.inner.embed_queries if role == "query" else self.inner.embed_passages
            for start in range(0, len(missing), 256):
                batch = missing[start : start + 256]
                vectors = embed(batch)
                rows = [
                    (self._key(role, text), vectors[i].astype(np.float32).tobytes()) for i, text in enumerate(batch)
                ]
                self._db.executemany("INSERT OR REPLACE INTO embedding VALUES (?, ?)", rows)
                self._db.commit()
                found.update({key: vectors[i] for i, (key, _) in enumerate(rows)})
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[key] for key in keys]).astype(np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, "query")

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, "passage")
