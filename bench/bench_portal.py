"""Typing-to-results latency of the portal search box, through HTTP, against a running server.

    python bench/bench_portal.py                  # demo data, then demo + 10,000 synthetic articles
    python bench/bench_portal.py --sizes demo     # only the demo knowledge base
    python bench/bench_portal.py --url http://127.0.0.1:8000   # an already running server

What is measured. The home page's box asks ``GET /search?q=...`` (htmx, ``HX-Request: true``) after
each pause of 250 ms while typing. A person pauses between words, so each query is sent as it
grows word by word ("my", "my earbuds", "my earbuds won't", ...), each request from the same browser
(cookies kept, so the typing-replaces-the-log rule runs too). Per request: the time until the
whole results fragment has arrived. "Typing to results" adds the 250 ms debounce the browser waits
after the last key before asking. Queries are customer questions in English, Polish, Indonesian,
Tagalog and Thai. Requests are paced at ~9 per second to stay under the portal's search rate limit
(600 per minute per client), well above what one person's typing produces.

The servers. Each size runs ``uvicorn entry.asgi:app`` (one worker, as ``aftercare serve``) on its own
SQLite database under ``var/bench_portal/<size>/``, after ``aftercare db upgrade`` and
``aftercare demo``. For "10k", 10,000 synthetic published articles (real customer utterances and
sentences from /work/shared/data, as in ``bench_search.py``) are bulk-inserted, and the search index
is built once in this process and saved where the server loads it: units whose text comes from the
sentence pool take that sentence's cached real e5 vector (``bench_search``'s cached-vector approach;
embedding ~40,000 units with the model would take ~10 minutes here), the demo's own units are
embedded for real (cached in ``var/cache``). The server loads that index at start, checks it against
the database and serves real e5 query embeddings. The folder is reused by later runs
(``--rebuild`` to start over).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BENCH_DIR = ROOT / "var" / "bench_portal"
DATA = Path("/work/shared/data")
DEBOUNCE_MS = 250
PACE_SECONDS = 0.11
SYNTHETIC_ARTICLES = 10_000
ID_OFFSET = 1_000_000
SERVER_START_TIMEOUT = 900.0
ROUNDS = 2
QUERIES = [
    "my pulse earbuds won't charge in the case",
    "thermostat shows the wrong temperature",
    "robot vacuum does not go back to its dock",
    "how do I update the firmware",
    "where is the serial number",
    "how do I reset my password",
    "left earbud has no sound",
    "set a heating schedule for weekends",
    "termostat pokazuje złą temperaturę",
    "gdzie znajdę numer seryjny",
    "robot nie wraca do stacji dokującej",
    "jak zaktualizować oprogramowanie",
    "baterai earbud cepat habis",
    "cara menghubungkan termostat ke wifi",
    "paano i-pair ang earbuds sa phone",
    "paano i-reset ang thermostat",
    "หูฟังไม่ชาร์จ",
    "รีเซ็ตรหัสผ่านยังไง",
    "I want to return my order and get a refund",
    "my card payment was declined",
]


# ---- one server ------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(data_dir: Path, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "AFTERCARE_ENVIRONMENT": "development",
        "AFTERCARE_DATA_DIR": str(data_dir),
        "AFTERCARE_DATABASE_URL": f"sqlite:///{data_dir / 'aftercare.db'}",
        "AFTERCARE_SECRET_KEY": "bench-portal-secret-key-0123456789-0123456789",
        "AFTERCARE_BASE_URL": f"http://127.0.0.1:{port}",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
    }
    env.pop("AFTERCARE_TEST_DATABASE_URL", None)
    return env


def _cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "entry.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800
    )
    if result.returncode != 0:
        raise SystemExit(f"aftercare {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return result.stdout


def prepare_demo(data_dir: Path, env: dict[str, str]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    _cli(env, "db", "upgrade")
    _cli(env, "demo")


# ---- 10k synthetic articles and their index -------------------------------------------------
class MixedEmbedder:
    """The real e5 embedder's identity; passages from the cached sentence pool when known (synthetic
    articles), else embedded by the model through the on-disk cache (the demo's own texts)."""

    def __init__(self, known: dict[str, np.ndarray]) -> None:
        from bench.embedding_cache import CachedEmbedder
        from retrieval.embedders import get_embedder

        self.real = CachedEmbedder(get_embedder("e5"))
        self.id, self.dim, self.known = self.real.id, self.real.dim, known

    def embed_queries(self, texts):
        return self.real.embed_queries(texts)

    def embed_passages(self, texts):
        texts = list(texts)
        unknown = [text for text in texts if text not in self.known]
        computed = dict(zip(unknown, self.real.embed_passages(unknown), strict=True)) if unknown else {}
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.known[text] if text in self.known else computed[text] for text in texts]).astype(
            np.float32
        )


