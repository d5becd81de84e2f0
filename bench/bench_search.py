"""Search latency, index build speed, memory and approximate-index recall at 1k to 100k chunks.

    python bench/bench_search.py                      # sizes 1000,10000,40000,100000 units
    python bench/bench_search.py --sizes 1000 --queries 100
    python bench/bench_search.py --during-import [--articles N]   # see bench/bench_search_import.py

What is measured, and how:

* Corpus. Synthetic published articles in a fresh SQLite database (``var/bench/search-<units>.db``),
  written with bulk inserts: a title and two questions are real customer utterances (banking77,
  bitext, massive train splits), the body three real English sentences (sib200 train). Each article
  indexes as 4 units (title, 2 questions, 1 body chunk), so 40,000 units = 10,000 articles.
* Vectors. Embedding 100k chunks with the real model takes ~15 min here, so the *pool* of real
  sentences is embedded once with e5 (cached under ``var/cache``) and each unit gets its sentence's
  vector (a chunk: the normalised sum of its sentences' vectors and a little of its title's) plus
  a small seeded perturbation, so that repeated sentences are distinct points. The real model's
  passage speed is measured separately (no cache) on short units and on ~80-word chunks.
* Build. ``IndexKeeper.rebuild``: reading the database, chunking, BM25, FAISS (vectors from the
  pool), i.e. everything but the model. RSS is read from /proc after the build (and the peak).
* Latency. Real held-out queries (clinc150 and banking77 test utterances; sib200 test sentences in
  pl, id, tl, th), each through ``kb.search.service.search`` exactly as the API calls it: language
  detection, the real e5 query embedding, FAISS + BM25 + fusion, entity ranking, the database check
  and the ``search_logs`` insert, with the index keeper's thread running as in the web app. Also
  shown: the embedding alone, the engine without embedding, and short and sentence-length queries
  apart (embedding time grows with the query's length). These are fresh queries (the engine's
  cache of recent query embeddings is off for them); "repeated" asks each one again with it on.
  The load average is printed beside the figures: a shared box's other work shows in all of them.
* Save stall. The slowest search while the index is saved from another thread (only a snapshot
  holds the engine's lock; writing the files shares the GIL with searches).
* Recall. Top-10 units of the engine's FAISS index (IVF past ``APPROXIMATE_THRESHOLD``) against exact
  inner-product search over the same vectors, for the same query vectors.

Each size runs in a child process, so memory figures do not include other sizes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.embedding_cache import CachedEmbedder  # noqa: E402
from retrieval.embedders import get_embedder  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
BENCH_DIR = ROOT / "var" / "bench"
UNITS_PER_ARTICLE = 4
DEFAULT_SIZES = (1_000, 10_000, 40_000, 100_000)
PERTURBATION = 0.03
POOL_PER_SET = 1200
WARMUP = 10
TIE_TOLERANCE = 1e-4


# ---- the sentence pool and the queries ------------------------------------------------------
def utterance_pool(data: Path) -> list[str]:
    rng = random.Random(7)
    sets: list[list[str]] = []
    with open(data / "banking77" / "train.csv", encoding="utf-8") as handle:
        sets.append([row["text"] for row in csv.DictReader(handle)])
    with open(data / "bitext_customer_support" / "bitext_8k_customer_service.csv", encoding="utf-8-sig") as handle:
        sets.append([row["utterance"] for row in csv.DictReader(handle)])
    with open(data / "massive_en_us" / "en-US.jsonl", encoding="utf-8") as handle:
        sets.append([row["utt"] for row in map(json.loads, handle) if row["partition"] == "train"])
    pool: list[str] = []
    for texts in sets:
        texts = sorted(set(text.strip() for text in texts if 3 <= len(text.split()) <= 25))
        pool.extend(rng.sample(texts, min(POOL_PER_SET, len(texts))))
    return list(dict.fromkeys(pool))


def sentence_pool(data: Path) -> list[str]:
    with open(data / "sib200" / "eng_Latn" / "train.tsv", encoding="utf-8") as handle:
        return [row["text"].strip() for row in csv.DictReader(handle, delimiter="\t")]


CROSS_LINGUAL = ("pol_Latn", "ind_Latn", "tgl_Latn", "tha_Thai")


def sib200_sentences(data: Path) -> set[str]:
    """The sib200 test sentences the queries draw on (20-40 words; the rest are short intents)."""
    found: set[str] = set()
    for folder in CROSS_LINGUAL:
        with open(data / "sib200" / folder / "test.tsv", encoding="utf-8") as handle:
            found.update(row["text"] for row in csv.DictReader(handle, delimiter="\t"))
    return found


def queries(data: Path, count: int) -> list[str]:
    rng = random.Random(11)
    clinc = [text for text, _ in json.loads((data / "clinc150" / "data_full.json").read_text())["test"]]
    with open(data / "banking77" / "test.csv", encoding="utf-8") as handle:
        banking = [row["text"] for row in csv.DictReader(handle)]
    cross = []
    for folder in CROSS_LINGUAL:
        with open(data / "sib200" / folder / "test.tsv", encoding="utf-8") as handle:
            cross.extend(rng.sample([row["text"] for row in csv.DictReader(handle, delimiter="\t")], count // 10))
    english = rng.sample(clinc, count // 3) + rng.sample(banking, count - count // 3 - len(cross))
    mixed = english + cross
    rng.shuffle(mixed)
    return mixed


def pool_vectors(data: Path) -> dict[str, np.ndarray]:
    """Every pool sentence's real e5 passage vector (embedded once, then read from the cache)."""
    cached = CachedEmbedder(get_embedder("e5"))
    texts = utterance_pool(data) + sentence_pool(data)
    vectors = cached.embed_passages(texts)
    return dict(zip(texts, vectors, strict=True))


