"""E-mail addresses and header values: parsing, checking, Message-IDs, our own addresses."""

from __future__ import annotations

import re
import uuid
from email.utils import getaddresses, parseaddr
from urllib.parse import urlsplit

from aftercare.config import Settings
from aftercare.errors import ValidationFailed

# RFC 5322 field names: printable ASCII except colon.
_HEADER_NAME = re.compile(r"^[!-9;-~]{1,76}$")
# Headers the outbox writes itself; a caller setting them would break threading or delivery.
RESERVED_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "return-path",
    }
)
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,245}>")


def one_line(value: str) -> str:
    """A header value on one line: a CR or LF from user text must never start a new header."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


def single_address(value: str) -> str:
    """The one addr-spec in ``value``, lower-cased; refuses lists, names without address, CR/LF."""
    if "\r" in value or "\n" in value:
        raise ValidationFailed("an e-mail address must be on one line")
    pairs = getaddresses([value])
    if len(pairs) != 1:
        raise ValidationFailed(f"{value!r} is not one e-mail address")
    address = pairs[0][1].strip()
    local, _, domain = address.rpartition("@")
    if not local or not domain or "." not in domain.strip(".") or " " in address:
        raise ValidationFailed(f"{value!r} is not an e-mail address")
    return address.lower()


def address_of(value: str) -> str:
    """The address part of a ``Name <address>`` setting, as is."""
    return parseaddr(value)[1]


def our_domain(settings: Settings) -> str:
    """The domain of our Message-IDs: mail_from's, else the host of base_url."""
    domain = address_of(settings.mail_from).rpartition("@")[2].strip().lower()
    if domain and domain != "localhost":
        return domain
    return (urlsplit(settings.base_url).hostname or "localhost").lower()


def new_message_id(settings: Settings) -> str:
    # Random, not derived from ticket ids: a guessable id could thread forged mail into a ticket.
    return f"<{uuid.uuid4().hex}@{our_domain(settings)}>"


def reply_to(settings: Settings) -> str:
    """Where customers' replies go: the inbound receiver's address when set, else mail_from."""
    return settings.mail_reply_to or settings.mail_from


def envelope_sender(settings: Settings) -> str:
    # Bounces go to the envelope sender; pointing it at the receiver lets hard bounces be processed.
    return address_of(reply_to(settings)) or address_of(settings.mail_from)


def message_ids(value: str | None) -> list[str]:
    """Every ``<id>`` in a Message-ID, In-Reply-To or References value, in order."""
    if not value:
        return []
    return _MESSAGE_ID.findall(value)


def checked_headers(headers: dict[str, str] | None) -> dict[str, str]:
    """Caller-supplied extra headers, refused when they could inject or override anything."""
    checked: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if not _HEADER_NAME.match(name):
            raise ValidationFailed(f"{name!r} is not a header name")
        if name.lower() in RESERVED_HEADERS:
            raise ValidationFailed(f"header {name} is set by the outbox itself")
        if "\r" in value or "\n" in value:
            raise ValidationFailed(f"header {name} must be on one line")
        checked[name] = value
    return checked
