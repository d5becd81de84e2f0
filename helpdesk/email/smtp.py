"""SMTP: composing an outbox row into a MIME message, and handing it to the mail server.

Settings: ``AFTERCARE_SMTP_HOST``/``_PORT``, ``_USER``/``_PASSWORD`` (login only when a user is
set), ``_TLS`` (implicit TLS, usually port 465) or ``_STARTTLS`` (usually 587),
``_TIMEOUT_SECONDS``. One connection is reused for a whole drain of the outbox.

Failures are told apart because they call for different things: ``ServerUnavailable`` (cannot
connect, log in, or the server dropped us) stops the drain, since every further message would
fail the same way; ``MessageRefused`` (the server answered this message with an error code) is
about one message, and the drain goes on. Whether a failure is worth retrying is RFC 5321's
(4.2.1): a 5yz reply is permanent (the same message will be refused again), everything else (a
4yz reply, a connection that failed or dropped) is temporary and is retried for days
(``helpdesk.email.delivery``).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from datetime import datetime
from email import encoders
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTPUTF8 as SMTPUTF8_POLICY
from email.utils import format_datetime, formataddr, parseaddr

from aftercare.config import Settings
from helpdesk.email.addressing import envelope_sender
from helpdesk.email.attached_files import OutgoingFile
from helpdesk.email.models import EmailKind, OutboxMessage
from helpdesk.email.rendering import render_footer
from helpdesk.email.unsubscribe import unsubscribe_url


class DeliveryError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail[:1000]

    @property
    def permanent(self) -> bool:
        """True when trying the same message again cannot succeed (the server said 5yz)."""
        return False


class ServerUnavailable(DeliveryError):
    """The server cannot take mail now (down, unreachable, refused our login)."""


class MessageRefused(DeliveryError):
    """The server answered this one message with an error."""

    def __init__(self, detail: str, *, code: int | None = None) -> None:
        super().__init__(detail)
        self.code = code

    @property
    def permanent(self) -> bool:
        return self.code is not None and 500 <= self.code < 600


def _with_footer_html(html: str, footer: str) -> str:
    marker = html.lower().rfind("</body>")
    return html + footer if marker < 0 else html[:marker] + footer + html[marker:]


def _bodies(settings: Settings, row: OutboxMessage) -> tuple[str, str | None]:
    text, html = row.text_body, row.html_body
    if row.kind in (EmailKind.MARKETING, EmailKind.SURVEY):
        footer_text, footer_html = render_footer(EmailKind(row.kind), row.language, unsubscribe_url(settings, row))
        text = text.rstrip("\n") + "\n" + footer_text
        html = _with_footer_html(html, footer_html) if html else None
    return text, html


def _mime_type(file: OutgoingFile) -> tuple[str, str]:
    maintype, _, subtype = file.content_type.partition("/")
    # A forwarded message travels as bytes: message/* parts may not be base64-encoded (RFC 2046).
    if maintype == "message" or not subtype:
        return "application", "octet-stream"
    return maintype, subtype


def _address_header(value: str) -> str:
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if address else value


def compose(settings: Settings, row: OutboxMessage, *, now: datetime, files: Sequence[OutgoingFile] = ()) -> Message:
    """The MIME message for ``row``: text, optional HTML alternative, our headers, the footer.

    Built with the classic ``email.mime`` classes, much faster than ``EmailMessage`` (whose header
    parsing and refolding dominated the cost of a send; ``python bench/bench_outbox.py`` measures
    sends per second); the header values are
    ours or checked one-line values, and non-ASCII ones are RFC 2047-encoded here. An address
    that needs SMTPUTF8 (a non-ASCII local part) takes the ``EmailMessage`` road instead.
    ``files`` (an agent reply's attachments) make it multipart/mixed, each file base64-encoded.
    """
    if not row.to_address.isascii():
        return _compose_international(settings, row, now=now, files=files)
    text, html = _bodies(settings, row)
    utf8 = Charset("utf-8")
    utf8.body_encoding = QP
    text_part = MIMEText(text, "plain", utf8)
    message: Message = text_part
    if html:
        message = MIMEMultipart("alternative")
        message.attach(text_part)
        message.attach(MIMEText(html, "html", utf8))
    if files:
        body = message
        message = MIMEMultipart("mixed")
        message.attach(body)
        for file in files:
            maintype, subtype = _mime_type(file)
            part = MIMEBase(maintype, subtype)
            part.set_payload(file.payload)
            encoders.encode_base64(part)
            filename = file.filename if file.filename.isascii() else ("utf-8", "", file.filename)
            part.add_header("Content-Disposition", "attachment", filename=filename)
            message.attach(part)
    message["From"] = _address_header(settings.mail_from)
    message["To"] = row.to_address
    message["Subject"] = Header(row.subject, "utf-8") if not row.subject.isascii() else row.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = row.message_id
    for name, value in (row.headers or {}).items():
        if name.lower() == "reply-to":
            value = _address_header(value)
        message[name] = value if value.isascii() else Header(value, "utf-8")
    if row.language:
        message["Content-Language"] = row.language
    return message


def _compose_international(
    settings: Settings, row: OutboxMessage, *, now: datetime, files: Sequence[OutgoingFile] = ()
) -> Message:
    message = EmailMessage(policy=SMTPUTF8_POLICY)
    message["From"] = settings.mail_from
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = row.message_id
    for name, value in (row.headers or {}).items():
        message[name] = value
    text, html = _bodies(settings, row)
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for file in files:
        maintype, subtype = _mime_type(file)
        message.add_attachment(file.payload, maintype=maintype, subtype=subtype, filename=file.filename)
    if row.language:
        message["Content-Language"] = row.language
    return message


def as_wire_bytes(message: Message) -> bytes:
    """The message as SMTP carries it: CRLF line ends (smtplib sends bytes unchanged)."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


class SmtpTransport:
    """A lazily opened, reused SMTP connection to the configured server."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        try:
            if settings.smtp_tls:
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.smtp_host,
                    settings.smtp_port,
                    timeout=settings.smtp_timeout_seconds,
                    context=ssl.create_default_context(),
                )
            else:
                connection = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds)
            connection.ehlo_or_helo_if_needed()
            if settings.smtp_starttls and not settings.smtp_tls:
                connection.starttls(context=ssl.create_default_context())
                connection.ehlo()
            if settings.smtp_user:
                connection.login(settings.smtp_user, settings.smtp_password)
        except smtplib.SMTPAuthenticationError as error:
            raise ServerUnavailable(f"SMTP login refused: {error.smtp_code} {_text(error.smtp_error)}") from error
        except (OSError, smtplib.SMTPException) as error:
            raise ServerUnavailable(
                f"cannot connect to SMTP server {settings.smtp_host}:{settings.smtp_port}: {error}"
            ) from error
        return connection

    def send(self, message: Message, recipient: str) -> None:
        """Returns only once the server has accepted the message; raises DeliveryError otherwise."""
        if self._connection is None:
            self._connection = self._connect()
        sender = envelope_sender(self.settings)
        international = not (sender.isascii() and recipient.isascii())
        try:
            self._connection.sendmail(
                sender, [recipient], as_wire_bytes(message), mail_options=["SMTPUTF8"] if international else []
            )
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise MessageRefused(f"recipient refused: {code} {_text(reply)}", code=code) from error
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            self._reset()
            raise MessageRefused(
                f"refused: {error.smtp_code} {_text(error.smtp_error)}", code=error.smtp_code
            ) from error
        except smtplib.SMTPResponseException as error:
            self.close()
            raise MessageRefused(
                f"refused: {error.smtp_code} {_text(error.smtp_error)}", code=error.smtp_code
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            # Dropped mid-message: the server did not accept it. Reconnect for the next one.
            self.close()
            raise MessageRefused(f"connection lost while sending: {error}") from error

    def _reset(self) -> None:
        try:
            if self._connection is not None:
                self._connection.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
