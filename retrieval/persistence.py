"""Saving and loading a SearchEngine as a directory.

Layout: ``engine.json`` (format, embedder id, counts), ``vectors.faiss`` + ``vectors.json`` (the
vector index and its manifest), ``lexical.jsonl`` (the BM25 forward index, so loading does not
re-tokenise) and ``documents.jsonl`` (documents with their units). A save is written beside the
target and swapped in when complete, so a reader never sees half an index.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.documents import IndexedDocument, Unit, UnitKind
from retrieval.embedders import Embedder
from retrieval.lexical import LexicalIndex, yield_gil
from retrieval.ranking import FusionConfig
from retrieval.vector_index import VectorIndex

if TYPE_CHECKING:
    from retrieval.engine import SearchEngine

ENGINE_FORMAT = 3  # 2: lexical.jsonl (one key per line); 3: hyphenated words also indexed joined, long articles also whole
ENGINE_MANIFEST = "engine.json"
DOCUMENTS_FILE = "documents.jsonl"
LEXICAL_FILE = "lexical.jsonl"


def save_engine(engine: SearchEngine, directory: Path) -> None:
    # Only the snapshot holds the engine's lock; the slow part (JSON, disk) lets searches go on.
    with engine._lock:
        vectors = engine._vectors.snapshot()
        lexical = engine._lexical.snapshot()
        # Shallow copies (C-speed): the engine replaces these values on change, never edits them.
        documents, doc_units, units = dict(engine._documents), dict(engine._doc_units), dict(engine._units)
        manifest = {
            "format": ENGINE_FORMAT,
            "embedder_id": engine.embedder.id,
            "dim": engine.embedder.dim,
            "documents": len(engine._documents),
            "units": len(engine._units),
            "next_unit_id": engine._next_unit_id,
        }
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    vectors.write(staging)
    lexical.write(staging / LEXICAL_FILE)
    with open(staging / DOCUMENTS_FILE, "w", encoding="utf-8") as handle:
        for doc_id, document in yield_gil(documents.items()):
            row = {
                "document": asdict(document),
                "units": [
                    [unit.unit_id, unit.kind.value, unit.text, unit.indexed_text]
                    for unit in (units[unit_id] for unit_id in doc_units[doc_id])
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


def load_engine(
    engine_class: type[SearchEngine], directory: Path, embedder: Embedder, fusion: FusionConfig | None
) -> SearchEngine:
    manifest = json.loads((directory / ENGINE_MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != ENGINE_FORMAT:
        raise ValueError(f"unsupported search index format {manifest.get('format')!r} in {directory}")
    # VectorIndex.load raises EmbedderMismatchError before anything else is read.
    engine = engine_class(embedder, fusion=fusion, vector_index=VectorIndex.load(directory, embedder.id))
    engine._lexical = LexicalIndex.load(directory / LEXICAL_FILE)
    with open(directory / DOCUMENTS_FILE, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            document = IndexedDocument(**row["document"])
            units = [Unit(unit_id, document.doc_id, UnitKind(kind), text, indexed) for unit_id, kind, text, indexed in row["units"]]
            engine._attach(document, units)
    engine._next_unit_id = int(manifest["next_unit_id"])
    if len(engine._units) != len(engine._vectors):
        raise ValueError(
            f"search index in {directory} is inconsistent ({len(engine._units)} units, {len(engine._vectors)} vectors)"
        )
    return engine
