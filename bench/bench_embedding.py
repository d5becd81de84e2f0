"""Bulk embedding throughput through the path a reindex and an import use (``SearchEngine.upsert``).

    python bench/bench_embedding.py                         # demo KB + 300 generated FAQ articles
    python bench/bench_embedding.py --generated 0 --repeat 3
    python bench/bench_embedding.py --batch-size 128 --threads 2 --lane-nice 10

What is measured. Real article text: the demo knowledge base's Markdown files (``kb/demo_content``,
every locale) and FAQ articles generated as ``bench_search.py --during-import`` posts them
(``bench_search_import.generated_articles``: ~1.9k characters each). Each article becomes the
documents the keeper indexes (title, questions, body chunks with their context) and goes through
``SearchEngine.upsert`` with the real e5 embedder, no cache: a fresh engine per run, so nothing is
reused. Figures: units (titles, questions, chunks) per second, tokens per second (as the model counts
them, ``passage: `` prefix and specials included) and characters of article text per second, by the
clock and per CPU-second (which a shared box's other work hardly changes). Then the same articles again into the same engine (a re-import of an unchanged knowledge
base): the units embedded the second time, which should be none.

The generated articles repeat paragraphs, but every chunk is embedded with its article's title as
context, and the title holds the article's unique code, so no two chunks are the same text. Question
texts do repeat; the engine embeds a text once per batch, and the figures count only what reached
the model.
The machine's load average is printed beside the figures: other work on a shared box slows them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class CountingEmbedder:
    """Wraps an embedder and counts the passages (and their tokens) it is asked to embed."""

    def __init__(self, inner, token_count) -> None:
        self.inner = inner
        self.id = inner.id
        self.dim = inner.dim
        self.token_count = token_count
        self.passages = 0
        self.tokens = 0
        self.seconds = 0.0

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts):
        texts = list(texts)
        self.passages += len(texts)
        self.tokens += sum(self.token_count(text) for text in texts)
        started = time.perf_counter()
        vectors = self.inner.embed_passages(texts)
        self.seconds += time.perf_counter() - started
        return vectors


def demo_documents():
    from kb.importing import read_markdown_folder
    from retrieval.documents import IndexedDocument

    problems: list[str] = []
    records = read_markdown_folder(ROOT / "kb" / "demo_content", problems)
    documents = []
    for number, (record, _location) in enumerate(records, start=1):
        documents.append(
            IndexedDocument(
                f"article:{number}:{record.locale or 'en'}",
                record.locale or "en",
                record.title,
                list(record.questions),
                record.body,
            )
        )
    return documents


def generated_documents(count: int):
    from bench.bench_search_import import generated_articles
    from retrieval.documents import IndexedDocument

    return [
        IndexedDocument(
            f"article:{10_000 + article.number}:en",
            "en",
            article.payload["title"],
            list(article.payload["questions"]),
            article.payload["body"],
        )
        for article in generated_articles(count)
    ]


def run_once(documents, embedder) -> dict:
    from retrieval.documents import UnitKind, document_units
    from retrieval.engine import SearchEngine

    counting = CountingEmbedder(embedder, embedder._model.token_count)
    engine = SearchEngine(counting)
    started, cpu_started = time.perf_counter(), time.process_time()
    engine.upsert(documents)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    units = [unit for document in documents for unit in document_units(document)]
    chunks = sum(1 for kind, _, _ in units if kind is UnitKind.CHUNK)
    characters = sum(len(d.title) + len(d.body_markdown) + sum(map(len, d.questions)) for d in documents)
    first = {"passages": counting.passages, "tokens": counting.tokens, "embed_s": counting.seconds}
    counting.passages = counting.tokens = 0
    engine.upsert(documents)  # an unchanged re-import
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "units": engine.unit_count,
        "chunks": chunks,
        "characters": characters,
        **first,
        "reembedded": counting.passages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--generated", type=int, default=300, help="Generated FAQ articles added to the demo KB.")
    parser.add_argument("--repeat", type=int, default=2, help="Runs (the median is reported).")
    parser.add_argument("--batch-size", type=int, help="Passages per engine call (default: the embedder's).")
    parser.add_argument("--threads", type=int, help="OpenMP threads for passages (default: every core).")
    parser.add_argument(
        "--lane-nice",
        type=int,
        default=0,
        help="Niceness of the passage lane: 0 as `aftercare kb reindex` runs it, 10 as a web process does.",
    )
    args = parser.parse_args()
    import retrieval.embedders
    from retrieval.embedders import get_embedder, passage_lane

    passage_lane.nice = args.lane_nice
    if args.threads:
        retrieval.embedders.passage_threads = lambda: args.threads

    embedder = get_embedder("e5")
    if args.batch_size:
        embedder.batch_size = args.batch_size
    documents = demo_documents() + generated_documents(args.generated)
    embedder.embed_passages(["warm up"])
    runs = []
    for _ in range(args.repeat):
        load = os.getloadavg()[0]
        runs.append({**run_once(documents, embedder), "load": load})
        row = runs[-1]
        print(
            f"  run: {row['passages']} passages, {row['tokens']} tokens in {row['seconds']:.1f} s "
            f"(embedding {row['embed_s']:.1f} s); load {row['load']:.2f}",
            flush=True,
        )
    seconds = statistics.median(row["seconds"] for row in runs)
    cpu_seconds = statistics.median(row["cpu_seconds"] for row in runs)
    row = runs[0]
    print(
        f"{len(documents)} documents, {row['units']} units ({row['chunks']} body chunks), "
        f"{row['characters']:,} characters; batch {embedder.batch_size}, lane nice +{args.lane_nice}; "
        f"load avg {os.getloadavg()}"
    )
    print(
        f"upsert (median of {len(runs)}): {seconds:.1f} s = {row['passages'] / seconds:.1f} units/s, "
        f"{row['tokens'] / seconds:,.0f} tokens/s, {row['characters'] / seconds:,.0f} characters/s"
    )
    # CPU seconds (every thread of the process) hardly depend on what else the box runs: on an
    # idle box wall time approaches CPU time / cores used.
    print(
        f"per CPU-second: {row['tokens'] / cpu_seconds:,.0f} tokens, {row['passages'] / cpu_seconds:.1f} units "
        f"({cpu_seconds:.1f} CPU s, {cpu_seconds / seconds:.2f} cores busy on average)"
    )
    print(f"unchanged re-import: {row['reembedded']} units embedded again")


if __name__ == "__main__":
    main()
