"""Search fixtures: the real e5 model, loaded once and memoised, and a fresh keeper per test.

The memo keeps every text's vector for the session, so re-indexing the same texts (a restart, a
second keeper) costs nothing; it keeps the model's id, so indexes built through it are e5 indexes.
``passages_embedded`` counts texts the model really embedded, which tells a load from a rebuild.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from kb.search.keeper import IndexKeeper
from retrieval.embedders import Embedder, get_embedder


class MemoEmbedder:
    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.id = inner.id
        self.dim = inner.dim
        self._memo: dict[tuple[bool, str], np.ndarray] = {}
        self.passages_embedded = 0
        self.passage_requests = 0

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        texts = list(texts)
        missing = list(dict.fromkeys(text for text in texts if (is_query, text) not in self._memo))
        if missing:
            vectors = (self.inner.embed_queries if is_query else self.inner.embed_passages)(missing)
            self._memo.update({(is_query, text): vectors[i] for i, text in enumerate(missing)})
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._memo[(is_query, text)] for text in texts])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passage_requests += len(texts)
        return self._embed(texts, False)


@pytest.fixture(scope="session")
def embedder() -> MemoEmbedder:
    return MemoEmbedder(get_embedder("e5"))


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def keeper(embedder: MemoEmbedder, index_dir: Path) -> IndexKeeper:
    return IndexKeeper(embedder, index_dir=index_dir)
