"""The verdict read from a receiving server's Authentication-Results header (RFC 8601 / 7489)."""

from __future__ import annotations

import pytest

from helpdesk.email.mail_in.authentication import AuthVerdict, judge, topmost

SENDER = "ola@shop.example.pl"


@pytest.mark.parametrize(
    ("header", "verdict"),
    [
        ("mx.example; dmarc=pass (p=reject) header.from=shop.example.pl", AuthVerdict.PASS),
        ("mx.example; dkim=pass header.d=attacker.example; dmarc=fail header.from=shop.example.pl", AuthVerdict.FAIL),
        # DKIM by the From domain (or its parent) vouches for it; by another domain it says nothing.
        ("mx.example; dkim=pass header.d=example.pl", AuthVerdict.PASS),
        ("mx.example; dkim=pass header.d=mailer.example", AuthVerdict.NONE),
        ("mx.example; dkim=pass header.i=@shop.example.pl", AuthVerdict.PASS),
        ("mx.example; spf=pass smtp.mailfrom=bounce@mail.shop.example.pl", AuthVerdict.PASS),
        ("mx.example; spf=fail smtp.mailfrom=ola@shop.example.pl", AuthVerdict.FAIL),
        ("mx.example; dkim=fail (bad signature) header.d=shop.example.pl", AuthVerdict.FAIL),
        # A softfail or neutral is a shrug, not a failure (forwarded mail often soft-fails SPF).
        ("mx.example; spf=softfail smtp.mailfrom=ola@shop.example.pl", AuthVerdict.NONE),
        ("mx.example; none", AuthVerdict.NONE),
        # A comment that looks like a result is only a comment.
        ("mx.example; spf=neutral (dmarc=pass said nobody) smtp.mailfrom=x@other.example", AuthVerdict.NONE),
    ],
)
def test_verdict(header, verdict):
    assert judge(header, SENDER).verdict == verdict


def test_no_header_is_no_verdict():
    assert judge(None, SENDER) == judge("", SENDER) and judge(None, SENDER).verdict == AuthVerdict.NONE


def test_the_topmost_header_counts():
    assert topmost(["mx.example; dmarc=fail", "forger.example; dmarc=pass"]) == "mx.example; dmarc=fail"


def test_with_our_id_only_our_servers_header_counts():
    headers = ["forger.example; dmarc=pass", "MX.example; dmarc=fail", "mx.example; dmarc=pass"]
    assert topmost(headers, "mx.example") == "MX.example; dmarc=fail"


def test_with_our_id_and_no_header_of_ours_there_is_none():
    assert topmost(["forger.example; dmarc=pass"], "mx.example") is None
