"""The shared rate-limit store (Redis): down, the app counts in memory, warns once and says so in
``/healthz``; up again, it counts there again.

"Down" is a real Redis URL on a port where nothing listens (connection refused), and a real
Redis behind a small TCP relay that the test starts when the store should come back. Tests that
need the real Redis use AFTERCARE_TEST_REDIS_URL (default ``redis://127.0.0.1:6379/15``); they
fail without it in CI (or when the variable is set) and are skipped elsewhere.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.factories import create_staff
from tests.services import REDIS_URL, require_redis
from tests.serving import free_port
from tests.web.pages_support import csrf_from
from tests.web.search_support import e5, keeper, publish_small_kb  # noqa: F401
from web import ratelimit

DOWN_STORE = "memory (redis unreachable)"
_require_redis = require_redis


def _unique_peer() -> str:
    # Counters in a real Redis outlive a test run; a fresh address per test starts from zero. Written
    # canonically, as the limit's key holds it: "2001:db8::0abc:..." is keyed as "2001:db8::abc:...".
    return str(ipaddress.ip_address(f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"))


@pytest.fixture
def app_on(database, settings) -> Iterator:
    """``app_on(storage_url, **settings)``: a started app (lifespan run) whose limits count there."""
    from web.app import create_app

    clients: list[TestClient] = []

    def make(storage_url: str, peer: str = "198.51.100.50", **overrides: object) -> TestClient:
        app = create_app(
            settings.model_copy(update={"rate_limit_storage_url": storage_url, **overrides}), database=database
        )
        client = TestClient(app, client=(peer, 50000))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _login(client: TestClient, email: str) -> int:
    token = csrf_from(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": "not the password", "csrf_token": token}).status_code


NEW_TICKET = {"customer_email": "ana@example.com", "subject": "The heater clicks", "body": "It clicks at night."}


# ---- the store is down ---------------------------------------------------------------------------


def test_with_the_store_down_login_intake_and_search_still_answer(app_on, session, keeper, caplog):
    publish_small_kb(session)
    create_staff(session, email="bob@x.com")
    client = app_on(f"redis://127.0.0.1:{free_port()}/0")
    with caplog.at_level(logging.WARNING, logger="web.ratelimit"):
        assert _login(client, "bob@x.com") == 400
        assert client.post("/api/v1/tickets", json=NEW_TICKET).status_code == 201
        assert client.get("/api/v1/search", params={"q": "thermostat wifi"}).status_code == 200
        assert client.get("/search", params={"q": "thermostat wifi"}).status_code == 200
        suggestions = client.get(
            "/contact/suggestions",
            params={"subject": "Thermostat", "body": "It will not join wifi"},
            headers={"HX-Request": "true"},
        )
        assert suggestions.status_code == 200
        token = csrf_from(client.get("/contact").text)
        contact = client.post("/contact", data={**NEW_TICKET, "csrf_token": token}, follow_redirects=False)
        assert contact.status_code == 303, contact.text[:300]  # to the receipt: the ticket was opened


def test_with_the_store_down_the_warning_is_logged_once(app_on, session, keeper, caplog):
    publish_small_kb(session)
    client = app_on(f"redis://127.0.0.1:{free_port()}/0")
    with caplog.at_level(logging.WARNING, logger="web.ratelimit"):
        for _ in range(5):
            assert client.get("/api/v1/search", params={"q": "thermostat wifi"}).status_code == 200
    warnings = [record for record in caplog.records if record.name == "web.ratelimit"]
    assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()


def test_with_the_store_down_limits_are_counted_in_memory(app_on, session, keeper):
    publish_small_kb(session)
    client = app_on(f"redis://127.0.0.1:{free_port()}/0", search_rate_limit="2/minute")
    statuses = [client.get("/api/v1/search", params={"q": "thermostat wifi"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_healthz_says_the_limits_count_in_memory_while_the_store_is_down(app_on):
    client = app_on(f"redis://127.0.0.1:{free_port()}/0")
    response = client.get("/healthz")
    # Still serving, so still a 200; the field says what is wrong.
    assert response.status_code == 200 and response.json()["status"] == "ok"
    limits = response.json()["rate_limits"]
    assert (limits["store"], limits["ok"]) == (DOWN_STORE, False)
    assert "refused" in limits["error"].lower()


def test_healthz_with_the_default_memory_store_is_unchanged(app_on):
    assert app_on("memory://").get("/healthz").json() == {"status": "ok"}


# ---- the real Redis ------------------------------------------------------------------------------


@pytest.mark.redis
def test_healthz_says_redis_when_it_answers(app_on):
    _require_redis()
    response = app_on(REDIS_URL).get("/healthz")
    assert response.status_code == 200
    assert response.json()["rate_limits"] == {"store": "redis", "ok": True}


@pytest.mark.redis
def test_limits_are_counted_in_redis_across_processes(app_on, session, keeper):
    import redis

    _require_redis()
    publish_small_kb(session)
    peer = _unique_peer()
    client = app_on(REDIS_URL, peer=peer, search_rate_limit="2/minute")
    assert [client.get("/api/v1/search", params={"q": "thermostat wifi"}).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    # What another web process would read: the counter is in Redis, under this client's address.
    keys = redis.Redis.from_url(REDIS_URL).keys("LIMITS*")
    assert any(peer.encode() in key for key in keys)


class _Relay:
    """A TCP relay from a local port to Redis, started and stopped by the test."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port, self.target = port, target
        self.listener: socket.socket | None = None
        self.sockets: list[socket.socket] = []

    def start(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        assert self.listener is not None
        while True:
            try:
                inbound, _ = self.listener.accept()
            except OSError:
                return
            outbound = socket.create_connection(self.target)
            self.sockets += [inbound, outbound]
            for source, sink in ((inbound, outbound), (outbound, inbound)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.close()
        for end in self.sockets:
            end.close()


@pytest.mark.redis
def test_when_the_store_answers_again_the_limits_go_back_to_it(app_on, session, keeper, caplog, monkeypatch):
    _require_redis()
    publish_small_kb(session)
    # Try the store again on every request instead of every 30 s, so that the test need not wait.
    monkeypatch.setattr(ratelimit, "RETRY_SECONDS", 0.0)
    target = urlsplit(REDIS_URL)
    relay = _Relay(free_port(), (target.hostname or "127.0.0.1", target.port or 6379))
    url = f"redis://127.0.0.1:{relay.port}{target.path}"
    client = app_on(url, peer=_unique_peer())
    try:
        with caplog.at_level(logging.WARNING, logger="web.ratelimit"):
            assert client.get("/healthz").json()["rate_limits"]["store"] == DOWN_STORE
            relay.start()
            assert client.get("/api/v1/search", params={"q": "thermostat wifi"}).status_code == 200
            assert client.get("/healthz").json()["rate_limits"] == {"store": "redis", "ok": True}
    finally:
        relay.stop()
    messages = [record.getMessage() for record in caplog.records if record.name == "web.ratelimit"]
    assert len(messages) == 2 and "unreachable" in messages[0] and "answers again" in messages[1]
