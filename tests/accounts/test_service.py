"""Accounts: password hashing, API tokens, login sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts import service as accounts
from accounts.models import ApiToken, Role
from aftercare.errors import Conflict, NotFound, ValidationFailed
from tests.factories import (
    create_customer_user,
    create_staff,
)


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
    assert accounts.check_api_token(session, plaintext) == (accounts.TokenState.VALID, user)


def test_revoked_token_no_longer_authenticates(session):
    user = create_staff(session)
    plaintext = accounts.issue_api_token(session, user)
    session.query(ApiToken).filter_by(user_id=user.id).one().revoked_at = accounts.utcnow()
    assert accounts.check_api_token(session, plaintext) == (accounts.TokenState.REVOKED, None)


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


def test_expired_token_is_told_apart_and_does_not_authenticate(session):
    user = create_staff(session)
    plaintext = accounts.issue_api_token(session, user, expires_at=accounts.utcnow() + timedelta(hours=1))
    later = accounts.utcnow() + timedelta(hours=1, seconds=1)
    assert accounts.check_api_token(session, plaintext, now=later) == (accounts.TokenState.EXPIRED, None)
    assert accounts.check_api_token(session, plaintext) == (accounts.TokenState.VALID, user)  # still an hour to go now


def test_token_before_its_expiry_authenticates(session):
    user = create_staff(session)
    plaintext = accounts.issue_api_token(session, user, expires_at=accounts.utcnow() + timedelta(hours=1))
    assert accounts.check_api_token(session, plaintext) == (accounts.TokenState.VALID, user)


def test_revoked_token_is_refused_as_revoked(session):
    user = create_staff(session)
    token, plaintext = accounts.create_api_token(session, user, name="ci")
    accounts.revoke_api_token(session, token.id, user)
    with pytest.raises(accounts.TokenRevoked):
        accounts.require_token_user(session, plaintext)


def test_unknown_token_is_refused_as_invalid(session):
    with pytest.raises(accounts.TokenInvalid):
        accounts.require_token_user(session, "ac_" + "x" * 43)


def test_token_of_a_deactivated_user_is_refused(session):
    user = create_staff(session)
    plaintext = accounts.issue_api_token(session, user)
    user.is_active = False
    assert accounts.check_api_token(session, plaintext) == (accounts.TokenState.UNKNOWN, None)


def test_token_expiry_in_the_past_is_refused(session):
    user = create_staff(session)
    with pytest.raises(ValidationFailed):
        accounts.create_api_token(session, user, name="old", expires_at=accounts.utcnow() - timedelta(seconds=1))


def test_token_needs_a_name(session):
    user = create_staff(session)
    with pytest.raises(ValidationFailed):
        accounts.create_api_token(session, user, name="   ")


def test_using_a_token_records_when(session):
    user = create_staff(session)
    token, plaintext = accounts.create_api_token(session, user, name="ci")
    assert token.last_used_at is None
    used = accounts.utcnow() + timedelta(minutes=5)
    accounts.check_api_token(session, plaintext, now=used)
    assert token.last_used_at == used


def test_token_keeps_a_short_prefix_that_is_the_start_of_its_plaintext(session):
    token, plaintext = accounts.create_api_token(session, create_staff(session), name="ci")
    assert plaintext.startswith(token.prefix) and token.prefix.startswith("ac_") and len(token.prefix) == 11


def test_listing_shows_only_the_owners_tokens_newest_first(session):
    owner, other = create_staff(session), create_staff(session)
    first, _ = accounts.create_api_token(session, owner, name="first", now=accounts.utcnow() - timedelta(days=1))
    second, _ = accounts.create_api_token(session, owner, name="second")
    accounts.create_api_token(session, other, name="theirs")
    assert accounts.list_api_tokens(session, owner) == [second, first]


def test_user_cannot_revoke_someone_elses_token(session):
    owner, other = create_staff(session), create_customer_user(session)
    token, plaintext = accounts.create_api_token(session, owner, name="ci")
    with pytest.raises(NotFound):
        accounts.revoke_api_token(session, token.id, other)
    assert accounts.check_api_token(session, plaintext) == (accounts.TokenState.VALID, owner)


def test_admin_can_revoke_anyones_token(session):
    owner = create_customer_user(session)
    token, plaintext = accounts.create_api_token(session, owner, name="phone")
    accounts.revoke_api_token(session, token.id, create_staff(session, role=Role.ADMIN))
    assert accounts.check_api_token(session, plaintext) == (accounts.TokenState.REVOKED, None)


def test_revoking_twice_keeps_the_first_time(session):
    user = create_staff(session)
    token, _ = accounts.create_api_token(session, user, name="ci")
    first = accounts.utcnow() - timedelta(hours=1)
    accounts.revoke_api_token(session, token.id, user, now=first)
    accounts.revoke_api_token(session, token.id, user)
    assert token.revoked_at == first


def test_live_tokens_per_user_are_bounded_and_revoking_frees_room(session):
    user = create_staff(session)
    tokens = [
        accounts.create_api_token(session, user, name=f"t{n}")[0] for n in range(accounts.MAX_LIVE_TOKENS_PER_USER)
    ]
    with pytest.raises(Conflict):
        accounts.create_api_token(session, user, name="one too many")
    accounts.revoke_api_token(session, tokens[0].id, user)
    assert accounts.create_api_token(session, user, name="room again")[0].id is not None
