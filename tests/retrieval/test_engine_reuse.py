"""SearchEngine.reusing: a query embedded ahead of its search (outside a transaction) is not embedded again."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from retrieval.engine import SearchEngine
from tests.retrieval.test_engine import DELIVERY, PASSWORD, REFUND


class CountingEmbedder:
    """The real e5 model, counting the query texts it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner, self.id, self.dim = inner, inner.id, inner.dim
        self.queries: list[str] = []

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.queries.extend(texts)
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)


@pytest.fixture
def counting(e5) -> CountingEmbedder:
    return CountingEmbedder(e5)


@pytest.fixture
def engine(counting) -> SearchEngine:
    # Without the cache of recent queries (tests/retrieval/test_query_cache.py), which would hide
    # whether the block's embeddings outlive it.
    engine = SearchEngine(counting, query_cache_size=0)
    engine.add([REFUND, DELIVERY, PASSWORD])
    return engine


def test_a_search_inside_reusing_uses_the_embedding_made_ahead(engine, counting):
    expected = engine.search("where is my package", limit=3)
    counting.queries.clear()

    with engine.reusing(["where is my package"]):
        assert counting.queries == ["where is my package"]
        inside = engine.search("  where is my package ", limit=3)

    assert counting.queries == ["where is my package"]
    assert [(r.doc_id, r.score) for r in inside.results] == [(r.doc_id, r.score) for r in expected.results]


def test_other_queries_and_searches_after_the_block_are_embedded(engine, counting):
    with engine.reusing(["where is my package"]):
        engine.search("I forgot my password", limit=1)
    engine.search("where is my package", limit=1)
    assert counting.queries == ["where is my package", "I forgot my password", "where is my package"]
