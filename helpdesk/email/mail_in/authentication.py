"""What the receiving mail server found when it checked the sender: ``Authentication-Results``.

Aftercare does not check DKIM, SPF or DMARC itself (it would need the DNS and the message as it
arrived at the edge); the mail server in front of it does, and writes its findings in an
``Authentication-Results`` header (RFC 8601) at the top of the message. Headers further down may
have been written by anyone, the sender included, so only the topmost counts, and, when
``mail_in_authserv_id`` names our server, only the topmost that our server signed with its id.

The verdict, from that one header:

- ``pass``: DMARC passed, or (no DMARC result) a DKIM signature passed whose domain is the From
  address's domain or a parent of it, or SPF passed for a MAIL FROM in that domain: the From
  address's domain vouched for this message (what DMARC calls alignment).
- ``fail``: DMARC failed, or (no DMARC result) DKIM or SPF failed outright ("fail"; a
  "softfail" or "neutral" is a shrug, not a failure) and nothing aligned passed.
- ``none``: no header, or nothing that decides either way.

``helpdesk.email.mail_in.threading`` decides with it whether mail that names a ticket only by its From
address (and the ``[#id]`` in the subject) may be added to that ticket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

# "dkim=pass header.d=example.com", "spf=fail smtp.mailfrom=x@y", "dmarc=pass (p=none) header.from=..."
_RESULT = re.compile(r"(?:^|;)\s*(dkim|spf|dmarc)\s*=\s*([a-z]+)([^;]*)", re.IGNORECASE)
_PROPERTY = re.compile(r"\b(header\.d|header\.i|smtp\.mailfrom|header\.from)\s*=\s*\"?([^\s;\"]+)", re.IGNORECASE)
_COMMENT = re.compile(r"\([^()]*\)")
MAX_STORED_CHARS = 1000


class AuthVerdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NONE = "none"


@dataclass(frozen=True)
class Authentication:
    verdict: AuthVerdict
    # The header the verdict came from (None when there was none), kept for the agent to read.
    header: str | None = None


def _domain(value: str) -> str:
    return value.rsplit("@", 1)[-1].strip().strip("<>").lower().rstrip(".")


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment (RFC 7489 §3.1): the same domain, or one is a subdomain of the other.

    Without a public-suffix list the organisational domain is approximated: a bare top-level
    domain ("pl") never counts; a key published under a shared suffix ("co.uk") would need that
    registry's help.
    """
    return "." in domain and (
        domain == from_domain or from_domain.endswith("." + domain) or domain.endswith("." + from_domain)
    )


def authserv_id(header: str) -> str:
    return header.split(";", 1)[0].strip().split()[0].lower() if header.strip() else ""


def topmost(headers: list[str], our_authserv_id: str = "") -> str | None:
    """The header to believe: the first (topmost), or the first our server wrote when we know its id."""
    for header in headers:
        if not our_authserv_id or authserv_id(header) == our_authserv_id.lower():
            return header
    return None


def judge(header: str | None, from_address: str) -> Authentication:
    """The verdict of one ``Authentication-Results`` header for mail from ``from_address``."""
    if not header:
        return Authentication(AuthVerdict.NONE)
    kept = header[:MAX_STORED_CHARS]
    from_domain = _domain(from_address)
    text = _COMMENT.sub(" ", header)
    results: dict[str, list[tuple[str, dict[str, str]]]] = {"dkim": [], "spf": [], "dmarc": []}
    for method, result, rest in _RESULT.findall(text):
        properties = {name.lower(): value for name, value in _PROPERTY.findall(rest)}
        results[method.lower()].append((result.lower(), properties))
    dmarc = [result for result, _ in results["dmarc"]]
    if "pass" in dmarc:
        return Authentication(AuthVerdict.PASS, kept)
    if "fail" in dmarc:
        return Authentication(AuthVerdict.FAIL, kept)
    for result, properties in results["dkim"]:
        signer = properties.get("header.d") or _domain(properties.get("header.i", ""))
        if result == "pass" and _aligned(signer.lower(), from_domain):
            return Authentication(AuthVerdict.PASS, kept)
    for result, properties in results["spf"]:
        if result == "pass" and _aligned(_domain(properties.get("smtp.mailfrom", "")), from_domain):
            return Authentication(AuthVerdict.PASS, kept)
    if any(result == "fail" for method in ("dkim", "spf") for result, _ in results[method]):
        return Authentication(AuthVerdict.FAIL, kept)
    return Authentication(AuthVerdict.NONE, kept)
