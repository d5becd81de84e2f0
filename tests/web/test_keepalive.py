"""A 500 keeps the connection open: the client's next request on it is answered.

uvicorn closes the connection when an exception escapes the app after the answer was sent; the
app must answer the 500 itself and swallow the error. Served by a real uvicorn on a real socket,
and read with ``http.client``, which reuses one connection for consecutive requests.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI

from aftercare.db import Database

SERVER_START_TIMEOUT = 20.0


class Boom(RuntimeError):
    """The failure the test routes raise: a bug nothing else handles."""


@pytest.fixture
def served(database_url: str, settings) -> Iterator[tuple[FastAPI, int]]:
    from web.app import create_app

    database = Database(database_url)
    app = create_app(settings, database=database)

    # Routes that fail, in this test's app only.
    def api_boom() -> dict[str, str]:
        raise Boom("api route failed")

    def page_boom() -> dict[str, str]:
        raise Boom("page route failed")

    app.add_api_route("/api/v1/test-boom", api_boom, methods=["GET"])
    app.add_api_route("/test-boom", page_boom, methods=["GET"], include_in_schema=False)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield app, port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
        database.dispose()


def _get(connection: http.client.HTTPConnection, path: str, accept: str = "*/*") -> tuple[int, str, bytes]:
    connection.request("GET", path, headers={"Accept": accept})
    response = connection.getresponse()
    return response.status, response.getheader("content-type", ""), response.read()


def test_api_500_is_json_and_the_connection_serves_the_next_request(served, caplog):
    _app, port = served
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        with caplog.at_level(logging.ERROR):
            status, content_type, body = _get(connection, "/api/v1/test-boom")
        assert status == 500 and content_type.startswith("application/json")
        assert json.loads(body)["code"] == "internal_error"
        # The same connection: http.client reconnects silently only if it saw it closed, so check.
        sock = connection.sock
        status, _, body = _get(connection, "/healthz")
        assert connection.sock is sock, "the server closed the connection after the 500"
        assert status == 200 and json.loads(body)["status"] == "ok"
    finally:
        connection.close()
    logged = [record for record in caplog.records if record.exc_info and isinstance(record.exc_info[1], Boom)]
    assert len(logged) == 1, "the traceback is logged once"


def test_page_500_is_the_error_page_and_the_connection_stays(served):
    _app, port = served
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        status, content_type, body = _get(connection, "/test-boom", accept="text/html")
        assert status == 500 and content_type.startswith("text/html")
        assert b"<html" in body.lower()
        sock = connection.sock
        status, _, _ = _get(connection, "/healthz")
        assert connection.sock is sock, "the server closed the connection after the 500"
        assert status == 200
    finally:
        connection.close()
