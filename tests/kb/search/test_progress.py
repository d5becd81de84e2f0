"""The reindex progress line: rates from the units indexed and embedded so far, the ETA from documents."""

from __future__ import annotations

from kb.search.progress import RebuildProgress
from retrieval.engine import UpsertStats


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_rates_are_per_second_since_the_start():
    clock, stats = Clock(), UpsertStats()
    progress = RebuildProgress(stats, clock)
    clock.now += 10
    stats.units, stats.embedded = 300, 250

    line = progress.line(50, 200)

    assert "300 units (250 embedded, 50 reused)" in line
    assert "30.0 units/s, 25.0 chunks embedded/s" in line


def test_eta_is_the_remaining_documents_at_the_pace_so_far():
    clock = Clock()
    progress = RebuildProgress(UpsertStats(), clock)
    clock.now += 90  # 90 s for a quarter: three quarters left take 270 s
    assert progress.line(100, 400).endswith("ETA 0:04:30")


def test_the_last_line_says_done():
    clock = Clock()
    progress = RebuildProgress(UpsertStats(), clock)
    clock.now += 5
    assert progress.line(400, 400).endswith("done")


def test_the_compact_form_fits_beside_a_bar():
    clock, stats = Clock(), UpsertStats()
    progress = RebuildProgress(stats, clock)
    clock.now += 100
    stats.units, stats.embedded = 5_000, 2_500

    line = progress.compact(1_000, 10_000)

    assert line == "1000/10000 docs, 25.0 chunks/s, ETA 0:15:00"
    assert len("indexing ") + 24 + 1 + len(line) <= 80
