"""SearchEngine on a tiny real corpus with the bundled e5 model."""

from __future__ import annotations

from dataclasses import replace

import pytest

from retrieval.engine import EmbedderMismatchError, IndexedDocument, SearchEngine, SearchMode, UnitKind

REFUND = IndexedDocument(
    doc_id="article:1:en",
    locale="en",
    title="Refunds",
    questions=["How do I get my money back?", "Can I return an order for a refund?"],
    body_markdown="# Card payments\n\nRefunds to a card arrive within five working days.\n\n"
    "# Bank transfers\n\nRefunds by bank transfer take up to ten days.",
)
DELIVERY = IndexedDocument(
    doc_id="article:2:en",
    locale="en",
    title="Delivery times",
    questions=["When will my parcel arrive?", "Do you ship abroad?"],
    body_markdown="Orders ship within two days. International delivery takes a week.",
)
PASSWORD = IndexedDocument(
    doc_id="article:3:en",
    locale="en",
    title="Resetting your password",
    questions=["I forgot my password", "How do I change my login details?"],
)


@pytest.fixture
def engine(e5) -> SearchEngine:
    engine = SearchEngine(e5)
    engine.add([REFUND, DELIVERY, PASSWORD])
    return engine


def test_search_finds_the_answering_article(engine):
    response = engine.search("where is my package", limit=3)
    assert response.results[0].doc_id == "article:2:en"


def test_snippet_is_the_paragraph_that_answers(engine):
    result = engine.search("how long does a refund by bank transfer take", limit=1).results[0]
    assert result.doc_id == "article:1:en"
    assert result.snippet_kind is UnitKind.CHUNK and "bank transfer" in result.snippet


def test_matched_terms_are_reported(engine):
    result = engine.search("reset password", limit=1).results[0]
    assert "password" in result.matched_terms


def test_polish_question_finds_english_article(engine):
    response = engine.search("Zapomniałem hasła do konta", query_language="pl", limit=3)
    assert response.results[0].doc_id == "article:3:en"


def test_unrelated_query_is_not_answered(engine):
    response = engine.search("what is the boiling point of mercury", limit=3)
    assert response.answered is False


def test_related_query_is_answered(engine):
    response = engine.search("I forgot my password, how do I reset it?", limit=3)
    assert response.answered is True and response.results[0].confidence > 0.5


def test_every_mode_ranks_through_the_same_engine(engine):
    for mode in SearchMode:
        assert engine.search("refund to my card", mode=mode, limit=1).results[0].doc_id == "article:1:en"


def test_removed_documents_are_not_found(engine):
    engine.remove(["article:3:en"])
    assert "article:3:en" not in {r.doc_id for r in engine.search("password", limit=5).results}
    assert len(engine) == 2


def test_upsert_replaces_a_document(engine):
    engine.upsert([IndexedDocument(doc_id="article:3:en", locale="en", title="Gift cards")])
    result = engine.search("gift card", limit=1).results[0]
    assert result.doc_id == "article:3:en" and result.title == "Gift cards"
    assert len(engine) == 3


def test_add_refuses_duplicate_ids(engine):
    with pytest.raises(ValueError):
        engine.add([REFUND])


def test_progress_callback_reports_documents_done(e5):
    calls = []
    SearchEngine(e5).add([REFUND, DELIVERY], progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (2, 2)


def test_save_and_load_round_trip(engine, e5, tmp_path):
    engine.save(tmp_path / "index")
    loaded = SearchEngine.load(tmp_path / "index", e5)
    assert len(loaded) == 3
    before = engine.search("refund to my card", limit=3)
    after = loaded.search("refund to my card", limit=3)
    assert [(r.doc_id, round(r.score, 5)) for r in after.results] == [
        (r.doc_id, round(r.score, 5)) for r in before.results
    ]


def test_loading_with_another_embedder_is_refused(engine, minilm, tmp_path):
    engine.save(tmp_path / "index")
    with pytest.raises(EmbedderMismatchError):
        SearchEngine.load(tmp_path / "index", minilm)


def test_empty_engine_returns_no_results(e5):
    response = SearchEngine(e5).search("anything")
    assert response.results == [] and response.answered is False


def test_thai_query_finds_thai_article_lexically(e5):
    engine = SearchEngine(e5)
    engine.add(
        [
            IndexedDocument(
                doc_id="article:1:th", locale="th", title="การขอคืนเงิน", body_markdown="คุณสามารถขอคืนเงินได้ภายในสิบสี่วัน"
            ),
            IndexedDocument(
                doc_id="article:2:th", locale="th", title="การจัดส่งสินค้า", body_markdown="เราจัดส่งสินค้าทั่วประเทศ"
            ),
        ]
    )
    result = engine.search("ฉันอยากขอคืนเงิน", mode=SearchMode.LEXICAL, limit=2).results[0]
    assert result.doc_id == "article:1:th" and "คืนเงิน" in result.matched_terms


def test_unchanged_units_keep_their_vectors_on_upsert(e5):
    calls = []

    class CountingEmbedder:
        id, dim = e5.id, e5.dim

        def embed_queries(self, texts):
            return e5.embed_queries(texts)

        def embed_passages(self, texts):
            calls.append(list(texts))
            return e5.embed_passages(texts)

    counting = SearchEngine(CountingEmbedder())
    counting.add([PASSWORD])
    counting.upsert([replace(PASSWORD, questions=[*PASSWORD.questions, "Locked out of my account"])])
    assert calls[-1] == ["Locked out of my account"]
