"""Vectorised per-document evidence agrees with the one-document definitions in retrieval.ranking."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.candidates import DocumentTable, best_per_row, exact_dense, group_dense
from retrieval.ranking import aggregate_units

WEIGHT = 0.3


@pytest.fixture
def table() -> DocumentTable:
    """Document rows 1..3: row 1 has units 1-3, row 2 unit 4 only, row 3 units 5-6."""
    table = DocumentTable()
    table.attach(1, [1, 2, 3], 1.0)
    table.attach(2, [4], 1.0)
    table.attach(3, [5, 6], 0.5)
    return table


def _as_dict(evidence) -> dict[int, tuple[float, int, float]]:
    return {
        int(row): (float(score), int(unit), float(similarity))
        for row, score, unit, similarity in zip(
            evidence.rows, evidence.scores, evidence.best_units, evidence.best_similarities, strict=True
        )
    }


def test_documents_with_two_hits_blend_their_best_two(table):
    evidence = _as_dict(group_dense(table, np.array([0.9, 0.8, 0.7]), np.array([2, 5, 1]), WEIGHT, None))
    assert evidence[1] == pytest.approx((aggregate_units([0.9, 0.7], WEIGHT), 2, 0.9))


def test_a_lone_hit_is_bounded_by_the_floor_when_the_document_has_more_units(table):
    evidence = _as_dict(group_dense(table, np.array([0.9, 0.8]), np.array([5, 4]), WEIGHT, 0.6))
    assert evidence[3][0] == pytest.approx(aggregate_units([0.9], WEIGHT, missing=0.6))


def test_a_one_unit_document_counts_its_unit_twice(table):
    evidence = _as_dict(group_dense(table, np.array([0.9, 0.8]), np.array([5, 4]), WEIGHT, 0.6))
    assert evidence[2][0] == pytest.approx(0.8)


def test_missing_hits_are_ignored(table):
    evidence = group_dense(table, np.array([0.9, -3.4e38]), np.array([4, -1]), WEIGHT, None)
    assert evidence.rows.tolist() == [2]


def test_exact_dense_matches_the_scalar_definition_on_random_documents(table):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(6, 8)).astype(np.float32)
    query = rng.normal(size=8).astype(np.float32)
    doc_units = [[1, 2, 3], [4], [5, 6]]
    evidence = _as_dict(exact_dense(table, doc_units, vectors, query, WEIGHT))
    similarities = (vectors @ query).tolist()
    offset = 0
    for row, units in enumerate(doc_units, start=1):
        own = similarities[offset : offset + len(units)]
        offset += len(units)
        assert evidence[row][0] == pytest.approx(aggregate_units(own, WEIGHT))
        assert evidence[row][1] == units[int(np.argmax(own))]


def test_equal_similarities_go_to_the_earlier_unit(table):
    vectors = np.ones((3, 4), dtype=np.float32)
    evidence = _as_dict(exact_dense(table, [[1, 2, 3]], vectors, np.ones(4, dtype=np.float32), WEIGHT))
    assert evidence[1][1] == 1


def test_detached_units_no_longer_map_to_their_document(table):
    table.detach(3, [5, 6])
    assert table.unit_row[[5, 6]].tolist() == [0, 0]
    assert table.unit_count[3] == 0


def test_best_per_row_keeps_the_largest_value():
    best = best_per_row(np.array([1, 1, 3]), np.array([0.2, 0.5, 0.1]), 4)
    assert best.tolist() == [0.0, 0.5, 0.0, 0.1]
