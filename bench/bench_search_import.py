"""Search latency while an admin imports long articles through the API (``bench_search.py --during-import``).

    python bench/bench_search.py --during-import                 # 1,000 articles
    python bench/bench_search.py --during-import --articles 100  # a quicker run

The server. A fresh data dir (SQLite, the default e5 embedder, the embedded task worker: what
``make run`` serves), ``aftercare db upgrade`` and ``aftercare demo``, an admin made with
``aftercare create-user``, then ``aftercare serve`` (one process). Search's rate limit is raised for
the bench's one client; nothing else is changed.

Idle. One client asks ``GET /api/v1/search`` (customer questions in English, Polish, Indonesian,
Tagalog and Thai, ``bench_portal.QUERIES``), one request after another with a short pause between
them (``PACE_SECONDS``), ``IDLE_SEARCHES`` times after a warm-up.

During the import. Another client posts the articles, one after another as fast as the server
answers (``POST /api/v1/articles``, published, with the admin's token): generated FAQ articles in
Markdown, ~1.9k characters each (median), three questions, headings, numbered steps and a unique
reference code (``KB0042ZQ``) in the title. The search client goes on as before from the first post
until every article is searchable: the newest one is found by searching its code (once a second
after the last post; these searches count too), then a sweep checks them all (sweep searches are
not in the latency figures). The index keeper embeds the articles in
the server meanwhile; "searchable after" is from the first post until the last article was found.

Idle again. The same idle searches once the import is done (a bigger index now).

Targets (issue 12): during the import, search p95 at most twice the idle p95 (the lower of the two
idle phases'), and no search slower than 1 s. The machine's load average is printed with the figures: others' work on a shared box shows
up in both phases.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_portal import QUERIES, _cli, _free_port, percentile  # noqa: E402

PACE_SECONDS = 0.05
WARMUP_SEARCHES = 10
IDLE_SEARCHES = 200
SERVER_START_TIMEOUT = 900.0
SEARCHABLE_TIMEOUT = 7200.0
P95_FACTOR = 2.0
WORST_MS = 1000.0


# ---- articles ------------------------------------------------------------------------------
PRODUCTS = {
    "pulse": (
        "Pulse earbuds",
        ["charging case", "left earbud", "right earbud", "ear tips", "touch controls", "microphone"],
    ),
    "nimbus": (
        "Nimbus thermostat",
        ["display", "heating schedule", "temperature sensor", "wall plate", "boiler relay", "Wi-Fi module"],
    ),
    "aurora": (
        "Aurora robot vacuum",
        ["docking station", "side brush", "dust bin", "bumper sensor", "map", "main roller"],
    ),
    "skyline": (
        "Skyline Home app",
        ["account", "home sharing", "notifications", "device list", "automations", "voice assistant"],
    ),
}
PROBLEMS = [
    ("stops working after an update", "How do I fix the {part} after a firmware update?"),
    ("does not connect", "Why won't the {part} connect?"),
    ("drains the battery quickly", "Why does the {part} drain the battery so fast?"),
    ("shows an error code", "What does the error code on the {part} mean?"),
    ("makes a clicking noise", "Why is the {part} making a clicking noise?"),
    ("needs cleaning", "How do I clean the {part}?"),
    ("should be replaced", "When should I replace the {part}?"),
    ("gives the wrong reading", "Why is the {part} showing the wrong value?"),
]
STEPS = [
    "Open the Skyline Home app and choose the device from the list.",
    "Hold the button on the back for ten seconds until the light blinks white.",
    "Make sure your phone is on the same 2.4 GHz Wi-Fi network as the device.",
    "Restart your router and wait two minutes before trying again.",
    "Check that the firmware is up to date under Settings > About > Update now.",
    "Remove the part, wipe the contacts with a dry cloth and put it back until it clicks.",
    "Charge the device for at least 30 minutes with the original cable and a wall adapter.",
    "Turn Bluetooth off and on again on your phone, then forget the device and pair it again.",
    "Move the device closer to the router, away from microwaves and thick walls.",
    "Write down the error code shown on the screen before you restart anything.",
    "Reset the device to factory settings: you will need to set it up again afterwards.",
    "Look for lint or dust in the port and clean it carefully with a wooden toothpick.",
]
PARAGRAPHS = [
    "Most of the time this is caused by a setting that changed during the last update, not by a fault in the hardware. "
    "The steps below fix it for nine customers out of ten and take about five minutes.",
    "If you share your home with other people, ask them to close the app on their phones while you follow these steps: "
    "two phones talking to the device at once can interrupt the set-up.",
    "Your settings, schedules and maps are kept in your account, so nothing is lost when you restart or reconnect the device. "
    "A factory reset is different: it clears everything stored on the device itself.",
    "The warranty covers defects for two years from the date of purchase. Keep your order number at hand; "
    "you will find it in the confirmation e-mail and under Account > Orders in the app.",
    "Customers who use the device every day usually see this after twelve to eighteen months. It is normal wear, "
    "and the spare parts are sold in the accessories shop with free delivery.",
    "When the light blinks orange three times, the device could not reach our servers. It keeps working offline, "
    "but schedules and notifications wait until it is back online.",
]
HEADINGS = [
    "Before you start",
    "Quick fix",
    "If that did not help",
    "Reset the device",
    "Still not working?",
    "Good to know",
]


@dataclass(frozen=True)
class GeneratedArticle:
    number: int
    code: str
    payload: dict


def generated_articles(count: int, seed: int = 1912) -> list[GeneratedArticle]:
    """FAQ articles in Markdown: ~1.9k characters (median), headings, steps, three questions each."""
    rng = random.Random(seed)
    articles = []
    for number in range(1, count + 1):
        slug, (product, parts) = rng.choice(sorted(PRODUCTS.items()))
        part = rng.choice(parts)
        problem, question = rng.choice(PROBLEMS)
        code = f"KB{number:04d}ZQ"
        sections = []
        for heading in rng.sample(HEADINGS, rng.randint(4, 5)):
            if rng.random() < 0.5:
                steps = rng.sample(STEPS, rng.randint(3, 6))
                text = "\n".join(f"{position}. {step}" for position, step in enumerate(steps, start=1))
            else:
                text = " ".join(rng.sample(PARAGRAPHS, rng.choice((1, 2, 2))))
            sections.append(f"## {heading}\n\n{text}")
        intro = f"This article is for the **{product}** when the {part} {problem}. " + rng.choice(PARAGRAPHS)
        body = f"{intro}\n\n" + "\n\n".join(sections) + f"\n\nReference: {code}."
        payload = {
            "title": f"{product}: the {part} {problem} ({code})",
            "body": body,
            "kind": "faq",
            "locale": "en",
            "status": "published",
            "products": [slug],
            "tags": [part.split()[-1].lower().replace("-", "")],
            "questions": [
                question.format(part=part),
                f"My {product} {part} {problem}",
                f"{part} {problem} on {product}",
            ],
        }
        articles.append(GeneratedArticle(number, code, payload))
    return articles


# ---- the server ---------------------------------------------------------------------------
def _env(data_dir: Path, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "AFTERCARE_ENVIRONMENT": "development",
        "AFTERCARE_DATA_DIR": str(data_dir),
        "AFTERCARE_DATABASE_URL": f"sqlite:///{data_dir / 'aftercare.db'}",
        "AFTERCARE_SECRET_KEY": "bench-during-import-secret-key-0123456789-0123456789",
        "AFTERCARE_BASE_URL": f"http://127.0.0.1:{port}",
        "AFTERCARE_EMBEDDER": "e5",
        # One client asks several searches a second; the per-client limit is not what is measured.
        "AFTERCARE_SEARCH_RATE_LIMIT": "100000/minute",
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
    }
    for name in ("AFTERCARE_TEST_DATABASE_URL", "AFTERCARE_INDEX_DIR", "AFTERCARE_QUEUE_URL"):
        env.pop(name, None)
    return env


def start_server(data_dir: Path, env: dict[str, str], port: int) -> subprocess.Popen:
    log = (data_dir / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "entry.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
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
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.kill()
            raise SystemExit("the server did not start in time")
        time.sleep(0.5)


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()


# ---- measuring ----------------------------------------------------------------------------
def summary(latencies: list[float]) -> dict:
    return {
        "count": len(latencies),
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
        "max": max(latencies),
    }


def found(
    client: httpx.Client, article: GeneratedArticle, article_id: int, latencies: list[float] | None = None
) -> bool:
    """Whether a search for the article's code finds it (its latency added to ``latencies`` if given)."""
    started = time.perf_counter()
    response = client.get("/api/v1/search", params={"q": article.code, "lang": "en", "limit": 5, "types": "article"})
    if latencies is not None:
        latencies.append((time.perf_counter() - started) * 1000)
    response.raise_for_status()
    return any(result["article_id"] == article_id for result in response.json()["results"])