# ---- a synthetic corpus and its vectors -----------------------------------------------------
def synthetic_articles(count: int, utterances: list[str], sentences: list[str]) -> list[dict]:
    rng = random.Random(count)
    articles = []
    for number in range(1, count + 1):
        title, first, second = rng.sample(utterances, 3)
        body = rng.sample(sentences, 3)
        articles.append(
            {
                "id": number,
                "title": title[:1].upper() + title[1:],
                "questions": [first, second],
                "body": " ".join(body),
                # The pool sentences the texts came from (their vectors make the units' vectors).
                "title_source": title,
                "body_sentences": body,
            }
        )
    return articles


class PoolEmbedder:
    """Passages: the pool-derived vector of each unit text (see the module docstring). Queries:
    the real e5 model, every time (query embedding is part of the latency measured)."""

    def __init__(self, real, known: dict[str, np.ndarray]) -> None:
        self.real = real
        self.id = real.id
        self.dim = real.dim
        self.known = known

    def embed_queries(self, texts):
        return self.real.embed_queries(texts)

    def embed_passages(self, texts):
        missing = [text for text in texts if text not in self.known]
        if missing:
            raise KeyError(f"{len(missing)} unit texts have no pool vector, e.g. {missing[0][:80]!r}")
        return np.stack([self.known[text] for text in texts]).astype(np.float32)


