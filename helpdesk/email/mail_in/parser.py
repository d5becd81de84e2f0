"""The one parser of inbound mail (SMTP/LMTP receiver, stdin, IMAP all come here).

Standard library ``email`` with ``policy.default``. Any charset Python knows (ISO-8859-2,
TIS-620, windows-1250, ...) is decoded; an unknown or lying one falls back to UTF-8, then
Latin-1, with replacement characters rather than a failure. The text is the ``text/plain``
parts, else the HTML turned into text (``htmltext``); the reply is that text with the quoted
history trimmed (``quotes``). Leaves that are not body text are attachments; a forwarded
message (``message/rfc822``) is one attachment, never merged into the body.

Also read here: whether a machine wrote the mail (``auto_reason``: Auto-Submitted other than
"no", X-Autoreply and friends, mailer-daemon, delivery reports), whether it came through a list
or bulk sender (``bulk_reason``: Precedence bulk/junk/list, List-Id; people write through
those too, e.g. a team's group address), and for delivery status reports which recipients
failed permanently and which of our messages bounced.

And the ``Authentication-Results`` headers, topmost first, for ``authentication`` to judge.

NUL characters are removed from everything read here (text, subject, names, ids, file names):
no text column can hold one on PostgreSQL, and a message refused for it would be refused again on
every retry, so the sending server would try for days and then bounce it. The raw message, with
its NULs, is kept only where a rejected message is kept (bytes).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser

from helpdesk.email.addressing import message_ids, one_line
from helpdesk.email.mail_in.htmltext import html_to_text
from helpdesk.email.mail_in.quotes import trim_quoted

# Charset names seen in the wild that Python spells differently (or not at all).
_CHARSET_ALIASES = {
    "windows-874": "cp874",
    "x-windows-874": "cp874",
    "tis620": "tis-620",
    "ks_c_5601-1987": "cp949",
    "x-gbk": "gbk",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
    "x-unknown": "utf-8",
}
_MACHINE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autoresponder")
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})


class MalformedMail(Exception):
    """The bytes are not a message we can make a ticket from."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    payload: bytes


@dataclass
class ParsedMail:
    from_address: str
    from_name: str
    subject: str
    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    # Everything written (HTML turned into text); ``reply_text`` has the quoted history trimmed.
    text: str
    reply_text: str
    had_html: bool
    attachments: list[ParsedAttachment] = field(default_factory=list)
    # Why this is machine-made mail (the header that says so), else None.
    auto_reason: str | None = None
    # Why this came through a list or bulk sender, else None: never answered automatically.
    bulk_reason: str | None = None
    is_bounce: bool = False
    bounced_recipients: list[str] = field(default_factory=list)
    bounced_message_ids: list[str] = field(default_factory=list)
    # Every Authentication-Results header, topmost (the last server's) first.
    authentication_results: list[str] = field(default_factory=list)


def _no_nul(value: str) -> str:
    return value.replace("\x00", "")


def decode_text(part: Message) -> str:
    """A text part's content, whatever its declared charset says, with ``\n`` line ends."""
    return _decode(part).replace("\r\n", "\n").replace("\r", "\n")


