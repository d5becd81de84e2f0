"""FAISS vector index: ids, removal, the exact-to-approximate switch and stamped persistence."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.vector_index import EmbedderMismatchError, IndexKind, VectorIndex


def unit_vectors(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_search_returns_ids_of_nearest_vectors():
    index = VectorIndex("test", 16)
    vectors = unit_vectors(50)
    index.add(np.arange(100, 150), vectors)
    _, ids = index.search(vectors[7:8], 1)
    assert ids[0, 0] == 107


def test_removed_ids_are_not_returned():
    index = VectorIndex("test", 16)
    vectors = unit_vectors(20)
    index.add(np.arange(20), vectors)
    index.remove([3])
    _, ids = index.search(vectors[3:4], 20)
    assert 3 not in ids[0] and len(index) == 19


def test_large_index_switches_to_ivf_and_still_finds_vectors():
    index = VectorIndex("test", 16, approximate_threshold=2000)
    vectors = unit_vectors(2500)
    index.add(np.arange(2500), vectors)
    assert index.kind is IndexKind.IVF
    _, ids = index.search(vectors[:20], 1)
    assert (ids[:, 0] == np.arange(20)).mean() >= 0.9
    index.remove([0])
    assert len(index) == 2499


def test_save_and_load_round_trip(tmp_path):
    index = VectorIndex("test", 16)
    vectors = unit_vectors(10)
    index.add(np.arange(10), vectors)
    index.save(tmp_path)
    loaded = VectorIndex.load(tmp_path, "test")
    assert len(loaded) == 10
    assert np.allclose(loaded.reconstruct([4]), vectors[4])


def test_loading_with_another_embedder_id_is_refused(tmp_path):
    index = VectorIndex("e5:one", 16)
    index.add([1], unit_vectors(1))
    index.save(tmp_path)
    with pytest.raises(EmbedderMismatchError, match="refusing to mix"):
        VectorIndex.load(tmp_path, "st:other")


def test_a_snapshot_written_later_holds_the_vectors_of_when_it_was_taken(tmp_path):
    index = VectorIndex("test", 16)
    vectors = unit_vectors(10)
    index.add(np.arange(10), vectors)
    snapshot = index.snapshot()
    index.remove([4])
    index.add([20], unit_vectors(1, seed=1))
    snapshot.write(tmp_path)
    loaded = VectorIndex.load(tmp_path, "test")
    assert len(loaded) == 10 and np.allclose(loaded.reconstruct([4]), vectors[4])


def test_reconstruct_returns_vectors_in_the_order_asked(tmp_path):
    index = VectorIndex("test", 16)
    vectors = unit_vectors(10)
    index.add(np.arange(100, 110), vectors)
    assert np.allclose(index.reconstruct([107, 101, 107]), vectors[[7, 1, 7]])
