"""Rate limits: one counter per person at sign-in, searches charged by their cost, and the client
address believed from X-Forwarded-For only behind a configured proxy.

Each test builds its own app with the limit it needs and the real ``limits`` limiter in memory;
separate clients are separate peer addresses (Starlette's TestClient ``client=``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from tests.factories import create_staff
from tests.web.pages_support import csrf_from
from tests.web.search_support import e5, keeper, publish_small_kb  # noqa: F401
from web import ratelimit

# 500 characters of an ordinary question, as long as a search accepts.
LONG_QUERY = (
    "My Nimbus thermostat keeps going offline every evening after the router restarts and I have tried everything "
) * 5
LONG_QUERY = LONG_QUERY[:500]
MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(database, settings) -> Iterator[MakeClient]:
    """``make_client(peer, **settings)``: a client at address ``peer`` of an app with those settings."""
    from web.app import create_app

    apps: dict[tuple, object] = {}
    clients: list[TestClient] = []

    def make(peer: str, **overrides: object) -> TestClient:
        key = tuple(sorted(overrides.items(), key=lambda item: item[0]))
        key = tuple((name, tuple(value) if isinstance(value, list) else value) for name, value in key)
        if key not in apps:
            apps[key] = create_app(settings.model_copy(update=overrides), database=database)
        client = TestClient(apps[key], client=(peer, 50000))
        clients.append(client)
        return client

    ratelimit.reset(settings.rate_limit_storage_url)
    yield make
    for client in clients:
        client.close()
    ratelimit.reset(settings.rate_limit_storage_url)


# ---- sign-in: the e-mail's counter ---------------------------------------------------------------


def _login(client: TestClient, email: str) -> int:
    token = csrf_from(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": "not the password", "csrf_token": token}).status_code


def test_one_counter_for_an_email_however_it_is_typed(make_client, session):
    create_staff(session, email="bob@x.com")
    first, second = (
        make_client("203.0.113.1", login_rate_limit="2/minute"),
        make_client("203.0.113.2", login_rate_limit="2/minute"),
    )
    # Two addresses, so that only the e-mail's counter is shared; case, spaces, full-width letters.
    assert [_login(first, "Bob@X.com "), _login(first, "bob@x.com")] == [400, 400]
    assert _login(second, "ＢＯＢ@x.com") == 429


def test_other_emails_do_not_share_the_counter(make_client, session):
    first, second = (
        make_client("203.0.113.1", login_rate_limit="2/minute"),
        make_client("203.0.113.2", login_rate_limit="2/minute"),
    )
    assert [_login(first, "bob@x.com"), _login(first, "bob@x.com")] == [400, 400]
    assert _login(second, "rob@x.com") == 400


def test_an_address_trying_many_emails_is_still_limited(make_client, session):
    client = make_client("203.0.113.1", login_rate_limit="2/minute")
    assert [_login(client, f"person{n}@x.com") for n in range(3)] == [400, 400, 429]


def test_the_email_key_holds_no_address():
    assert "bob" not in ratelimit.email_key("bob@x.com")
    assert ratelimit.email_key("Bob@X.com ") == ratelimit.email_key("bob@x.com")


# ---- searches by cost ----------------------------------------------------------------------------


def test_search_cost_grows_with_the_bytes_of_the_query():
    # One unit, plus one per 80 bytes of UTF-8; Thai takes three bytes a character.
    assert ratelimit.search_cost("wifi") == 1
    assert ratelimit.search_cost("a" * 79) == 1
    assert ratelimit.search_cost("a" * 80) == 2
    assert ratelimit.search_cost("a" * 500) == 7
    assert ratelimit.search_cost("ก" * 500) == 19


def test_long_queries_run_out_before_a_neighbours_short_ones(make_client, session, keeper):
    publish_small_kb(session)
    # 20 units a minute: a 500-character query costs 7, so the third does not fit; "wifi" costs 1.
    heavy = make_client("198.51.100.1", search_rate_limit="20/minute")
    light = make_client("198.51.100.2", search_rate_limit="20/minute")
    heavy_statuses, light_statuses = [], []
    for _ in range(3):
        heavy_statuses.append(heavy.get("/api/v1/search", params={"q": LONG_QUERY}).status_code)
        light_statuses.append(light.get("/api/v1/search", params={"q": "thermostat wifi"}).status_code)
    assert heavy_statuses == [200, 200, 429]
    assert light_statuses == [200, 200, 200]


def test_the_portal_search_charges_the_same_way(make_client, session, keeper):
    publish_small_kb(session)
    heavy = make_client("198.51.100.3", search_rate_limit="20/minute")
    headers = {"HX-Request": "true"}
    statuses = [heavy.get("/search", params={"q": LONG_QUERY}, headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    light = make_client("198.51.100.4", search_rate_limit="20/minute")
    assert light.get("/search", params={"q": "thermostat wifi"}, headers=headers).status_code == 200


def test_a_query_costing_more_than_the_whole_limit_is_allowed_once_a_window(make_client, session, keeper):
    publish_small_kb(session)
    client = make_client("198.51.100.5", search_rate_limit="5/minute")
    statuses = [client.get("/api/v1/search", params={"q": LONG_QUERY}).status_code for _ in range(2)]
    assert statuses == [200, 429]


def test_a_query_over_the_maximum_length_is_a_clear_422(make_client):
    client = make_client("198.51.100.6")
    response = client.get("/api/v1/search", params={"q": "a" * 501})
    assert response.status_code == 422 and response.json()["code"] == "validation_failed"
    assert "q" in response.json()["detail"]


def _request(app, peer: str):
    from starlette.requests import Request

    return Request(
        {
            "type": "http",
            "app": app,
            "client": (peer, 50000),
            "headers": [],
            "method": "GET",
            "path": "/api/v1/search",
            "query_string": b"",
        }
    )


@pytest.fixture
def search_app(database, settings):
    from web.app import create_app

    ratelimit.reset(settings.rate_limit_storage_url)
    yield create_app(settings.model_copy(update={"search_rate_limit": "15/minute"}), database=database)
    ratelimit.reset(settings.rate_limit_storage_url)


def test_a_clients_searches_at_once_may_cost_two_long_queries(search_app):
    from aftercare.errors import RateLimited

    heavy, other = _request(search_app, "198.51.100.7"), _request(search_app, "198.51.100.8")
    with ratelimit.search_allowance(heavy, LONG_QUERY), ratelimit.search_allowance(heavy, LONG_QUERY):
        # 7 + 7 running: even a short third waits; another client does not.
        with pytest.raises(RateLimited) as refused:
            with ratelimit.search_allowance(heavy, "wifi"):
                pass
        assert refused.value.retry_after >= 1
        with ratelimit.search_allowance(other, LONG_QUERY):
            pass
    with ratelimit.search_allowance(heavy, "wifi"):
        pass


def test_a_search_refused_for_running_at_once_costs_nothing_of_the_limit(search_app):
    from aftercare.errors import RateLimited

    heavy = _request(search_app, "198.51.100.9")
    with ratelimit.search_allowance(heavy, LONG_QUERY), ratelimit.search_allowance(heavy, LONG_QUERY):
        for _ in range(3):
            with pytest.raises(RateLimited):
                with ratelimit.search_allowance(heavy, "wifi"):
                    pass
    # 15 a minute: 14 spent by the two long ones, so exactly one short one is left.
    with ratelimit.search_allowance(heavy, "wifi"):
        pass
    with pytest.raises(RateLimited):
        with ratelimit.search_allowance(heavy, "wifi"):
            pass


def test_one_query_costing_more_than_the_share_runs_alone(search_app):
    heavy = _request(search_app, "198.51.100.10")
    with ratelimit.search_allowance(heavy, "ก" * 400):  # 1200 bytes: 16 units
        pass


# ---- the client address: X-Forwarded-For only from trusted proxies -------------------------------


def _search_statuses(client: TestClient, forwarded_for: list[str]) -> list[int]:
    return [
        client.get("/api/v1/search", params={"q": "x"}, headers={"X-Forwarded-For": value}).status_code
        for value in forwarded_for
    ]


def test_without_trusted_proxies_the_header_is_ignored(make_client, session, keeper):
    publish_small_kb(session)
    client = make_client("192.0.2.10", search_rate_limit="2/minute")
    # A client inventing a new address per request is still one client.
    assert _search_statuses(client, ["1.1.1.1", "2.2.2.2", "3.3.3.3"]) == [200, 200, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_counter(make_client, session, keeper):
    publish_small_kb(session)
    proxy = make_client("10.0.0.5", search_rate_limit="2/minute", trusted_proxies=["10.0.0.0/8"])
    # Two real clients through the same proxy; only the second gets limited.
    assert _search_statuses(proxy, ["203.0.113.7", "203.0.113.8", "203.0.113.8", "203.0.113.8"]) == [200, 200, 200, 429]


def test_behind_a_trusted_proxy_the_invented_left_part_does_not_help(make_client, session, keeper):
    publish_small_kb(session)
    proxy = make_client("10.0.0.5", search_rate_limit="2/minute", trusted_proxies=["10.0.0.0/8"])
    # The client sent "X-Forwarded-For: 1.1.1.1"; the proxy appended the address it saw.
    headers = ["1.1.1.1, 203.0.113.9", "2.2.2.2, 203.0.113.9", "3.3.3.3, 203.0.113.9"]
    assert _search_statuses(proxy, headers) == [200, 200, 429]


def test_a_peer_that_is_not_a_trusted_proxy_is_the_client(make_client, session, keeper):
    publish_small_kb(session)
    client = make_client("192.0.2.20", search_rate_limit="2/minute", trusted_proxies=["10.0.0.0/8"])
    assert _search_statuses(client, ["1.1.1.1", "2.2.2.2", "3.3.3.3"]) == [200, 200, 429]


def test_ticket_intake_counts_each_client_behind_a_trusted_proxy(make_client):
    proxy = make_client("10.0.0.5", public_rate_limit="2/minute", trusted_proxies=["10.0.0.0/8"])
    ticket = {"customer_email": "ana@example.com", "subject": "The heater clicks", "body": "It clicks at night."}
    statuses = [
        proxy.post("/api/v1/tickets", json=ticket, headers={"X-Forwarded-For": client}).status_code
        for client in ("203.0.113.7", "203.0.113.7", "203.0.113.8", "203.0.113.7")
    ]
    assert statuses == [201, 201, 201, 429]