def _perturbed(vector: np.ndarray, text: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    noise = np.random.default_rng(seed).standard_normal(vector.shape[0]).astype(np.float32)
    mixed = vector + PERTURBATION * noise / np.linalg.norm(noise)
    return mixed / np.linalg.norm(mixed)


def unit_vectors(articles: list[dict], pool: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    from retrieval.engine import IndexedDocument, UnitKind, document_units

    known: dict[str, np.ndarray] = {}
    for article in articles:
        document = IndexedDocument(
            f"article:{article['id']}:en", "en", article["title"], article["questions"], article["body"]
        )
        title_vector = pool[article["title_source"]]
        body_vector = sum(pool[sentence] for sentence in article["body_sentences"])
        for kind, _text, indexed in document_units(document):
            if kind is UnitKind.TITLE:
                base = title_vector
            elif kind is UnitKind.QUESTION:
                base = pool[indexed]
            else:
                base = body_vector + 0.5 * title_vector
            known[indexed] = _perturbed(base / np.linalg.norm(base), indexed)
    return known


# ---- one size, in its own process -----------------------------------------------------------
def rss_mb() -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def write_database(path: Path, articles: list[dict]) -> str:
    from sqlalchemy import insert

    from aftercare import migrate
    from aftercare.db import Database
    from kb.models import Article, ArticleContent, ArticleQuestion

    if path.exists():
        path.unlink()
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    now = datetime.now(UTC)
    database = Database(url)
    with database.session() as session:
        session.execute(
            insert(Article),
            [
                {
                    "id": a["id"],
                    "slug": f"synthetic-{a['id']}",
                    "kind": "faq",
                    "status": "published",
                    "source_locale": "en",
                    "created_at": now,
                    "updated_at": now,
                    "published_at": now,
                }
                for a in articles
            ],
        )
        session.execute(
            insert(ArticleContent),
            [
                {
                    "id": a["id"],
                    "article_id": a["id"],
                    "locale": "en",
                    "title": a["title"],
                    "body_markdown": a["body"],
                    "status": "published",
                    "created_at": now,
                    "updated_at": now,
                }
                for a in articles
            ],
        )
        session.execute(
            insert(ArticleQuestion),
            [
                {"content_id": a["id"], "position": position, "text": text}
                for a in articles
                for position, text in enumerate(a["questions"])
            ],
        )
    database.dispose()
    return url


def run_size(units: int, query_count: int, data: Path) -> dict:
    from aftercare.db import Database
    from kb.search.keeper import IndexKeeper
    from kb.search.service import search
    from retrieval.lexical import warm_up_tokenizer

    pool = pool_vectors(data)
    utterances = [text for text in utterance_pool(data) if text in pool]
    articles = synthetic_articles(max(1, units // UNITS_PER_ARTICLE), utterances, sentence_pool(data))
    known = unit_vectors(articles, pool)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = write_database(BENCH_DIR / f"search-{units}.db", articles)
    database = Database(url)
    embedder = PoolEmbedder(get_embedder("e5"), known)
    del pool
    index_dir = BENCH_DIR / f"search-index-{units}"
    keeper = IndexKeeper(embedder, index_dir=index_dir)
    rss_before, _ = rss_mb()
    with database.session() as session:
        started = time.perf_counter()
        # Without reusing a previous run's saved vectors: the build is what is measured.
        keeper.rebuild(session, reuse=False)
        build_seconds = time.perf_counter() - started
    engine = keeper.engine
    rss_after, rss_peak = rss_mb()

    texts = queries(data, query_count)
    sentences = sib200_sentences(data)
    totals, embeds, engine_only = [], [], []
    by_kind: dict[bool, list[float]] = {True: [], False: []}
    # As in the web app: the index saved after building, then the keeper's thread keeps it
    # current and searches do not check.
    keeper.save(force=True)
    warm_up_tokenizer()
    keeper.start(database)
    # Every query fresh, as if never asked before: the engine's cache of recent query embeddings
    # is off here and measured apart below (repeated queries).
    cache_size, engine.query_cache.size = engine.query_cache.size, 0
    with database.session() as session:
        for query in texts[:WARMUP]:
            search(session, query, keeper=keeper)
        for query in texts:
            started = time.perf_counter()
            search(session, query, keeper=keeper)
            totals.append((time.perf_counter() - started) * 1000)
            by_kind[query in sentences].append(totals[-1])
            started = time.perf_counter()
            embedding = engine.embed_queries([query])[0]
            embeds.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            engine.search(query, limit=40, query_embedding=embedding)  # what the service asks for
            engine_only.append((time.perf_counter() - started) * 1000)
        # The same queries asked again with the cache on (its first pass fills it).
        engine.query_cache.size = cache_size
        repeated = []
        for query in texts:
            search(session, query, keeper=keeper)
        for query in texts:
            started = time.perf_counter()
            search(session, query, keeper=keeper)
            repeated.append((time.perf_counter() - started) * 1000)
        session.rollback()  # the search_logs rows written meanwhile
    keeper.stop()

    # Approximate vs exact: the engine's own FAISS index against brute force on its vectors. Reused
    # pool sentences make near-ties (scores equal to ~1e-4), so an approximate hit counts when its
    # exact score reaches the exact 10th best (minus that tolerance), not only when its id matches.
    vectors = engine._vectors  # noqa: SLF001 - the bench inspects the index it measures
    ids, matrix = vectors.all_vectors()
    position = {int(unit_id): row for row, unit_id in enumerate(ids.tolist())}
    query_vectors = np.stack([item.vector for item in engine.embed_queries(texts[:200])])
    _, approximate = vectors.search(query_vectors, 10)
    exact_scores = query_vectors @ matrix.T
    tenth = -np.sort(-exact_scores, axis=1)[:, 9]
    hits = [
        sum(1 for unit_id in row if unit_id >= 0 and exact_scores[q, position[unit_id]] >= tenth[q] - TIE_TOLERANCE)
        / 10
        for q, row in enumerate(approximate.tolist())
    ]
    recall = float(np.mean(hits))

    # A restart: save, then a new keeper loads the files and checks them against the database.
    started = time.perf_counter()
    keeper.save(force=True)
    save_seconds = time.perf_counter() - started
    save_stall_ms = search_stall_during(lambda: keeper.save(force=True), engine, texts)
    with database.session() as session:
        started = time.perf_counter()
        report = IndexKeeper(embedder, index_dir=index_dir).open(session)
        load_seconds = time.perf_counter() - started
    assert not report.rebuilt and report.upserted == 0, report
    database.dispose()
    return {
        "units": engine.unit_count,
        "articles": len(engine),
        "index": str(vectors.kind),
        "build_s": build_seconds,
        "build_units_per_s": engine.unit_count / build_seconds,
        "rss_mb": rss_after,
        "rss_index_mb": rss_after - rss_before,
        "rss_peak_mb": rss_peak,
        "p50_ms": statistics.median(totals),
        "p95_ms": percentile(totals, 0.95),
        "short_p50_ms": statistics.median(by_kind[False]),
        "short_p95_ms": percentile(by_kind[False], 0.95),
        "sentence_p50_ms": statistics.median(by_kind[True]),
        "sentence_p95_ms": percentile(by_kind[True], 0.95),
        "repeat_p50_ms": statistics.median(repeated),
        "repeat_p95_ms": percentile(repeated, 0.95),
        "load": os.getloadavg()[0],
        "embed_p50_ms": statistics.median(embeds),
        "embed_p95_ms": percentile(embeds, 0.95),
        "engine_p50_ms": statistics.median(engine_only),
        "engine_p95_ms": percentile(engine_only, 0.95),
        "recall_at_10": recall,
        "save_s": save_seconds,
        "save_stall_ms": save_stall_ms,
        "load_s": load_seconds,
        "queries": len(texts),
    }


def search_stall_during(save, engine, texts: list[str]) -> float:
    """The slowest engine search (query pre-embedded) while ``save`` runs in another thread: how
    long a save keeps searches waiting."""
    import threading

    embeddings = engine.embed_queries(texts[:50])
    worker = threading.Thread(target=save)
    worker.start()
    slowest = 0.0
    i = 0
    while worker.is_alive():
        started = time.perf_counter()
        engine.search(texts[i % 50], limit=40, query_embedding=embeddings[i % 50])
        slowest = max(slowest, (time.perf_counter() - started) * 1000)
        i += 1
    worker.join()
    return slowest


def real_embedding_speed(data: Path, count: int = 96) -> tuple[float, float]:
    """Real e5 passage embedding, no cache: (short units/s, ~80-word chunks/s)."""
    from retrieval.chunking import chunk_markdown

    rng = random.Random(3)
    sentences = sentence_pool(data)
    short = [f"{text} ({rng.random():.6f})" for text in rng.sample(utterance_pool(data), count)]
    chunks = [
        chunk_markdown(" ".join(rng.sample(sentences, 3)))[0].context_text("Synthetic article")
        for _ in range(count // 3)
    ]
    model = get_embedder("e5")
    speeds = []
    for texts in (short, chunks):
        started = time.perf_counter()
        model.embed_passages(texts)
        speeds.append(len(texts) / (time.perf_counter() - started))
    return speeds[0], speeds[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="Unit counts, comma-separated.")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--during-import",
        action="store_true",
        help="Search latency through a real server while articles are posted (bench_search_import.py).",
    )
    parser.add_argument("--articles", type=int, default=1000, help="Articles posted with --during-import.")
    args = parser.parse_args()
    if args.during_import:
        from bench.bench_search_import import main as during_import

        during_import(args.articles)
        return
    if args.worker:
        print(json.dumps(run_size(args.worker, args.queries, args.data)))
        return

    print(f"pool: embedding real sentences once (cached in {ROOT / 'var' / 'cache'}) ...", flush=True)
    pool_vectors(args.data)
    speed = real_embedding_speed(args.data)
    rows = []
    for units in (int(size) for size in args.sizes.split(",")):
        print(f"size {units} units ...", flush=True)
        result = subprocess.run(
            [
                sys.executable,
                __file__,
                "--worker",
                str(units),
                "--queries",
                str(args.queries),
                "--data",
                str(args.data),
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "AFTERCARE_DATA_DIR": str(BENCH_DIR / "search-data")},
        )
        if result.returncode != 0:
            sys.exit(result.stderr[-3000:])
        rows.append(json.loads(result.stdout.strip().splitlines()[-1]))

    print()
    print(
        f"real e5 passage embedding here: {speed[0]:.0f} short units/s (titles, questions), {speed[1]:.1f} chunks/s (~80 words)"
    )
    print("index build below: everything but the model (pool vectors; see the module docstring)")
    print(
        f"latency over {rows[0]['queries']} real queries (en intents + sib200 pl/id/tl/th) through kb.search.service.search"
    )
    print_table(
        f"{'units':>7} {'articles':>8} {'index':>5} {'build s':>8} {'units/s':>8} {'RSS MB':>7} {'+index':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'embed p50/p95':>14} {'engine p50/p95':>15} {'recall@10':>9} {'save s':>6} {'stall ms':>8} {'load s':>6}",
        [
            f"{row['units']:>7} {row['articles']:>8} {row['index']:>5} {row['build_s']:>8.1f} {row['build_units_per_s']:>8.0f} "
            f"{row['rss_mb']:>7.0f} {row['rss_index_mb']:>7.0f} {row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f} "
            f"{row['embed_p50_ms']:>6.1f}/{row['embed_p95_ms']:<7.1f} {row['engine_p50_ms']:>6.1f}/{row['engine_p95_ms']:<8.1f} "
            f"{row['recall_at_10']:>9.3f} {row['save_s']:>6.1f} {row['save_stall_ms']:>8.0f} {row['load_s']:>6.1f}"
            for row in rows
        ],
    )
    print()
    print(
        "the same searches by query length: short = clinc150/banking77 intents (~6-12 words), sentence = sib200 (~20-40 words)"
    )
    print_table(
        f"{'units':>7} {'short p50/p95':>15} {'sentence p50/p95':>17} {'repeated p50/p95':>17} {'load':>5}",
        [
            f"{row['units']:>7} {row['short_p50_ms']:>7.1f}/{row['short_p95_ms']:<7.1f} "
            f"{row['sentence_p50_ms']:>8.1f}/{row['sentence_p95_ms']:<8.1f} "
            f"{row['repeat_p50_ms']:>8.1f}/{row['repeat_p95_ms']:<8.1f} {row['load']:>5.1f}"
            for row in rows
        ],
    )
    print("repeated: every query asked a second time (its embedding from the engine's cache of recent queries)")


def print_table(header: str, lines: list[str]) -> None:
    print(header)
    print("-" * len(header))
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
