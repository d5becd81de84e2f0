"""Fixtures for the workers tests: a real SMTP sink (aiosmtpd) in the test process, the real
receiver on a free port, an in-memory queue, and mail settings pointing at the sink."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from huey import MemoryHuey

from aftercare.config import Settings, get_settings
from helpdesk.email.mail_in import intake
from helpdesk.email.mail_in.receiver import ReceiverController, start_receiver, stop_receiver
from tests.conftest import env
from workers import queue


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Delivery:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.raw)  # type: ignore[return-value]


@dataclass
class SinkHandler:
    """Collects what the server accepted; ``replies`` scripts the answers to the next messages."""

    delivered: list[Delivery] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    # When this many messages have arrived, the next one is held (unanswered) until ``release``,
    # then refused: a client killed meanwhile never learns of an acceptance.
    hold_at: int | None = None
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    # Seconds each message takes to accept (to make two workers overlap).
    delay: float = 0.0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        if self.hold_at is not None and len(self.delivered) == self.hold_at:
            # Once only; a killed client makes the server cancel this coroutine mid-wait.
            self.hold_at = None
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
            return "451 4.3.0 the client went away"
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.replies:
            return self.replies.pop(0)
        self.delivered.append(
            Delivery(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content)
        )
        return "250 2.0.0 OK"


class SmtpSink:
    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = SinkHandler()
        self.controller: Controller | None = None

    @property
    def delivered(self) -> list[Delivery]:
        return self.handler.delivered

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def message_ids(self) -> list[str]:
        return [delivery.message["Message-ID"] for delivery in self.delivered]


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(free_port())
    sink.start()
    with env(
        AFTERCARE_SMTP_HOST="127.0.0.1",
        AFTERCARE_SMTP_PORT=str(sink.port),
        AFTERCARE_SMTP_TIMEOUT_SECONDS="5",
        AFTERCARE_MAIL_FROM="Aftercare Support <support@help.example.com>",
        AFTERCARE_MAIL_REPLY_TO="support@help.example.com",
    ):
        try:
            yield sink
        finally:
            sink.stop()


@pytest.fixture(autouse=True)
def memory_queue() -> Iterator[MemoryHuey]:
    """Jobs go to an in-memory queue the test can inspect, never to a file or server."""
    huey = queue.build_huey("memory://", get_settings().data_dir)
    queue.set_huey(huey)
    try:
        yield huey
    finally:
        queue.set_huey(None)


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    intake._limiter(get_settings().rate_limit_storage_url).storage.reset()


@contextmanager
def running_receiver(database, settings: Settings | None = None, *, lmtp: bool = False) -> Iterator[ReceiverController]:
    controller = start_receiver(
        database, host="127.0.0.1", port=free_port(), lmtp=lmtp, settings=settings or get_settings()
    )
    try:
        yield controller
    finally:
        stop_receiver(controller)


@pytest.fixture
def receiver(database) -> Iterator[ReceiverController]:
    with running_receiver(database) as controller:
        yield controller


MAIL_ROUTERS = ("web.pages.email", "web.api.mail")


@pytest.fixture
def mail_client(app) -> Iterator:
    """The test client with this package's routes (until web.app lists them itself)."""
    import importlib

    from fastapi.testclient import TestClient

    from web.app import ROUTER_MODULES

    for module_name in MAIL_ROUTERS:
        if module_name not in ROUTER_MODULES:
            app.include_router(importlib.import_module(module_name).router)
    with TestClient(app) as test_client:
        yield test_client
