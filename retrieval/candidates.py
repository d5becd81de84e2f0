"""From unit hits to per-document evidence, with numpy rather than a Python loop per candidate.

A search looks at hundreds of candidate documents (the service asks for 40 results, and each side
proposes 20 units per result), so per-candidate Python work dominated the engine's time. The engine
keeps a ``DocumentTable`` (unit id -> document row, units per document, boosts) beside its indexes;
the functions here group scored units by document with array operations. They compute exactly
what ``retrieval.ranking.aggregate_units`` defines for one document.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.lexical import grown
from retrieval.ranking import blend_units


class DocumentTable:
    """Rows are the engine's per-document integer keys; unit ids index ``unit_row``.

    Both kinds of id only grow (a re-indexed document gets new ones), so plain arrays indexed by
    them stay small and never need compacting within a process.
    """

    def __init__(self) -> None:
        self.unit_row = np.zeros(0, dtype=np.int64)  # unit id -> document row (0: none)
        self.unit_count = np.zeros(0, dtype=np.int64)  # document row -> number of units
        self.boost = np.zeros(0, dtype=np.float64)  # document row -> score multiplier

    def attach(self, row: int, unit_ids: list[int], boost: float) -> None:
        if unit_ids:
            self.unit_row = grown(self.unit_row, max(unit_ids) + 1)
            self.unit_row[unit_ids] = row
        self.unit_count = grown(self.unit_count, row + 1)
        self.boost = grown(self.boost, row + 1)
        self.unit_count[row] = len(unit_ids)
        self.boost[row] = boost

    def detach(self, row: int, unit_ids: list[int]) -> None:
        if unit_ids:
            self.unit_row[unit_ids] = 0
        self.unit_count[row] = 0
        self.boost[row] = 0.0

    @property
    def rows(self) -> int:
        return len(self.unit_count)


@dataclass(frozen=True)
class DenseEvidence:
    """Per document (parallel arrays): its row, aggregated dense score, best unit and that unit's
    similarity."""

    rows: np.ndarray
    scores: np.ndarray
    best_units: np.ndarray
    best_similarities: np.ndarray

    @classmethod
    def empty(cls) -> DenseEvidence:
        return cls.without_vectors(np.zeros(0, np.int64))

    @classmethod
    def without_vectors(cls, rows: np.ndarray) -> DenseEvidence:
        """Documents that have no dense evidence (lexical mode): zero scores, no best unit."""
        return cls(rows, np.zeros(len(rows)), np.full(len(rows), -1, np.int64), np.zeros(len(rows)))

    def __add__(self, other: DenseEvidence) -> DenseEvidence:
        return DenseEvidence(
            np.concatenate([self.rows, other.rows]),
            np.concatenate([self.scores, other.scores]),
            np.concatenate([self.best_units, other.best_units]),
            np.concatenate([self.best_similarities, other.best_similarities]),
        )


def group_dense(
    table: DocumentTable,
    similarities: np.ndarray,
    unit_ids: np.ndarray,
    second_unit_weight: float,
    floor: float | None,
) -> DenseEvidence:
    """Aggregate unit similarities per document.

    ``similarities`` must be in descending order, ties in the order the units should win them (FAISS
    returns its hits that way). A document with fewer hits than units has its missing second unit
    bounded by ``floor``, the lowest similarity retrieved (see ``aggregate_units``).
    """
    keep = unit_ids >= 0
    similarities = similarities[keep].astype(np.float64)
    unit_ids = unit_ids[keep]
    if not len(unit_ids):
        return DenseEvidence.empty()
    rows = table.unit_row[unit_ids]
    unique_rows, first, counts = np.unique(rows, return_index=True, return_counts=True)
    best = similarities[first]
    # The second hit of each document: mask the first ones, then the first of what remains.
    rest = np.ones(len(rows), dtype=bool)
    rest[first] = False
    second = best.copy()
    if rest.any():
        rest_rows, rest_first = np.unique(rows[rest], return_index=True)
        second[np.searchsorted(unique_rows, rest_rows)] = similarities[rest][rest_first]
    if floor is not None:
        # One hit, but the document has other units below the retrieved ones.
        lone = (counts == 1) & (table.unit_count[unique_rows] > 1)
        second[lone] = np.minimum(best[lone], floor)
    return DenseEvidence(unique_rows, blend_units(best, second, second_unit_weight), unit_ids[first], best)


def exact_dense(
    table: DocumentTable,
    doc_units: list[list[int]],
    vectors: np.ndarray,
    query_vector: np.ndarray,
    second_unit_weight: float,
) -> DenseEvidence:
    """Dense evidence for documents with every unit's vector at hand (``vectors`` holds the units of
    ``doc_units`` concatenated in order): ties go to the earlier unit, as in ``group_dense``."""
    if not doc_units:
        return DenseEvidence.empty()
    unit_ids = np.fromiter((unit_id for units in doc_units for unit_id in units), dtype=np.int64)
    similarities = vectors @ query_vector
    order = np.argsort(-similarities, kind="stable")
    return group_dense(table, similarities[order], unit_ids[order], second_unit_weight, None)


def best_per_row(rows: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """An array of length ``size``: for each row the largest of its ``values`` (0 where none)."""
    best = np.zeros(size, dtype=np.float64)
    if len(rows):
        np.maximum.at(best, rows, values)
    return best
