"""The whole article as a unit of its own beside its chunks (see chunking.whole_text)."""

from __future__ import annotations

from retrieval.chunking import chunk_markdown, whole_text
from retrieval.documents import IndexedDocument, UnitKind, document_units

TWO_SECTIONS = "# Card payments\n\nRefunds to a card take five days.\n\n# Bank transfers\n\nTransfers take ten days."


def test_whole_text_is_the_title_then_every_chunk_in_order():
    chunks = chunk_markdown(TWO_SECTIONS)
    assert whole_text("Refunds", chunks) == "Refunds: Refunds to a card take five days.\nTransfers take ten days."


def test_whole_text_without_a_title_is_the_chunks_alone():
    assert whole_text("", chunk_markdown(TWO_SECTIONS)) == "Refunds to a card take five days.\nTransfers take ten days."


def test_an_article_of_several_chunks_gets_one_whole_unit_shown_by_its_opening():
    units = document_units(IndexedDocument("article:1:en", "en", "Refunds", body_markdown=TWO_SECTIONS))
    whole = [(text, indexed) for kind, text, indexed in units if "five days" in indexed and "ten days" in indexed]
    # The snippet of the whole unit is the opening passage, never the whole article.
    opening = "Refunds to a card take five days."
    assert whole == [(opening, f"Refunds: {opening}\nTransfers take ten days.")]
    assert all(kind is UnitKind.CHUNK for kind, _, indexed in units if indexed == whole[0][1])


def test_an_article_of_one_chunk_gets_no_whole_unit():
    # One chunk already is the whole article: title, the chunk.
    units = document_units(IndexedDocument("article:2:en", "en", "Delivery", body_markdown="We ship worldwide."))
    assert [kind for kind, _, _ in units] == [UnitKind.TITLE, UnitKind.CHUNK]
