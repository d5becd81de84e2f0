"""Searches do not wait for indexing: a query embeds while a long passage call is in progress.

The passage calls are real (the bundled models); a thin wrapper around the model only signals when
a passage batch has entered it, so that each test asks its query at a known point, with no timing.
"""

from __future__ import annotations

import os
import sys
import threading

import numpy as np
import pytest

from retrieval.embedders import PASSAGE_NICE, E5Embedder, passage_lane

# Long, distinct passages: enough batches that the call lasts long after its first batch began.
PASSAGES = [
    f"Article {number}: to reset the thermostat, hold the dial for ten seconds until the screen turns "
    f"blue, then choose your Wi-Fi network again and enter its password; the schedule {number} stays "
    "as it was. If the screen stays dark, check the two batteries and the wall adapter first."
    for number in range(24)
]
QUERIES = ["how do I reset my thermostat", "termostat nie łączy się z wifi", "หูฟังไม่ชาร์จ", "where is the serial number"]


class SignallingModel:
    """The real model, with an event set when a passage batch enters it."""

    def __init__(self, model, is_passage) -> None:
        self._model = model
        self._is_passage = is_passage
        self.passage_entered = threading.Event()

    def encode(self, *args, **kwargs):
        if self._is_passage(*args, **kwargs):
            self.passage_entered.set()
        return self._model.encode(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._model, name)


def _index_in_background(embed_passages) -> tuple[threading.Thread, threading.Event, list]:
    finished = threading.Event()
    result: list = []

    def run() -> None:
        result.append(embed_passages(PASSAGES))
        finished.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, finished, result


def test_an_e5_query_finishes_while_a_long_passage_call_is_still_running():
    embedder = E5Embedder(batch_size=4)  # six batches
    spy = SignallingModel(embedder._model, lambda texts, is_query=False: not is_query)
    embedder._model = spy
    thread, finished, result = _index_in_background(embedder.embed_passages)
    assert spy.passage_entered.wait(120)

    query = embedder.embed_queries(QUERIES[:1])

    # The passage call had five more batches to go when the query was asked; a query queued
    # behind it would only come back after it finished.
    assert not finished.is_set()
    assert query.shape == (1, embedder.dim)
    thread.join()
    assert result[0].shape == (len(PASSAGES), embedder.dim)


def test_a_sentence_transformers_query_finishes_while_a_long_passage_call_is_still_running(minilm):
    from sentence_transformers import SentenceTransformer

    spy = SignallingModel(SentenceTransformer(minilm._source, device="cpu"), lambda *args, **kwargs: True)
    minilm._passage_model = spy
    original_batch_size = minilm.batch_size
    minilm.batch_size = 4
    try:
        thread, finished, result = _index_in_background(minilm.embed_passages)
        assert spy.passage_entered.wait(120)
        # sentence-transformers encodes all batches in one call: wait for the whole of it or not at all.
        query = minilm.embed_queries(QUERIES[:1])
        assert not finished.is_set()
        thread.join()
    finally:
        minilm.batch_size = original_batch_size
    assert query.shape == (1, minilm.dim)
    assert result[0].shape == (len(PASSAGES), minilm.dim)


def test_queries_embedded_side_by_side_with_passages_equal_those_embedded_alone(e5):
    alone = e5.embed_queries(QUERIES)
    passages_alone = e5.embed_passages(PASSAGES[:4])
    together: dict[int, np.ndarray] = {}

    def ask(position: int) -> None:
        together[position] = e5.embed_queries([QUERIES[position]])[0]

    indexing = threading.Thread(target=lambda: together.__setitem__(-1, e5.embed_passages(PASSAGES[:4])))
    askers = [threading.Thread(target=ask, args=(position,)) for position in range(len(QUERIES))]
    indexing.start()
    for thread in askers:
        thread.start()
    for thread in [indexing, *askers]:
        thread.join()

    # The engine is used by several threads at once with no lock: each call must stay its own.
    assert np.allclose(np.stack([together[position] for position in range(len(QUERIES))]), alone, atol=1e-5)
    assert np.allclose(together[-1], passages_alone, atol=1e-5)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_passages_are_embedded_on_a_thread_of_lower_priority_than_the_callers(e5):
    e5.embed_passages(PASSAGES[:1])
    caller = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    lane = os.getpriority(os.PRIO_PROCESS, passage_lane.native_id)

    assert passage_lane.native_id != threading.get_native_id()
    assert lane == min(19, caller + PASSAGE_NICE)


STOP_MID_BATCH = """
import sys, threading
sys.path.insert(0, {root!r})
from retrieval.embedders import E5Embedder
from tests.retrieval.test_passage_lane import PASSAGES, SignallingModel

embedder = E5Embedder(batch_size=2)
spy = SignallingModel(embedder._model, lambda texts, is_query=False: not is_query)
embedder._model = spy

def index():
    embedder.embed_passages(PASSAGES * 4)
    print("finished", flush=True)

threading.Thread(target=index, daemon=True).start()
spy.passage_entered.wait(120)
print("stopping", flush=True)
"""


def test_a_stopping_process_does_not_wait_for_the_passage_batch_in_hand(tmp_path):
    import subprocess
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    script = tmp_path / "stop.py"
    script.write_text(STOP_MID_BATCH.format(root=root))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600, cwd=root)
    # The main thread returned after the first of 48 batches began; the interpreter then exits
    # without waiting for the other 47.
    assert done.stdout.split() == ["stopping"], done.stdout + done.stderr
