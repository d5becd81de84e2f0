"""Shared retrieval fixtures: each bundled embedding model loads once per test session."""

from __future__ import annotations

import pytest

from retrieval.embedders import Embedder, get_embedder


@pytest.fixture(scope="session")
def e5() -> Embedder:
    return get_embedder("e5")


@pytest.fixture(scope="session")
def minilm() -> Embedder:
    return get_embedder("minilm")
