"""Rate limiting with the ``limits`` library: in memory for one process, Redis for several."""

from __future__ import annotations

import math
import time
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from aftercare.errors import RateLimited, ValidationFailed


@lru_cache(maxsize=8)
def _limiter(storage_url: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(storage_url))


@lru_cache(maxsize=32)
def parse_limit(expression: str) -> RateLimitItem:
    try:
        return parse(expression)
    except ValueError as error:
        raise ValidationFailed(f"invalid rate limit {expression!r}: {error}") from error


def hit(storage_url: str, expression: str, *keys: str) -> None:
    """Count one request for ``keys``; raise RateLimited (with Retry-After) past the limit."""
    limiter = _limiter(storage_url)
    item = parse_limit(expression)
    if limiter.hit(item, *keys):
        return
    reset_at, _remaining = limiter.get_window_stats(item, *keys)
    retry_after = max(1, math.ceil(reset_at - time.time()))
    raise RateLimited(f"too many requests; try again in {retry_after} s", retry_after=retry_after)


def reset(storage_url: str) -> None:
    _limiter(storage_url).storage.reset()
