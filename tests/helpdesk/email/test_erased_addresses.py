"""Erased addresses: only their hash is kept, and mail nobody asked for does not start again by itself."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from helpdesk.email.models import EmailKind, ErasedAddress, SuppressionScope
from helpdesk.email.suppression import (
    forget_erased_address,
    is_erased_address,
    remember_erased_address,
    suppressing_scopes,
)
from tests.helpdesk.email.factories import customer, email

ADDRESS = "gone@example.org"


def test_only_the_hash_of_the_address_is_kept(session):
    row = remember_erased_address(session, "Gone@Example.org")
    # SHA-256 of the address as addresses are stored: lower-cased.
    assert row.email_sha256 == hashlib.sha256(b"gone@example.org").hexdigest()


def test_remembering_an_address_twice_keeps_one_row(session):
    remember_erased_address(session, ADDRESS)
    remember_erased_address(session, ADDRESS.upper())
    assert session.scalar(select(func.count()).select_from(ErasedAddress)) == 1


def test_an_address_is_known_as_erased_however_it_is_typed(session):
    remember_erased_address(session, ADDRESS)
    assert (is_erased_address(session, " GONE@example.org "), is_erased_address(session, "other@example.org")) == (
        True,
        False,
    )


def test_marketing_and_survey_mail_to_an_erased_address_is_suppressed_at_enqueue(session):
    # Consent given on a new customer record for the same address: the erased hash still wins.
    customer(session, email=ADDRESS, marketing=True, surveys=True)
    remember_erased_address(session, ADDRESS)
    assert email(session, to=ADDRESS, kind=EmailKind.MARKETING) is None
    assert email(session, to=ADDRESS, kind=EmailKind.SURVEY) is None


def test_transactional_mail_to_an_erased_address_still_goes(session):
    remember_erased_address(session, ADDRESS)
    assert email(session, to=ADDRESS, kind=EmailKind.TRANSACTIONAL) is not None


def test_an_erased_address_counts_as_on_the_list_for_that_kind(session):
    remember_erased_address(session, ADDRESS)
    assert suppressing_scopes(session, ADDRESS, EmailKind.MARKETING) == [SuppressionScope.MARKETING]


def test_the_persons_own_consent_ends_the_suppression(session):
    customer(session, email=ADDRESS, marketing=True)
    remember_erased_address(session, ADDRESS)
    assert forget_erased_address(session, ADDRESS) is True
    assert email(session, to=ADDRESS, kind=EmailKind.MARKETING) is not None
