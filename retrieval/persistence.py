"""Saving and loading a SearchEngine as a directory.

Layout: ``engine.json`` (format, embedder id, counts), ``vectors.faiss`` + ``vectors.json`` (the
vector index and its manifest), ``lexical.jsonl`` (the BM25 forward index, so loading does not
re-tokenise) and ``documents.jsonl`` (documents with their units). A save is written beside the
target and swapped in when complete, so a reader never sees half an index.

This module knows the engine only through ``retrieval.snapshot``: it writes an ``IndexSnapshot``
and reads back a ``StoredIndex``; ``SearchEngine.save`` and ``SearchEngine.load`` call it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from retrieval.documents import IndexedDocument, Unit, UnitKind
from retrieval.lexical import LexicalIndex, yield_gil
from retrieval.snapshot import IndexSnapshot, StoredIndex
from retrieval.vector_index import VectorIndex

ENGINE_FORMAT = (
    3  # 2: lexical.jsonl (one key per line); 3: hyphenated words also indexed joined, long articles also whole
)
ENGINE_MANIFEST = "engine.json"
DOCUMENTS_FILE = "documents.jsonl"
LEXICAL_FILE = "lexical.jsonl"


def write_index(snapshot: IndexSnapshot, directory: Path) -> None:
    """Write ``snapshot`` to ``directory``, replacing what was there only once fully written.

    Runs without the engine's lock (the snapshot is already a copy), so searches go on meanwhile.
    """
    manifest = {
        "format": ENGINE_FORMAT,
        "embedder_id": snapshot.embedder_id,
        "dim": snapshot.dim,
        "documents": len(snapshot.documents),
        "units": len(snapshot.units),
        "next_unit_id": snapshot.next_unit_id,
    }
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    snapshot.vectors.write(staging)
    snapshot.lexical.write(staging / LEXICAL_FILE)
    with open(staging / DOCUMENTS_FILE, "w", encoding="utf-8") as handle:
        for doc_id, document in yield_gil(snapshot.documents.items()):
            row = {
                "document": asdict(document),
                "units": [
                    [unit.unit_id, unit.kind.value, unit.text, unit.indexed_text]
                    for unit in (snapshot.units[unit_id] for unit_id in snapshot.doc_units[doc_id])
                ],
            }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    (staging / ENGINE_MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    previous = None
    if directory.exists():
        previous = directory.with_name(f".{directory.name}-old-{time.time_ns()}")
        directory.rename(previous)
    staging.rename(directory)
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)


def read_index(directory: Path, embedder_id: str) -> StoredIndex:
    """Read a saved engine; raises EmbedderMismatchError if it was built with another embedder,
    ValueError if its format is not this version's or its parts disagree."""
    manifest = json.loads((directory / ENGINE_MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != ENGINE_FORMAT:
        raise ValueError(f"unsupported search index format {manifest.get('format')!r} in {directory}")
    # VectorIndex.load raises EmbedderMismatchError before anything else is read.
    vectors = VectorIndex.load(directory, embedder_id)
    lexical = LexicalIndex.load(directory / LEXICAL_FILE)
    documents: list[tuple[IndexedDocument, list[Unit]]] = []
    unit_ids: set[int] = set()
    with open(directory / DOCUMENTS_FILE, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            document = IndexedDocument(**row["document"])
            units = [
                Unit(unit_id, document.doc_id, UnitKind(kind), text, indexed)
                for unit_id, kind, text, indexed in row["units"]
            ]
            unit_ids.update(unit.unit_id for unit in units)
            documents.append((document, units))
    if len(unit_ids) != len(vectors):
        raise ValueError(f"search index in {directory} is inconsistent ({len(unit_ids)} units, {len(vectors)} vectors)")
    return StoredIndex(vectors, lexical, documents, int(manifest["next_unit_id"]))
