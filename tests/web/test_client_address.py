"""``web.client_address.resolve_client``: which address is the client, from the connecting peer and
X-Forwarded-For, given the trusted proxies."""

from __future__ import annotations

import pytest

from aftercare.config import Settings
from web.client_address import resolve_client

PROXIES = ["10.0.0.0/8", "2001:db8:ffff::/48"]


def test_no_trusted_proxies_means_the_peer_whatever_the_header_says():
    assert resolve_client("192.0.2.1", ["203.0.113.5"], []) == "192.0.2.1"


def test_a_peer_that_is_not_a_trusted_proxy_is_the_client():
    assert resolve_client("192.0.2.1", ["203.0.113.5"], PROXIES) == "192.0.2.1"


def test_behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client():
    # The client wrote "6.6.6.6"; the proxies appended 203.0.113.9 (the client) and 10.1.2.3 (a hop).
    assert resolve_client("10.0.0.5", ["6.6.6.6, 203.0.113.9, 10.1.2.3"], PROXIES) == "203.0.113.9"


def test_several_header_lines_are_one_list():
    assert resolve_client("10.0.0.5", ["6.6.6.6", "203.0.113.9"], PROXIES) == "203.0.113.9"


def test_a_trusted_proxy_without_the_header_is_the_client():
    assert resolve_client("10.0.0.5", [], PROXIES) == "10.0.0.5"


def test_when_every_hop_is_trusted_the_furthest_is_the_client():
    assert resolve_client("10.0.0.5", ["10.9.9.9, 10.1.1.1"], PROXIES) == "10.9.9.9"


@pytest.mark.parametrize(
    ("forwarded", "client"),
    [
        ("203.0.113.9:5123", "203.0.113.9"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("2001:DB8:0:0::7", "2001:db8::7"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
    ],
)
def test_addresses_are_read_with_ports_and_written_one_way(forwarded, client):
    assert resolve_client("10.0.0.5", [forwarded], PROXIES) == client


def test_an_ipv6_proxy_network_is_trusted():
    assert resolve_client("2001:db8:ffff::1", ["203.0.113.9"], PROXIES) == "203.0.113.9"


def test_an_entry_that_is_no_address_is_kept_printable_and_short():
    assert resolve_client("10.0.0.5", ["unknown\x1b[31m" + "x" * 200], PROXIES) == ("unknown[31m" + "x" * 200)[:64]


def test_the_setting_takes_a_comma_separated_list():
    assert Settings(trusted_proxies="10.0.0.0/8, 127.0.0.1").trusted_proxies == ["10.0.0.0/8", "127.0.0.1"]


def test_the_setting_refuses_a_name_that_is_no_address():
    with pytest.raises(ValueError, match="AFTERCARE_TRUSTED_PROXIES"):
        Settings(trusted_proxies="nginx")
