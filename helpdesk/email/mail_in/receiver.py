"""The built-in receiver: an SMTP (or LMTP) server that a mail server or forwarder delivers to.

``aftercare mail-in --host H --port P [--lmtp]``. Each message goes through
``intake.store_inbound`` and the answer is sent only after its transaction has committed:

- 250 once stored (as a ticket, a reply, an auto-reply record, or a duplicate we already had);
- 552 too large / 550 malformed or empty: stored as a rejected item an admin can list, and the
  sending server returns the mail to its sender, who learns it did not arrive;
- 450 over the sender's rate limit, 451 when storing failed (database down or still locked after
  the busy timeout, disk full): the sending server keeps the message and tries again later.
  Nothing is ever dropped silently. What a retry cannot fix is never a 451: NUL characters,
  which PostgreSQL refuses in text, are removed by the parser (the message is accepted).

Beyond twice ``mail_in_max_bytes`` the server itself refuses the data (552) without reading it
all into memory; between the two limits the beginning of the message is kept as a rejected item.
Storing runs in a thread pool so one slow commit does not stall other connections.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession

from aftercare.config import Settings, get_settings
from aftercare.db import Database
from aftercare.errors import RateLimited
from helpdesk.email.mail_in.intake import store_inbound

logger = logging.getLogger(__name__)

RATE_LIMITED_REPLY = "450 4.7.1 Too many messages from this sender; try again later"
TEMPORARY_FAILURE_REPLY = "451 4.3.0 Temporary failure storing the message; try again later"


class IntakeHandler:
    """aiosmtpd handler: every DATA becomes one ``store_inbound`` call."""

    def __init__(
        self, database: Database, settings: Settings | None = None, *, threads: int = 4, lmtp: bool = False
    ) -> None:
        self.database = database
        self.settings = settings or get_settings()
        self.lmtp = lmtp
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="mail-in")

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's name
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        # "MAIL FROM:<>" is the null sender of bounces and auto-replies; aiosmtpd keeps the brackets.
        mail_from = "" if envelope.mail_from in (None, "", "<>") else envelope.mail_from
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self._executor, self._store, raw, mail_from, list(envelope.rcpt_tos))
            reply = result.smtp_reply
        except RateLimited:
            reply = RATE_LIMITED_REPLY
        except Exception:
            logger.exception("could not store inbound message from %s", envelope.mail_from)
            reply = TEMPORARY_FAILURE_REPLY
        if self.lmtp:
            # LMTP answers once per recipient; the message was stored once for all of them.
            return "\r\n".join([reply] * max(len(envelope.rcpt_tos), 1))
        return reply

    def _store(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> Any:
        return store_inbound(self.database, raw, envelope_from=mail_from, envelope_to=rcpt_tos, settings=self.settings)

    def close(self) -> None:
        self._executor.shutdown(wait=True)


class ReceiverController(Controller):
    """aiosmtpd's threaded controller, speaking LMTP when asked."""

    def __init__(self, handler: IntakeHandler, *, hostname: str, port: int, settings: Settings) -> None:
        super().__init__(
            handler,
            hostname=hostname,
            port=port,
            # Mail between the limit and twice it is kept (truncated) as a rejected item.
            data_size_limit=2 * settings.mail_in_max_bytes,
            enable_SMTPUTF8=True,
        )
        self.lmtp = handler.lmtp

    def factory(self) -> SMTP:
        if self.lmtp:
            return LMTP(self.handler, **self.SMTP_kwargs)
        return super().factory()


def start_receiver(
    database: Database, *, host: str, port: int, lmtp: bool = False, settings: Settings | None = None
) -> ReceiverController:
    """Start the receiver in a background thread; ``.stop()`` it when done."""
    settings = settings or get_settings()
    handler = IntakeHandler(database, settings, lmtp=lmtp)
    controller = ReceiverController(handler, hostname=host, port=port, settings=settings)
    controller.start()
    return controller


def stop_receiver(controller: ReceiverController) -> None:
    controller.stop()
    controller.handler.close()
