"""The engine's vocabulary: documents going in, units they are split into, results coming out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from retrieval.chunking import chunk_markdown
from retrieval.ranking import SearchMode


@dataclass
class IndexedDocument:
    """One searchable document, e.g. doc_id "article:12:pl" = article 12 in Polish.

    ``extra`` must be JSON-serialisable (it is saved with the index and returned with results).
    ``boost`` multiplies the document's final score (1.0 = neutral).
    """

    doc_id: str
    locale: str
    title: str
    questions: list[str] = field(default_factory=list)
    body_markdown: str = ""
    kind: str = "article"
    boost: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)


class UnitKind(StrEnum):
    TITLE = "title"
    QUESTION = "question"
    CHUNK = "chunk"


@dataclass(frozen=True)
class Unit:
    unit_id: int
    doc_id: str
    kind: UnitKind
    text: str  # shown as the snippet
    indexed_text: str  # embedded and tokenised (chunks carry their title/heading context)


@dataclass
class SearchResult:
    """One document's answer to a query.

    ``score == (dense_part + lexical_part) * boost`` (``retrieval.ranking.fusion_parts``): callers
    that re-weigh the evidence (``rank_entities``) read the parts instead of re-deriving them.
    """

    doc_id: str
    score: float
    confidence: float
    snippet: str
    snippet_kind: UnitKind
    matched_terms: list[str]
    dense_score: float  # the best unit's similarity (what the snippet choice compares)
    lexical_strength: float  # BM25 strength, 0..1
    locale: str
    title: str
    kind: str
    extra: dict[str, Any]
    dense_part: float = 0.0  # the document's aggregated dense score as fused (0 in lexical mode)
    lexical_part: float = 0.0  # the lexical evidence as fused (weight x strength in hybrid mode)
    boost: float = 1.0  # the document's score multiplier (forum threads)
    margin: float = 0.0  # score minus the best other candidate's
    threshold: float = 1.0  # the confidence this result needs to count as an answer (its language pair's)


@dataclass
class SearchResponse:
    query: str
    mode: SearchMode
    results: list[SearchResult]
    answered: bool
    query_language: str | None
    route: str  # which scoring function ranked the query (see RoutedEmbedder)
    elapsed_ms: float


@dataclass(frozen=True)
class QueryEmbedding:
    vector: np.ndarray
    route: str


def document_units(document: IndexedDocument) -> list[tuple[UnitKind, str, str]]:
    """(kind, snippet text, indexed text) for each unit of a document, duplicates dropped."""
    units: list[tuple[UnitKind, str, str]] = []
    seen: set[str] = set()

    def add(kind: UnitKind, text: str, indexed: str) -> None:
        key = " ".join(indexed.split()).casefold()
        if text.strip() and key not in seen:
            seen.add(key)
            units.append((kind, text.strip(), indexed.strip()))

    add(UnitKind.TITLE, document.title, document.title)
    for question in document.questions:
        add(UnitKind.QUESTION, question, question)
    for chunk in chunk_markdown(document.body_markdown or ""):
        add(UnitKind.CHUNK, chunk.text, chunk.context_text(document.title))
    return units
