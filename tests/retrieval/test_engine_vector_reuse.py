"""SearchEngine.upsert reuses the vector of a unit text it (or a donor engine) already holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from retrieval.engine import EmbedderMismatchError, SearchEngine, UpsertStats
from tests.retrieval.test_engine import DELIVERY, PASSWORD, REFUND


class CountingEmbedder:
    """The real e5 model, counting the passages it is asked to embed."""

    def __init__(self, inner, embedder_id: str | None = None) -> None:
        self.inner, self.id, self.dim = inner, embedder_id or inner.id, inner.dim
        self.passages: list[str] = []

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages.extend(texts)
        return self.inner.embed_passages(texts)


@pytest.fixture
def counting(e5) -> CountingEmbedder:
    return CountingEmbedder(e5)


def test_a_rebuild_from_a_donor_embeds_nothing_and_ranks_the_same(counting):
    old = SearchEngine(counting)
    old.add([REFUND, DELIVERY, PASSWORD])
    counting.passages.clear()
    stats = UpsertStats()

    new = SearchEngine(counting)
    new.upsert([REFUND, DELIVERY, PASSWORD], stats=stats, donor=old)

    assert counting.passages == []
    assert (stats.documents, stats.units, stats.embedded) == (3, old.unit_count, 0)
    query = "where is my parcel"
    assert [(r.doc_id, r.score) for r in new.search(query, limit=3).results] == [
        (r.doc_id, r.score) for r in old.search(query, limit=3).results
    ]


def test_only_texts_the_donor_lacks_are_embedded(counting):
    old = SearchEngine(counting)
    old.add([REFUND])
    counting.passages.clear()

    SearchEngine(counting).upsert([REFUND, replace(DELIVERY, questions=[])], donor=old)

    # DELIVERY without its questions: its title and body chunk(s), nothing of REFUND's.
    assert counting.passages and not set(counting.passages) & set(_texts(old))


def test_a_text_shared_by_two_documents_is_embedded_once(counting):
    engine = SearchEngine(counting)
    engine.add([REFUND])
    counting.passages.clear()

    engine.add([replace(DELIVERY, doc_id="delivery-copy", questions=[*DELIVERY.questions, REFUND.questions[0]])])

    assert REFUND.questions[0] not in counting.passages


def test_a_text_removed_with_its_only_document_is_embedded_again(counting):
    engine = SearchEngine(counting)
    engine.add([REFUND])
    engine.remove([REFUND.doc_id])
    counting.passages.clear()

    engine.add([REFUND])

    assert REFUND.title in counting.passages


def test_a_donor_of_another_embedder_is_refused(e5, counting):
    other = SearchEngine(CountingEmbedder(e5, "e5:some-other-model"))
    with pytest.raises(EmbedderMismatchError):
        SearchEngine(counting).upsert([REFUND], donor=other)


def _texts(engine: SearchEngine) -> list[str]:
    return [unit.indexed_text for unit in engine._units.values()]  # noqa: SLF001 - what the engine holds
