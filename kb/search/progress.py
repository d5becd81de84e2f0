"""A rebuild's progress as an operator reads it (``aftercare kb reindex``): documents done, units
indexed and embedded per second, and the time left.

Units a rebuild reuses (same text as a unit of the index it replaces, see ``SearchEngine.upsert``)
cost next to nothing, so the rate of units *embedded* is the model's throughput and the ETA is from
documents: their pace already mixes the reused and the embedded.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from retrieval.engine import UpsertStats


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


class RebuildProgress:
    """Reads ``stats`` (filled by the rebuild) when told how many documents are done."""

    def __init__(self, stats: UpsertStats, clock: Callable[[], float] = time.monotonic) -> None:
        self.stats = stats
        self._clock = clock
        self._started = clock()

    def _rates(self, done: int, total: int) -> tuple[float, float, str]:
        elapsed = max(self._clock() - self._started, 1e-6)
        if done >= total:
            eta = "done"
        elif done:
            eta = f"ETA {format_duration((total - done) * elapsed / done)}"
        else:
            eta = "ETA unknown"
        return self.stats.units / elapsed, self.stats.embedded / elapsed, eta

    def line(self, done: int, total: int) -> str:
        """The full line, for a log."""
        units_rate, embedded_rate, eta = self._rates(done, total)
        stats = self.stats
        return (
            f"{done}/{total} documents, {stats.units} units ({stats.embedded} embedded, {stats.reused} reused), "
            f"{units_rate:.1f} units/s, {embedded_rate:.1f} chunks embedded/s, {eta}"
        )

    def compact(self, done: int, total: int) -> str:
        """Beside a progress bar on an 80-column terminal."""
        _, embedded_rate, eta = self._rates(done, total)
        return f"{done}/{total} docs, {embedded_rate:.1f} chunks/s, {eta}"
