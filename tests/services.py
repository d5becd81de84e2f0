"""The real services some tests need (Redis here; PostgreSQL is chosen in tests/conftest.py).

In CI (``CI`` set) or when the variable naming the service is set, a service that does not answer
fails the test: CI must never pass by skipping what it was meant to check. Elsewhere (a laptop
without Redis) the test is skipped with the reason.
"""

from __future__ import annotations

import os

import pytest

REDIS_URL = os.environ.get("AFTERCARE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def service_required(variable: str) -> bool:
    return bool(os.environ.get("CI") or os.environ.get(variable))


def require_redis() -> None:
    """Fail (CI) or skip (elsewhere) unless Redis answers at ``REDIS_URL``."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError as error:
        message = f"Redis is not reachable at {REDIS_URL} ({error}); set AFTERCARE_TEST_REDIS_URL"
        if service_required("AFTERCARE_TEST_REDIS_URL"):
            pytest.fail(message)
        pytest.skip(message)
