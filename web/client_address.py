"""Who is asking: the one client address used for rate limits and logs.

Any client can send ``X-Forwarded-For``, so it is believed only from the reverse proxies named in
``AFTERCARE_TRUSTED_PROXIES`` (IPs or CIDRs; empty by default, and then the header is ignored).
When the connecting peer is one of them, each proxy has appended the address it saw on the
right, so the client is the right-most address that is not a trusted proxy; everything left of
it was written by the client and may be invented. If every address is a trusted proxy, the
left-most is the furthest we can see.

``aftercare serve`` runs uvicorn with its own proxy handling set from the same setting (uvicorn's
default trusts 127.0.0.1); uvicorn then already puts the client found this way in the scope, and
this finds the same address again: the client is never a trusted proxy itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.requests import HTTPConnection

UNKNOWN = "unknown"
# An entry in X-Forwarded-For that is not an address is kept (it came from a trusted proxy) but
# cut short and made printable, since it ends up in logs and limit keys.
_MAX_OPAQUE_CHARS = 64

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    # The settings validate each entry; strict=False accepts "10.0.0.1/8" as 10.0.0.0/8.
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _parse_address(text: str) -> Address | None:
    """An IP address from ``1.2.3.4``, ``1.2.3.4:5678``, ``::1`` or ``[::1]:5678``; None otherwise."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # An IPv4 client seen through a dual-stack socket is still that IPv4 client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address | None, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address.version == net.version and address in net for net in networks)


def _opaque(text: str) -> str:
    printable = "".join(char for char in text.strip() if char.isprintable())
    return printable[:_MAX_OPAQUE_CHARS] or UNKNOWN


def resolve_client(peer: str | None, forwarded_for: Iterable[str], trusted_proxies: Iterable[str]) -> str:
    """The client's address, from the connecting ``peer`` and the X-Forwarded-For header values."""
    networks = _networks(tuple(trusted_proxies))
    peer_address = _parse_address(peer) if peer else None
    if not networks or not _is_trusted(peer_address, networks):
        return str(peer_address) if peer_address is not None else (_opaque(peer) if peer else UNKNOWN)
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    if not hops:
        return str(peer_address)
    for hop in reversed(hops):
        address = _parse_address(hop)
        if not _is_trusted(address, networks):
            return str(address) if address is not None else _opaque(hop)
    leftmost = _parse_address(hops[0])
    return str(leftmost) if leftmost is not None else _opaque(hops[0])


def client_address(connection: HTTPConnection) -> str:
    """The address of the client behind ``connection`` (a Request), as limits and logs name it."""
    app = connection.scope.get("app")
    settings = getattr(getattr(app, "state", None), "settings", None)
    trusted = settings.trusted_proxies if settings is not None else ()
    peer = connection.client.host if connection.client else None
    forwarded = [
        value.decode("latin-1") for name, value in connection.scope.get("headers", []) if name == b"x-forwarded-for"
    ]
    return resolve_client(peer, forwarded, trusted)