def idle_searches(client: httpx.Client) -> list[float]:
    latencies = []
    for position in range(IDLE_SEARCHES):
        latencies.append(timed_search(client, QUERIES[position % len(QUERIES)]))
        time.sleep(PACE_SECONDS)
    return latencies


def timed_search(client: httpx.Client, query: str) -> float:
    started = time.perf_counter()
    response = client.get("/api/v1/search", params={"q": query, "limit": 5})
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"search {query!r} answered {response.status_code}: {response.text[:300]}")
    return elapsed


@dataclass
class Import:
    articles: list[GeneratedArticle]
    ids: dict[int, int] = field(default_factory=dict)  # article number -> id
    first_post: float | None = None
    last_post: float | None = None
    errors: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def run(self, base_url: str, token: str) -> None:
        try:
            with httpx.Client(base_url=base_url, timeout=120, headers={"Authorization": f"Bearer {token}"}) as client:
                self.first_post = time.perf_counter()
                for article in self.articles:
                    response = client.post("/api/v1/articles", json=article.payload)
                    if response.status_code != 201:
                        self.errors.append(f"{article.code}: {response.status_code} {response.text[:200]}")
                        continue
                    self.ids[article.number] = response.json()["id"]
                self.last_post = time.perf_counter()
        except Exception as error:  # reported with the figures, and the run fails
            self.errors.append(repr(error))
        finally:
            self.done.set()


