"""Embedders: shape, normalisation and query/passage roles for both bundled backends."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.embedders import get_embedder

TEXTS = ["How do I get a refund?", "Jak mogę odzyskać pieniądze?"]


def test_e5_returns_normalised_float32_rows(e5):
    vectors = e5.embed_passages(TEXTS)
    assert vectors.shape == (2, e5.dim) and e5.dim == 384
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_e5_query_and_passage_roles_differ(e5):
    query = e5.embed_queries(TEXTS[:1])[0]
    passage = e5.embed_passages(TEXTS[:1])[0]
    assert 0.8 < float(query @ passage) < 0.9999


def test_e5_empty_input_gives_empty_matrix(e5):
    assert e5.embed_queries([]).shape == (0, e5.dim)


def test_minilm_returns_normalised_float32_rows(minilm):
    vectors = minilm.embed_queries(TEXTS)
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_minilm_is_symmetric_without_prefixes(minilm):
    assert np.allclose(minilm.embed_queries(TEXTS[:1]), minilm.embed_passages(TEXTS[:1]), atol=1e-6)


def test_embedder_ids_are_stable_names():
    assert get_embedder("e5").id == "e5:multilingual-e5-small-q4"
    assert get_embedder("minilm").id == "st:all-MiniLM-L6-v2"


def test_get_embedder_loads_once_per_process(e5):
    assert get_embedder("e5") is e5


def test_unknown_embedder_spec_is_rejected():
    with pytest.raises(ValueError, match="unknown embedder"):
        get_embedder("word2vec")


@pytest.fixture(scope="module")
def hybrid(e5, minilm):
    return get_embedder("hybrid")


def test_hybrid_routes_english_queries_to_both_models(hybrid):
    assert hybrid.route_for("How do I reset my password?") == hybrid.english_route


@pytest.mark.parametrize(
    "query",
    [
        "Jak zresetować hasło do konta?",
        "Paano ko ire-reset ang password ko?",
        "ลืมรหัสผ่าน",
        "Bagaimana cara mengatur ulang kata sandi?",
    ],
)
def test_hybrid_routes_other_languages_to_the_multilingual_model(hybrid, query):
    assert hybrid.route_for(query) == hybrid.multilingual_route


def test_hybrid_trusts_a_given_non_english_language(hybrid):
    assert hybrid.route_for("password reset", "pl") == hybrid.multilingual_route


def test_hybrid_scores_english_queries_by_a_mix_of_cosines(hybrid, e5, minilm):
    query, passage = "How do I reset my password?", "Resetting your password"
    score = float(hybrid.embed_queries([query])[0] @ hybrid.embed_passages([passage])[0])
    e5_cos = float(e5.embed_queries([query])[0] @ e5.embed_passages([passage])[0])
    minilm_cos = float(minilm.embed_queries([query])[0] @ minilm.embed_passages([passage])[0])
    w = hybrid.multilingual_weight
    assert score == pytest.approx(w * e5_cos + (1 - w) * minilm_cos, abs=1e-4)


def test_hybrid_scores_other_queries_by_the_multilingual_cosine_alone(hybrid, e5):
    query, passage = "Jak zresetować hasło?", "Resetting your password"
    score = float(hybrid.embed_queries([query])[0] @ hybrid.embed_passages([passage])[0])
    assert score == pytest.approx(float(e5.embed_queries([query])[0] @ e5.embed_passages([passage])[0]), abs=1e-4)
