"""Recently embedded queries, so that a repeated search skips the model.

The query embedding is most of a search's time (``python bench/bench_search.py`` shows it apart),
and search boxes repeat themselves: the same popular questions, a page reloaded, htmx asking again
as a customer edits and restores a word. Keys are (route, query text), values the embedding; the
engine that owns the cache has one embedder, so an entry can never be another model's vector.
At 384 float32 a vector is 1.5 kB: the default 2,048 entries are ~3 MB per process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from retrieval.documents import QueryEmbedding

QUERY_CACHE_SIZE = 2048


class QueryCache:
    """A thread-safe LRU map of (route, text) -> QueryEmbedding; size 0 keeps nothing."""

    def __init__(self, size: int = QUERY_CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, str], QueryEmbedding] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple[str, str]) -> QueryEmbedding | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: tuple[str, str], embedding: QueryEmbedding) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = embedding
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