def _decode(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""
    declared = (part.get_content_charset() or "utf-8").strip().lower()
    charset = _CHARSET_ALIASES.get(declared, declared)
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"
    try:
        return payload.decode(charset)
    except UnicodeDecodeError:
        pass
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode(charset if charset != "utf-8" else "latin-1", errors="replace")


def _leaves(part: Message) -> Iterator[Message]:
    """Leaf parts in order, without descending into attached messages."""
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        for sub in part.get_payload():
            yield from _leaves(sub)
    else:
        yield part


def _is_attachment(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return disposition == "attachment" or bool(part.get_filename())


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header too broken for the policy to parse
        return ""
    return one_line(str(value)) if value is not None else ""


def _sender(message: EmailMessage) -> tuple[str, str]:
    try:
        header = message["From"]
        addresses = list(getattr(header, "addresses", ())) if header is not None else []
    except (ValueError, IndexError, TypeError):
        addresses = []
    for address in addresses:
        if address.username and address.domain:
            return f"{address.username}@{address.domain}".lower(), one_line(address.display_name or "")
    raise MalformedMail("no usable From address")


def _auto_reason(message: Message, from_address: str) -> str | None:
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto_submitted[:60]}"
    for name in _AUTO_HEADERS:
        if _header(message, name):
            return name
    if _header(message, "Precedence").lower() == "auto_reply":
        return "Precedence: auto_reply"
    if from_address.partition("@")[0] in _MACHINE_SENDERS:
        return "mailer-daemon"
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    return None


def _bulk_reason(message: Message) -> str | None:
    precedence = _header(message, "Precedence").lower()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if _header(message, "List-Id"):
        return "List-Id"
    if _header(message, "List-Unsubscribe"):
        return "List-Unsubscribe"
    return None


def _bounce_details(parts: list[Message]) -> tuple[list[str], list[str]]:
    """Permanently failed recipients and the Message-IDs of the bounced originals."""
    failed: list[str] = []
    originals: list[str] = []
    for part in parts:
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            blocks = part.get_payload()
            for block in blocks if isinstance(blocks, list) else []:
                action = str(block.get("Action", "")).strip().lower()
                status = str(block.get("Status", "")).strip()
                recipient = str(block.get("Final-Recipient", "") or block.get("Original-Recipient", ""))
                if action == "failed" and status.startswith("5") and ";" in recipient:
                    failed.append(recipient.split(";", 1)[1].strip().strip("<>").lower())
        elif content_type in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            if content_type == "message/rfc822":
                inner = part.get_payload(0) if part.is_multipart() else None
                value = inner.get("Message-ID", "") if inner is not None else ""
            else:
                match = re.search(r"^Message-ID:\s*(<[^>]+>)", decode_text(part), re.IGNORECASE | re.MULTILINE)
                value = match.group(1) if match else ""
            originals.extend(message_ids(str(value)))
    return failed, originals


def _attachment(part: Message, index: int) -> ParsedAttachment:
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        inner = part.get_payload(0) if part.is_multipart() else None
        payload = inner.as_bytes() if inner is not None else b""
    else:
        payload = part.get_payload(decode=True) or b""
    filename = part.get_filename() or f"attachment-{index}"
    return ParsedAttachment(filename=filename, content_type=content_type, payload=payload)


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse raw RFC 5322 bytes; raises MalformedMail when no ticket can come of them."""
    if not raw.strip():
        raise MalformedMail("empty message")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as error:  # the parser is lenient; anything it raises means truly broken input
        raise MalformedMail(f"unparseable: {error}") from error
    if not message.keys():
        raise MalformedMail("no headers")
    from_address, from_name = _sender(message)  # type: ignore[arg-type]

    leaves = list(_leaves(message))
    plain: list[str] = []
    html: list[str] = []
    attachments: list[ParsedAttachment] = []
    for index, part in enumerate(leaves, start=1):
        content_type = part.get_content_type()
        if content_type == "text/plain" and not _is_attachment(part):
            plain.append(decode_text(part))
        elif content_type == "text/html" and not _is_attachment(part):
            html.append(decode_text(part))
        elif content_type in ("message/delivery-status", "text/rfc822-headers", "message/rfc822-headers"):
            continue
        else:
            attachments.append(_attachment(part, index))

    if plain:
        text = "\n\n".join(chunk.strip() for chunk in plain)
        reply = trim_quoted(text)
    elif html:
        text = "\n\n".join(html_to_text(chunk) for chunk in html)
        reply = trim_quoted("\n\n".join(html_to_text(chunk, drop_quotes=True) for chunk in html)) or trim_quoted(text)
    else:
        text = reply = ""

    try:
        authentication_results = [one_line(str(value)) for value in message.get_all("Authentication-Results") or []]
    except (ValueError, IndexError, TypeError):
        authentication_results = []
    auto_reason = _auto_reason(message, from_address)
    is_bounce = message.get_content_type() == "multipart/report" or auto_reason == "mailer-daemon"
    failed, originals = _bounce_details(leaves) if is_bounce else ([], [])
    message_id = next(iter(message_ids(_header(message, "Message-ID"))), None)
    return ParsedMail(
        from_address=_no_nul(from_address),
        from_name=_no_nul(from_name),
        subject=_no_nul(_header(message, "Subject")),
        message_id=_no_nul(message_id) if message_id is not None else None,
        in_reply_to=[_no_nul(value) for value in message_ids(_header(message, "In-Reply-To"))],
        references=[_no_nul(value) for value in message_ids(_header(message, "References"))],
        text=_no_nul(text).strip(),
        reply_text=_no_nul(reply).strip(),
        had_html=bool(html),
        attachments=[ParsedAttachment(_no_nul(item.filename), item.content_type, item.payload) for item in attachments],
        auto_reason=_no_nul(auto_reason) if auto_reason is not None else None,
        bulk_reason=_no_nul(bulk_reason) if (bulk_reason := _bulk_reason(message)) is not None else None,
        is_bounce=is_bounce,
        bounced_recipients=[_no_nul(value) for value in failed],
        bounced_message_ids=[_no_nul(value) for value in originals],
        authentication_results=[_no_nul(value) for value in authentication_results],
    )
