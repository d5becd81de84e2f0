"""Accounts: password hashing, API tokens, login sessions, signed ticket links."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftercare.errors import Conflict, ValidationFailed
from helpdesk import accounts
from helpdesk.models import ApiToken, Role
from tests.factories import create_customer_user, create_staff, create_ticket


def test_password_is_stored_as_argon2_hash(session):
    user = create_staff(session, password="correct horse battery")
    assert user.password_hash.startswith("$argon2id$")
    assert "correct horse" not in user.password_hash


def test_authenticate_password_accepts_right_and_refuses_wrong(session):
    user = create_staff(session, password="correct horse battery")
    assert accounts.authenticate_password(session, user.email.upper(), "correct horse battery") is user
    assert accounts.authenticate_password(session, user.email, "wrong password!!") is None


def test_short_password_is_refused(session):
    with pytest.raises(ValidationFailed):
        create_staff(session, password="short")


def test_duplicate_email_is_a_conflict(session):
    user = create_staff(session)
    with pytest.raises(Conflict):
        create_staff(session, email=user.email.upper())


def test_api_token_is_stored_hashed_and_authenticates(session):
    user = create_staff(session)
    plaintext = accounts.issue_api_token(session, user)
    stored = session.query(ApiToken).filter_by(user_id=user.id).one()
    assert plaintext not in stored.token_hash
    assert accounts.authenticate_token(session, plaintext) is user


def test_revoked_token_no_longer_authenticates(session):
    user = create_staff(session)
    plaintext = accounts.issue_api_token(session, user)
    session.query(ApiToken).filter_by(user_id=user.id).one().revoked_at = accounts.utcnow()
    assert accounts.authenticate_token(session, plaintext) is None


def test_customer_user_is_linked_to_customer_record(session):
    user = create_customer_user(session)
    assert user.customer is not None and user.customer.email == user.email and user.role == Role.CUSTOMER


def test_ended_login_session_no_longer_resolves(session):
    user = create_staff(session)
    plaintext = accounts.start_login_session(session, user, lifetime=timedelta(hours=1))
    assert accounts.resolve_login_session(session, plaintext) is user
    accounts.end_login_session(session, plaintext)
    assert accounts.resolve_login_session(session, plaintext) is None


def test_expired_login_session_does_not_resolve(session):
    user = create_staff(session)
    plaintext = accounts.start_login_session(session, user, lifetime=timedelta(seconds=-1))
    assert accounts.resolve_login_session(session, plaintext) is None


def test_ticket_link_grants_only_that_ticket(session):
    ticket = create_ticket(session)
    link = accounts.sign_ticket_link("secret-key", ticket)
    principal = accounts.verify_ticket_link(session, "secret-key", link)
    other = create_ticket(session, customer_email=ticket.requester.email)
    assert principal.can_read_ticket(ticket) and not principal.can_read_ticket(other)


def test_ticket_link_signed_with_other_key_is_refused(session):
    ticket = create_ticket(session)
    link = accounts.sign_ticket_link("another-key", ticket)
    assert accounts.verify_ticket_link(session, "secret-key", link) is None
