"""Recently embedded queries: a repeated search skips the model and ranks exactly as before."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.documents import QueryEmbedding
from retrieval.engine import SearchEngine
from retrieval.query_cache import QueryCache
from tests.retrieval.test_engine import DELIVERY, PASSWORD, REFUND
from tests.retrieval.test_engine_reuse import CountingEmbedder


@pytest.fixture
def counting(e5) -> CountingEmbedder:
    return CountingEmbedder(e5)


@pytest.fixture
def engine(counting) -> SearchEngine:
    engine = SearchEngine(counting)
    engine.add([REFUND, DELIVERY, PASSWORD])
    return engine


def test_a_repeated_search_is_not_embedded_again_and_ranks_the_same(engine, counting):
    first = engine.search("where is my package", limit=3)
    again = engine.search(" where is my package", limit=3)

    assert counting.queries == ["where is my package"]
    assert [(r.doc_id, r.score) for r in again.results] == [(r.doc_id, r.score) for r in first.results]


def test_a_different_query_is_embedded(engine, counting):
    engine.search("where is my package", limit=1)
    engine.search("Where is my package", limit=1)  # case can change the embedding: a query of its own
    assert counting.queries == ["where is my package", "Where is my package"]


def test_the_least_recently_used_query_is_dropped_first():
    cache = QueryCache(size=2)
    vectors = {name: QueryEmbedding(np.full(2, i, dtype=np.float32), "r") for i, name in enumerate("abc")}
    cache.put(("r", "a"), vectors["a"])
    cache.put(("r", "b"), vectors["b"])
    cache.get(("r", "a"))  # "a" used last: "b" goes when "c" comes

    cache.put(("r", "c"), vectors["c"])

    assert cache.get(("r", "b")) is None
    assert cache.get(("r", "a")) is vectors["a"] and cache.get(("r", "c")) is vectors["c"]


def test_size_zero_keeps_nothing():
    cache = QueryCache(size=0)
    cache.put(("r", "a"), QueryEmbedding(np.zeros(2, dtype=np.float32), "r"))
    assert cache.get(("r", "a")) is None and len(cache) == 0
