"""Rate limiting with the ``limits`` library: in memory for one process, Redis for several.

- **A shared store that is down** (``AFTERCARE_RATE_LIMIT_STORAGE_URL=redis://...`` unreachable)
  does not take sign-in, intake and search down with it: counting goes on in this process's
  memory (each process then counts on its own, so a client gets up to N times its limit across N
  processes), with one warning in the log per outage. The store is tried again every
  ``RETRY_SECONDS``; ``/healthz`` shows which store is counting (``status``).
- **Searches cost what they cost.** Embedding the query dominates a search, and its time grows
  with the query's length: a search is charged ``search_cost`` units of the search limit, one per
  ``SEARCH_COST_BYTES`` bytes of UTF-8 (so Thai, three bytes a character and more tokens, costs
  more per character, as it does to embed). ``bench/bench_search_cost.py`` prints the figures.
  The limit bounds a client's share over a minute, not a burst: a client's searches running at
  once in this process may together cost at most ``MAX_IN_FLIGHT_COST`` (two of the longest
  queries, or many short ones); past it the search is refused at once with Retry-After, so one
  client's pile of long queries cannot hold every CPU while its neighbours wait.
- **Keys**: the client address (``web.client_address``); the sign-in e-mail as the person would
  recognise it (``email_key``), hashed so that the store holds no e-mail addresses.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import HTTPConnection

from aftercare.errors import RateLimited, ValidationFailed
from web.client_address import client_address

logger = logging.getLogger(__name__)

# How long a store that failed is left alone before the next request tries it again.
RETRY_SECONDS = 30.0
# A rate-limit call to Redis takes a millisecond; a store that takes longer than this is down
# for our purposes (a request must not wait seconds for its counter).
STORE_TIMEOUT_SECONDS = 0.5
# One unit of the search limit per this many bytes of query (rounded down, plus one): a search's
# time is mostly its query embedding, a fixed part plus a part that grows with the query's bytes
# (more per character in Thai than in English). ``python bench/bench_search_cost.py`` prints,
# for English and Thai queries of 10 to 500 characters, the time with the bundled e5 embedder
# beside the units charged.
SEARCH_COST_BYTES = 80
# What one client's searches running at once may cost together (units as above): two 500-character
# English queries (7 each), or a dozen short ones. A single query costing more still runs alone.
MAX_IN_FLIGHT_COST = 14
# A search refused for that is retried by the client after this long (they take well under it).
IN_FLIGHT_RETRY_AFTER_SECONDS = 1
# The limit whose (unused) counter /healthz reads to see whether the store answers.
_PROBE = parse("1/second")


@dataclass(frozen=True)
class StoreStatus:
    """Which store is counting, for ``/healthz``."""

    store: str
    ok: bool
    error: str | None = None
    # False for the in-process default (memory://), which cannot be down.
    shared_store_configured: bool = True

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {"store": self.store, "ok": self.ok}
        if self.error:
            found["error"] = self.error
        return found


class _Limiter:
    """The configured store's limiter, and this process's memory when the store is down."""

    def __init__(self, storage_url: str) -> None:
        self.url = storage_url
        self.scheme = storage_url.partition("://")[0] or "memory"
        self.memory = MovingWindowRateLimiter(MemoryStorage())
        self.remote: MovingWindowRateLimiter | None = None
        if self.scheme != "memory":
            options: dict[str, float | bool] = {"wrap_exceptions": True}
            if self.scheme in ("redis", "rediss"):
                options.update(socket_connect_timeout=STORE_TIMEOUT_SECONDS, socket_timeout=STORE_TIMEOUT_SECONDS)
            # Connects on first use, so a store that is down at start-up is handled like any outage.
            self.remote = MovingWindowRateLimiter(storage_from_string(storage_url, **options))
        self._lock = threading.Lock()
        self._down_error: str | None = None
        self._retry_at = 0.0

    def _use_remote(self) -> bool:
        return self.remote is not None and (self._down_error is None or time.monotonic() >= self._retry_at)

    def _mark_down(self, error: object) -> None:
        with self._lock:
            first = self._down_error is None
            self._down_error = str(error)[:200] or type(error).__name__
            self._retry_at = time.monotonic() + RETRY_SECONDS
        if first:
            logger.warning(
                "rate-limit store %s is unreachable (%s): counting in this process's memory until it answers; "
                "trying it again every %.0f s",
                self.scheme,
                self._down_error,
                RETRY_SECONDS,
            )

    def _mark_up(self) -> None:
        if self._down_error is None:
            return
        with self._lock:
            was_down, self._down_error = self._down_error, None
        if was_down is not None:
            logger.warning("rate-limit store %s answers again: counting there", self.scheme)

    def hit(self, item: RateLimitItem, keys: tuple[str, ...], cost: int) -> float | None:
        """None when allowed; otherwise the time (epoch seconds) the window frees a slot."""
        if self._use_remote():
            assert self.remote is not None
            try:
                allowed = self.remote.hit(item, *keys, cost=cost)
                reset_at = None if allowed else self.remote.get_window_stats(item, *keys).reset_time
            except StorageError as error:
                self._mark_down(error.storage_error)
            else:
                self._mark_up()
                return reset_at
        if self.memory.hit(item, *keys, cost=cost):
            return None
        return self.memory.get_window_stats(item, *keys).reset_time

    def status(self) -> StoreStatus:
        if self.remote is None:
            return StoreStatus("memory", ok=True, shared_store_configured=False)
        if self._use_remote():
            # Asked, not assumed: an outage shows here even while no request is counted. A read
            # of a counter nobody uses (``check()`` would hide why it failed).
            try:
                self.remote.get_window_stats(_PROBE, "healthz-probe")
            except StorageError as error:
                self._mark_down(error.storage_error)
            else:
                self._mark_up()
        if self._down_error is not None:
            return StoreStatus(f"memory ({self.scheme} unreachable)", ok=False, error=self._down_error)
        return StoreStatus(self.scheme, ok=True)

    def reset(self) -> None:
        self.memory.storage.reset()
        if self.remote is not None and self._use_remote():
            try:
                self.remote.storage.reset()
            except StorageError as error:
                self._mark_down(error.storage_error)


@lru_cache(maxsize=8)
def _limiter(storage_url: str) -> _Limiter:
    return _Limiter(storage_url)


@lru_cache(maxsize=32)
def parse_limit(expression: str) -> RateLimitItem:
    try:
        return parse(expression)
    except ValueError as error:
        raise ValidationFailed(f"invalid rate limit {expression!r}: {error}") from error


def hit(storage_url: str, expression: str, *keys: str, cost: int = 1) -> None:
    """Count ``cost`` units for ``keys``; raise RateLimited (with Retry-After) past the limit.

    A cost above the whole limit is charged as the whole limit, so a costly request is still
    allowed once in a fresh window rather than never.
    """
    item = parse_limit(expression)
    reset_at = _limiter(storage_url).hit(item, keys, max(1, min(cost, item.amount)))
    if reset_at is None:
        return
    retry_after = max(1, math.ceil(reset_at - time.time()))
    raise RateLimited(f"too many requests; try again in {retry_after} s", retry_after=retry_after)


def search_cost(query: str) -> int:
    """Units of the search limit that searching ``query`` costs (see the module docstring)."""
    return 1 + len(query.encode("utf-8", "surrogatepass")) // SEARCH_COST_BYTES


_in_flight: Counter[str] = Counter()
_in_flight_lock = threading.Lock()


@contextmanager
def search_allowance(connection: HTTPConnection, query: str) -> Iterator[None]:
    """Around a search of ``query``: refuse it (RateLimited) if this client's searches already
    running cost too much, else charge the client's search limit and hold its share till the end.

    Checked before charging, so that a search refused for running at the same time as others
    costs nothing of the minute's limit.
    """
    settings = connection.app.state.settings
    client = client_address(connection)
    cost = search_cost(" ".join(query.split()))
    with _in_flight_lock:
        if _in_flight[client] and _in_flight[client] + cost > MAX_IN_FLIGHT_COST:
            raise RateLimited(
                f"too many searches at once; try again in {IN_FLIGHT_RETRY_AFTER_SECONDS} s",
                retry_after=IN_FLIGHT_RETRY_AFTER_SECONDS,
            )
        _in_flight[client] += cost
    try:
        hit(settings.rate_limit_storage_url, settings.search_rate_limit, "search", client, cost=cost)
        yield
    finally:
        with _in_flight_lock:
            _in_flight[client] -= cost
            if _in_flight[client] <= 0:
                del _in_flight[client]


def email_key(email: str) -> str:
    """The sign-in limit's key for ``email``: ``Bob@X.com `` and ``bob@x.com`` are one person.

    NFKC folds look-alike forms (full-width letters), case-folding folds case beyond ASCII;
    hashed, so that a shared store holds no e-mail addresses.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email).strip().casefold())
    return hashlib.sha256(folded.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def status(storage_url: str) -> StoreStatus:
    """Which store is counting for ``storage_url``, asking a shared store whether it answers."""
    return _limiter(storage_url).status()


def reset(storage_url: str) -> None:
    _limiter(storage_url).reset()
