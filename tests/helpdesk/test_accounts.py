"""Accounts: password hashing, API tokens, login sessions, signed ticket links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer

from aftercare.errors import Conflict, NotFound, ValidationFailed
from helpdesk import accounts
from helpdesk.models import ApiToken, Role
from tests.factories import create_customer_user, create_staff, create_ticket, staff_principal


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


# --- Ticket links: expiry and revocation -------------------------------------------------------

LINK_LIFETIME = timedelta(days=30)  # the documented default of AFTERCARE_TICKET_LINK_MAX_AGE_DAYS


def _untimed_link(key: str, ticket) -> str:
    """A link as Aftercare signed them before links expired (no time in it)."""
    return URLSafeSerializer(key, salt="aftercare.ticket-link").dumps([ticket.id, ticket.requester_id])


def test_ticket_link_lifetime_defaults_to_thirty_days(settings):
    assert accounts.ticket_link_max_age(settings) == LINK_LIFETIME


def test_ticket_link_works_until_its_lifetime_is_over(session):
    ticket = create_ticket(session)
    link = accounts.sign_ticket_link("secret-key", ticket)
    almost = accounts.utcnow() + LINK_LIFETIME - timedelta(minutes=1)
    check = accounts.check_ticket_link(session, "secret-key", link, max_age=LINK_LIFETIME, now=almost)
    assert check.state is accounts.LinkState.VALID and check.principal.ticket_link_id == ticket.id


def test_expired_ticket_link_grants_nothing_but_names_its_ticket(session):
    ticket = create_ticket(session)
    link = accounts.sign_ticket_link("secret-key", ticket)
    later = accounts.utcnow() + LINK_LIFETIME + timedelta(minutes=1)
    check = accounts.check_ticket_link(session, "secret-key", link, max_age=LINK_LIFETIME, now=later)
    assert check.state is accounts.LinkState.EXPIRED and check.principal is None and check.ticket is ticket
    assert accounts.verify_ticket_link(session, "secret-key", link, now=later) is None


def test_revoking_ticket_links_stops_earlier_links_and_not_later_ones(session):
    ticket = create_ticket(session)
    before = accounts.sign_ticket_link("secret-key", ticket)
    accounts.revoke_ticket_links(session, ticket, staff_principal(session))
    after = accounts.sign_ticket_link("secret-key", ticket)
    check = accounts.check_ticket_link(session, "secret-key", before, max_age=LINK_LIFETIME)
    assert check.state is accounts.LinkState.REVOKED and check.principal is None
    assert accounts.verify_ticket_link(session, "secret-key", after).ticket_link_id == ticket.id


def test_revoking_one_tickets_links_leaves_the_requesters_other_tickets_alone(session):
    ticket = create_ticket(session)
    other = create_ticket(session, customer_email=ticket.requester.email)
    other_link = accounts.sign_ticket_link("secret-key", other)
    accounts.revoke_ticket_links(session, ticket, staff_principal(session))
    assert accounts.verify_ticket_link(session, "secret-key", other_link).ticket_link_id == other.id


def test_requester_with_a_link_may_revoke_its_links(session):
    ticket = create_ticket(session)
    holder = accounts.verify_ticket_link(session, "secret-key", accounts.sign_ticket_link("secret-key", ticket))
    accounts.revoke_ticket_links(session, ticket, holder)
    assert ticket.link_generation == 1


def test_another_customer_cannot_revoke_a_tickets_links(session):
    ticket = create_ticket(session)
    stranger = accounts.principal_for_user(create_customer_user(session))
    with pytest.raises(NotFound):
        accounts.revoke_ticket_links(session, ticket, stranger)
    assert ticket.link_generation == 0


def test_holder_of_another_tickets_link_cannot_revoke(session):
    ticket = create_ticket(session)
    mine = create_ticket(session, customer_email=ticket.requester.email)
    holder = accounts.verify_ticket_link(session, "secret-key", accounts.sign_ticket_link("secret-key", mine))
    with pytest.raises(NotFound):
        accounts.revoke_ticket_links(session, ticket, holder)


def test_untimed_link_from_before_the_upgrade_works_for_one_lifetime_after_it(session):
    ticket = create_ticket(session)
    upgraded = accounts.utcnow() - timedelta(days=29)
    ticket.untimed_links_issued_at = upgraded
    link = _untimed_link("secret-key", ticket)
    live = accounts.check_ticket_link(session, "secret-key", link, max_age=LINK_LIFETIME)
    gone = accounts.check_ticket_link(session, "secret-key", link, max_age=LINK_LIFETIME,
                                      now=upgraded + LINK_LIFETIME + timedelta(seconds=1))
    assert live.state is accounts.LinkState.VALID and gone.state is accounts.LinkState.EXPIRED


def test_untimed_link_stops_when_the_tickets_links_are_revoked(session):
    ticket = create_ticket(session)
    ticket.untimed_links_issued_at = accounts.utcnow()
    link = _untimed_link("secret-key", ticket)
    accounts.revoke_ticket_links(session, ticket, staff_principal(session))
    assert accounts.check_ticket_link(session, "secret-key", link, max_age=LINK_LIFETIME).state is accounts.LinkState.REVOKED


def test_untimed_link_to_a_ticket_made_after_the_upgrade_is_expired(session):
    ticket = create_ticket(session)
    assert ticket.untimed_links_issued_at is None
    link = _untimed_link("secret-key", ticket)
    assert accounts.check_ticket_link(session, "secret-key", link, max_age=LINK_LIFETIME).state is accounts.LinkState.EXPIRED


def test_ticket_link_for_a_changed_requester_is_invalid(session):
    ticket = create_ticket(session)
    link = accounts.sign_ticket_link("secret-key", ticket)
    ticket.requester = create_customer_user(session).customer
    session.flush()
    check = accounts.check_ticket_link(session, "secret-key", link, max_age=LINK_LIFETIME)
    assert check.state is accounts.LinkState.INVALID and check.ticket is None


def test_garbage_ticket_link_is_invalid(session):
    check = accounts.check_ticket_link(session, "secret-key", "not.a.link", max_age=LINK_LIFETIME)
    assert check.state is accounts.LinkState.INVALID


# --- API tokens: expiry, last use, listing, revocation ------------------------------------------


def test_expired_token_is_told_apart_and_does_not_authenticate(session):
    user = create_staff(session)
    plaintext = accounts.issue_api_token(session, user, expires_at=accounts.utcnow() + timedelta(hours=1))
    later = accounts.utcnow() + timedelta(hours=1, seconds=1)
    assert accounts.check_api_token(session, plaintext, now=later) == (accounts.TokenState.EXPIRED, None)
    assert accounts.authenticate_token(session, plaintext) is user  # still an hour to go now


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
    assert accounts.authenticate_token(session, plaintext) is owner


def test_admin_can_revoke_anyones_token(session):
    owner = create_customer_user(session)
    token, plaintext = accounts.create_api_token(session, owner, name="phone")
    accounts.revoke_api_token(session, token.id, create_staff(session, role=Role.ADMIN))
    assert accounts.authenticate_token(session, plaintext) is None


def test_revoking_twice_keeps_the_first_time(session):
    user = create_staff(session)
    token, _ = accounts.create_api_token(session, user, name="ci")
    first = accounts.utcnow() - timedelta(hours=1)
    accounts.revoke_api_token(session, token.id, user, now=first)
    accounts.revoke_api_token(session, token.id, user)
    assert token.revoked_at == first


def test_live_tokens_per_user_are_bounded_and_revoking_frees_room(session):
    user = create_staff(session)
    tokens = [accounts.create_api_token(session, user, name=f"t{n}")[0]
              for n in range(accounts.MAX_LIVE_TOKENS_PER_USER)]
    with pytest.raises(Conflict):
        accounts.create_api_token(session, user, name="one too many")
    accounts.revoke_api_token(session, tokens[0].id, user)
    assert accounts.create_api_token(session, user, name="room again")[0].id is not None