def run(article_count: int) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="aftercare-bench-import-"))
    port = _free_port()
    env = _env(data_dir, port)
    print(f"data dir {data_dir}; aftercare db upgrade, demo, create-user ...", flush=True)
    _cli(env, "db", "upgrade")
    _cli(env, "demo")
    token = (
        _cli(
            env,
            "create-user",
            "--email",
            "bench-admin@example.com",
            "--name",
            "Bench Admin",
            "--role",
            "admin",
            "--password",
            "bench-admin-password-0123",
        )
        .strip()
        .splitlines()[-1]
        .strip()
    )
    articles = generated_articles(article_count)
    print("starting aftercare serve (it builds the demo's index first) ...", flush=True)
    server = start_server(data_dir, env, port)
    base_url = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()
    try:
        with httpx.Client(base_url=base_url, timeout=120) as client:
            for position in range(WARMUP_SEARCHES):
                timed_search(client, QUERIES[position % len(QUERIES)])
            print(f"idle: {IDLE_SEARCHES} searches ...", flush=True)
            idle = idle_searches(client)

            print(f"during the import: posting {article_count} articles while searching ...", flush=True)
            job = Import(articles)
            poster = threading.Thread(target=job.run, args=(base_url, token), daemon=True)
            poster.start()
            during, posting = [], []
            position, searchable_at = 0, None
            last_probe = 0.0
            while searchable_at is None:
                latency = timed_search(client, QUERIES[position % len(QUERIES)])
                (posting if not job.done.is_set() else during).append(latency)
                position += 1
                if job.done.is_set() and job.errors:
                    raise SystemExit("the import failed:\n" + "\n".join(job.errors[:10]))
                if job.done.is_set() and time.monotonic() - last_probe >= 1.0:
                    last_probe = time.monotonic()
                    newest = articles[-1]
                    # A search like any other: it counts in the figures.
                    if found(client, newest, job.ids[newest.number], during):
                        searchable_at = time.perf_counter()
                if job.first_post is not None and time.perf_counter() - job.first_post > SEARCHABLE_TIMEOUT:
                    raise SystemExit("the articles did not all become searchable in time")
                if position % 500 == 0:
                    so_far = summary(posting + during)
                    print(
                        f"  {time.perf_counter() - job.first_post:.0f} s: {len(job.ids)}/{article_count} posted; "
                        f"{position} searches, p50 {so_far['p50']:.0f} ms, p95 {so_far['p95']:.0f} ms, "
                        f"max {so_far['max']:.0f} ms; load {os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
                time.sleep(PACE_SECONDS)
            during = posting + during

            print("sweep: is every article searchable by its code?", flush=True)
            missing = [article for article in articles if not found(client, article, job.ids[article.number])]
            sweep_deadline = time.monotonic() + 300
            while missing and time.monotonic() < sweep_deadline:
                time.sleep(2)
                missing = [article for article in missing if not found(client, article, job.ids[article.number])]
                searchable_at = time.perf_counter()
            print(f"idle again, the import done: {IDLE_SEARCHES} searches ...", flush=True)
            idle_after = idle_searches(client)
    finally:
        load_after = os.getloadavg()
        stop_server(server)
    shutil.rmtree(data_dir, ignore_errors=True)
    assert job.first_post is not None and job.last_post is not None
    return {
        "articles": article_count,
        "idle": summary(idle),
        "idle_after": summary(idle_after),
        "during": summary(during),
        "while_posting": summary(posting),
        "post_seconds": job.last_post - job.first_post,
        "searchable_seconds": searchable_at - job.first_post,
        "missing": [article.code for article in missing],
        "body_chars_median": statistics.median(len(article.payload["body"]) for article in articles),
        "load": (load_before, load_after),
    }


def report(result: dict) -> bool:
    idle, during, posting, after = result["idle"], result["during"], result["while_posting"], result["idle_after"]
    print()
    print(
        f"Search during an import of {result['articles']:,} articles through the API "
        f"(median body {result['body_chars_median']:.0f} characters), one client searching, one posting"
    )
    print(f"{'':<24}{'searches':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    rows = (
        ("idle, before", idle),
        ("during the import", during),
        ("  of which while posting", posting),
        ("idle, after", after),
    )
    for label, row in rows:
        print(f"{label:<24}{row['count']:>9}{row['p50']:>9.0f}{row['p95']:>9.0f}{row['max']:>9.0f}")
    print(
        f"posting: {result['post_seconds']:.0f} s ({result['articles'] / result['post_seconds']:.1f} articles/s); "
        f"all searchable {result['searchable_seconds']:.0f} s after the first post "
        f"({result['articles'] / result['searchable_seconds']:.2f} articles/s indexed)"
    )
    if result["missing"]:
        print(f"NOT searchable after the sweep: {len(result['missing'])} (e.g. {', '.join(result['missing'][:5])})")
    before, later = result["load"]
    print(
        f"load average (1/5/15 min) before the first idle phase {before[0]:.1f}/{before[1]:.1f}/{before[2]:.1f}, "
        f"after the last {later[0]:.1f}/{later[1]:.1f}/{later[2]:.1f} on {os.cpu_count()} cores"
    )
    # The lower of the two idle p95s: others' load on a shared box drifts over a long run, and the
    # target should not pass because the box happened to be busier in an idle phase.
    baseline = min(idle["p95"], after["p95"])
    p95_ok = during["p95"] <= P95_FACTOR * baseline
    worst_ok = during["max"] <= WORST_MS
    print(
        f"p95 during / idle (the lower idle p95, {baseline:.0f} ms) = {during['p95'] / baseline:.2f} "
        f"(target <= {P95_FACTOR:.0f}): {'PASS' if p95_ok else 'FAIL'}"
    )
    print(f"worst during = {during['max']:.0f} ms (target <= {WORST_MS:.0f} ms): {'PASS' if worst_ok else 'FAIL'}")
    ok = p95_ok and worst_ok and not result["missing"]
    print("PASS" if ok else "FAIL")
    return ok


def main(article_count: int) -> None:
    ok = report(run(article_count))
    sys.exit(0 if ok else 1)