def add_synthetic_articles(data_dir: Path, count: int) -> float:
    """Bulk-insert ``count`` published articles beside the demo, then build and save the index.
    Returns the index build time in seconds."""
    from sqlalchemy import insert

    from aftercare.db import Database
    from bench.bench_search import pool_vectors, sentence_pool, synthetic_articles, unit_vectors, utterance_pool
    from kb.models import Article, ArticleContent, ArticleQuestion
    from kb.search.keeper import IndexKeeper

    print(f"  synthetic articles: reading the cached sentence pool ({DATA}) ...", flush=True)
    pool = pool_vectors(DATA)
    utterances = [text for text in utterance_pool(DATA) if text in pool]
    articles = synthetic_articles(count, utterances, sentence_pool(DATA))
    known = unit_vectors(articles, pool)
    now = datetime.now(UTC)
    database = Database(f"sqlite:///{data_dir / 'aftercare.db'}")
    with database.session() as session:
        session.execute(
            insert(Article),
            [
                {
                    "id": ID_OFFSET + a["id"],
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
                    "id": ID_OFFSET + a["id"],
                    "article_id": ID_OFFSET + a["id"],
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
                {"content_id": ID_OFFSET + a["id"], "position": position, "text": text}
                for a in articles
                for position, text in enumerate(a["questions"])
            ],
        )
    print(f"  {count} articles inserted; building the search index ...", flush=True)
    keeper = IndexKeeper(MixedEmbedder(known), index_dir=data_dir / "index")
    started = time.perf_counter()
    with database.session() as session:
        keeper.rebuild(session)
    build_seconds = time.perf_counter() - started
    keeper.save(force=True)
    print(
        f"  index: {len(keeper.engine)} documents, {keeper.engine.unit_count} units in {build_seconds:.0f} s",
        flush=True,
    )
    database.dispose()
    return build_seconds


# ---- serving and measuring ------------------------------------------------------------------
def start_server(data_dir: Path, env: dict[str, str], port: int) -> tuple[subprocess.Popen, float]:
    log = (data_dir / "server.log").open("w")
    started = time.perf_counter()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "entry.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        if server.poll() is not None:
            raise SystemExit(f"the server exited:\n{(data_dir / 'server.log').read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server, time.perf_counter() - started
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.kill()
            raise SystemExit("the server did not start in time")
        time.sleep(0.5)


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def typed_prefixes(query: str) -> list[str]:
    """What the box sends while someone types ``query``: a request at each pause between words.

    Thai has no spaces between words: it is sent at a few points through the text instead.
    """
    words = query.split()
    if len(words) > 1:
        return [" ".join(words[:end]) for end in range(1, len(words) + 1) if len(" ".join(words[:end])) >= 2]
    return [query[:end] for end in sorted({max(2, len(query) // 3), max(2, 2 * len(query) // 3), len(query)})]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(base_url: str) -> dict:
    latencies: list[float] = []
    final: list[float] = []
    answered = 0
    with httpx.Client(
        base_url=base_url, timeout=30, headers={"HX-Request": "true", "HX-Current-URL": f"{base_url}/"}
    ) as client:
        # Warm-up, one query per language: the model, the connection, and Thai word segmentation,
        # whose dictionary loads on the first Thai query after a start (about 2 s here, reported apart).
        for query in ("thermostat offline", "termostat", "หูฟั", "earbud", "paano"):
            started = time.perf_counter()
            client.get("/search", params={"q": query})
            if query == "หูฟั":
                first_thai = (time.perf_counter() - started) * 1000
            time.sleep(PACE_SECONDS)
        for _ in range(ROUNDS):
            for query in QUERIES:
                prefixes = typed_prefixes(query)
                for index, prefix in enumerate(prefixes):
                    started = time.perf_counter()
                    response = client.get("/search", params={"q": prefix})
                    elapsed = (time.perf_counter() - started) * 1000
                    if response.status_code != 200:
                        raise SystemExit(f"/search?q={prefix!r} answered {response.status_code}")
                    latencies.append(elapsed)
                    if index == len(prefixes) - 1:
                        final.append(elapsed)
                        answered += "data-no-answer" not in response.text
                    time.sleep(max(0.0, PACE_SECONDS - elapsed / 1000))
    return {
        "requests": len(latencies),
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
        "max": max(latencies),
        "full_p50": statistics.median(final),
        "full_p95": percentile(final, 0.95),
        "answered": answered / len(final),
        "first_thai": first_thai,
    }


def run_size(size: str, rebuild: bool) -> dict:
    data_dir = BENCH_DIR / size
    port = _free_port()
    env = _env(data_dir, port)
    ready = data_dir / "ready"
    build_seconds = None
    if rebuild or not ready.exists():
        shutil.rmtree(data_dir, ignore_errors=True)
        print(f"[{size}] preparing {data_dir} ...", flush=True)
        prepare_demo(data_dir, env)
        if size == "10k":
            build_seconds = add_synthetic_articles(data_dir, SYNTHETIC_ARTICLES)
        ready.write_text(datetime.now(UTC).isoformat())
    print(f"[{size}] starting the server ...", flush=True)
    server, start_seconds = start_server(data_dir, env, port)
    try:
        result = measure(f"http://127.0.0.1:{port}")
    finally:
        stop_server(server)
    return {"size": size, "start_s": start_seconds, "build_s": build_seconds, **result}


def print_table(rows: list[dict]) -> None:
    print()
    print("Portal search, typing to results through HTTP (GET /search as htmx sends it, one uvicorn worker)")
    print(
        f"{'knowledge base':<18}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
        f"{'typing→results p50':>21}{'p95':>7}{'final-query p95':>17}{'answered':>10}{'server start s':>16}"
    )
    for row in rows:
        label = "demo" if row["size"] == "demo" else f"demo + {SYNTHETIC_ARTICLES:,} articles"
        print(
            f"{label:<18}{row['requests']:>9}{row['p50']:>9.0f}{row['p95']:>9.0f}{row['max']:>9.0f}"
            f"{row['p50'] + DEBOUNCE_MS:>21.0f}{row['p95'] + DEBOUNCE_MS:>7.0f}{row['full_p95']:>17.0f}"
            f"{row['answered']:>10.0%}{row['start_s']:>16.1f}"
        )
    for row in rows:
        print(
            f"{row['size']}: the first Thai query after the server started took {row['first_thai']:.0f} ms "
            "(warm-up, not in the figures above)"
        )
    built = [row for row in rows if row.get("build_s")]
    for row in built:
        print(f"index build for {row['size']} (pool vectors cached, demo texts embedded): {row['build_s']:.0f} s")
    print(
        f"typing→results = debounce ({DEBOUNCE_MS} ms, in the browser) + request latency; "
        "'answered' = final queries with a confident answer."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="demo,10k", help="comma-separated: demo, 10k")
    parser.add_argument("--url", help="measure this running server instead of starting one")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached databases and indexes")
    args = parser.parse_args()
    if args.url:
        result = measure(args.url.rstrip("/"))
        print_table([{"size": "demo", "start_s": 0.0, "build_s": None, **result}])
        return
    rows = [run_size(size.strip(), args.rebuild) for size in args.sizes.split(",") if size.strip()]
    print_table(rows)


if __name__ == "__main__":
    main()
