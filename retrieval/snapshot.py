"""The state a SearchEngine hands to ``retrieval.persistence`` and takes back from it.

These types sit below both the engine and its persistence: the engine imports persistence to save
and load itself, and persistence only ever sees these values, never the engine's attributes. So
neither module needs the other's internals, and there is no import circle between them.
"""

from __future__ import annotations

from dataclasses import dataclass

from retrieval.documents import IndexedDocument, Unit
from retrieval.lexical import LexicalIndex, LexicalSnapshot
from retrieval.vector_index import VectorIndex, VectorSnapshot


@dataclass(frozen=True)
class IndexSnapshot:
    """A consistent copy of an engine's contents, taken under its lock and written without it.

    The dictionaries are shallow copies: the engine replaces their values on change and never edits
    them in place, so sharing the values with a writer in another thread is safe.
    """

    embedder_id: str
    dim: int
    vectors: VectorSnapshot
    lexical: LexicalSnapshot
    documents: dict[str, IndexedDocument]
    doc_units: dict[str, list[int]]
    units: dict[int, Unit]
    next_unit_id: int


@dataclass(frozen=True)
class StoredIndex:
    """A saved engine read back from disk and checked, ready for ``SearchEngine.load`` to restore.

    ``documents`` holds each document with its units, in the order they were saved; the units are
    already in ``lexical`` and ``vectors`` under their ids.
    """

    vectors: VectorIndex
    lexical: LexicalIndex
    documents: list[tuple[IndexedDocument, list[Unit]]]
    next_unit_id: int
