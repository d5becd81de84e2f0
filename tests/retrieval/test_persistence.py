"""Saving and loading an engine through its snapshot (retrieval.persistence, retrieval.snapshot)."""

from __future__ import annotations

import json

import pytest

from retrieval.engine import IndexedDocument, SearchEngine
from retrieval.persistence import DOCUMENTS_FILE, ENGINE_MANIFEST, read_index, write_index

REFUND = IndexedDocument(doc_id="article:1:en", locale="en", title="Refunds", questions=["How do I get my money back?"])
DELIVERY = IndexedDocument(
    doc_id="article:2:en", locale="en", title="Delivery times", body_markdown="Orders ship in two days."
)


@pytest.fixture
def engine(e5) -> SearchEngine:
    engine = SearchEngine(e5)
    engine.add([REFUND, DELIVERY])
    return engine


def test_a_snapshot_written_later_holds_the_documents_of_when_it_was_taken(engine, e5, tmp_path):
    snapshot = engine.snapshot()
    engine.remove([REFUND.doc_id])

    write_index(snapshot, tmp_path / "index")

    assert SearchEngine.load(tmp_path / "index", e5).doc_ids() == [REFUND.doc_id, DELIVERY.doc_id]


def test_read_index_gives_each_document_with_its_units(engine, e5, tmp_path):
    engine.save(tmp_path / "index")

    stored = read_index(tmp_path / "index", e5.id)

    assert [(document.doc_id, len(units)) for document, units in stored.documents] == [
        (doc_id, len(engine.snapshot().doc_units[doc_id])) for doc_id in engine.doc_ids()
    ]


def test_an_index_of_another_format_is_refused(engine, e5, tmp_path):
    engine.save(tmp_path / "index")
    manifest_path = tmp_path / "index" / ENGINE_MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "format": manifest["format"] - 1}), encoding="utf-8")

    with pytest.raises(ValueError, match="unsupported search index format"):
        SearchEngine.load(tmp_path / "index", e5)


def test_an_index_whose_documents_lost_units_is_refused(engine, e5, tmp_path):
    engine.save(tmp_path / "index")
    documents_path = tmp_path / "index" / DOCUMENTS_FILE
    # Dropping the last document's line leaves vectors no unit owns.
    documents_path.write_text(
        "".join(documents_path.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8"
    )

    with pytest.raises(ValueError, match="inconsistent"):
        SearchEngine.load(tmp_path / "index", e5)
