"""What a search costs by the length of its query, against what the search limit charges for it.

    python bench/bench_search_cost.py [--repeats 11]

The time of a search is mostly the query's embedding, and that grows with the query's tokens; the
rate limit charges ``web.ratelimit.search_cost`` units (one, plus one per 80 bytes of UTF-8). For
English and Thai queries of 10 to 500 characters this prints the best-of-N time of the bundled
e5 query embedding (one thread pool as the web app sets it), the units charged, and the time per
unit: if the charge follows the cost, the last column stays near the first row's.

Then the point of charging by cost: with the default limit, how many searches a minute one client
gets with each kind of query before a 429, and the embedding CPU that allows it per minute.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import retrieval.threads  # noqa: E402,F401 - the web app's thread pools, set on import
from aftercare.config import Settings  # noqa: E402
from retrieval.embedders import get_embedder  # noqa: E402
from web.ratelimit import parse_limit, search_cost  # noqa: E402

ENGLISH = (
    "My Nimbus thermostat keeps going offline every evening after the router restarts and I have "
    "tried everything in the app, the reset button and a new network name "
) * 5
THAI = "ฉันจะรีเซ็ตรหัสผ่านเราเตอร์ได้อย่างไรหลังจากอัปเดตเฟิร์มแวร์และตั้งค่าเครือข่ายใหม่ " * 10
LENGTHS = (10, 25, 50, 100, 200, 300, 500)


def best_time(embed, text: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        embed([text])
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=11)
    args = parser.parse_args()

    embedder = get_embedder("e5")
    embedder.embed_queries(["warm up"])
    rows = []
    print(f"{'language':8} {'chars':>5} {'bytes':>5} {'embed ms':>9} {'units':>5} {'ms/unit':>8}")
    for language, source in (("en", ENGLISH), ("th", THAI)):
        for length in LENGTHS:
            text = source[:length]
            seconds = best_time(embedder.embed_queries, text, args.repeats)
            units = search_cost(text)
            rows.append((language, length, seconds, units))
            print(
                f"{language:8} {length:>5} {len(text.encode()):>5} {seconds * 1000:>9.1f} {units:>5} "
                f"{seconds * 1000 / units:>8.1f}"
            )

    limit = parse_limit(Settings().search_rate_limit)
    print(
        f"\nDefault search limit {Settings().search_rate_limit!r}: searches a client gets per window, "
        "and the embedding CPU they take"
    )
    for language, length, seconds, units in rows:
        if length in (25, 500):
            allowed = max(1, limit.amount // units)
            print(
                f"  {language} {length:>3} chars: {allowed:>4} searches ({allowed * seconds:5.1f} s of embedding); "
                f"if every search cost 1: {limit.amount} ({limit.amount * seconds:5.1f} s)"
            )


if __name__ == "__main__":
    main()
