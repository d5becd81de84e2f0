"""Sign-in links (accounts.email_links): one use each, a short life, and the account made on first use."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from accounts.email_links import (
    EmailLinkState,
    check_email_link,
    delete_old_links,
    issue_email_link,
    may_sign_in_by_link,
    may_use_link,
    redeem_email_link,
)
from accounts.models import EmailSignInLink, LinkPurpose, Role, User
from accounts.service import get_or_create_customer
from aftercare.db import utcnow
from tests.factories import create_customer_user, create_staff, unique_email

FIFTEEN_MINUTES = timedelta(minutes=15)


def test_only_a_hash_of_the_token_is_stored(session):
    link, token = issue_email_link(session, unique_email(), lifetime=FIFTEEN_MINUTES)
    assert token not in link.token_hash and len(link.token_hash) == 64


def test_a_link_signs_in_once(session):
    user = create_customer_user(session)
    _, token = issue_email_link(session, user.email, lifetime=FIFTEEN_MINUTES)
    assert redeem_email_link(session, token) == (EmailLinkState.VALID, user)


def test_a_used_link_does_not_sign_in_again(session):
    _, token = issue_email_link(session, unique_email(), lifetime=FIFTEEN_MINUTES)
    redeem_email_link(session, token)
    assert redeem_email_link(session, token) == (EmailLinkState.USED, None)


def test_an_expired_link_is_refused(session):
    asked = utcnow()
    _, token = issue_email_link(session, unique_email(), lifetime=FIFTEEN_MINUTES, now=asked)
    # A second past its fifteen minutes.
    late = asked + FIFTEEN_MINUTES + timedelta(seconds=1)
    assert redeem_email_link(session, token, now=late) == (EmailLinkState.EXPIRED, None)


def test_an_unknown_token_is_refused(session):
    assert redeem_email_link(session, "not-a-token-we-issued") == (EmailLinkState.UNKNOWN, None)


def test_checking_a_link_leaves_it_unused(session):
    _, token = issue_email_link(session, unique_email(), lifetime=FIFTEEN_MINUTES)
    assert check_email_link(session, token).state is EmailLinkState.VALID
    assert check_email_link(session, token).link.used_at is None


def test_first_use_attaches_the_account_to_the_customer_who_wrote_in(session):
    email = unique_email("writer")
    customer = get_or_create_customer(session, email, name="Zofia", language="pl")
    _, token = issue_email_link(session, email.upper(), lifetime=FIFTEEN_MINUTES)
    _, user = redeem_email_link(session, token)
    assert (user.role, user.customer_id, user.name, user.language) == (Role.CUSTOMER, customer.id, "Zofia", "pl")


def test_first_use_by_a_new_address_makes_its_customer_too(session):
    email = unique_email("newcomer")
    _, token = issue_email_link(session, email, lifetime=FIFTEEN_MINUTES)
    _, user = redeem_email_link(session, token)
    assert user.customer is not None and user.customer.email == email


def test_asking_for_a_link_makes_no_account(session):
    email = unique_email("asker")
    issue_email_link(session, email, lifetime=FIFTEEN_MINUTES)
    assert session.scalar(select(func.count(User.id)).where(User.email == email)) == 0


def test_staff_addresses_get_no_link(session):
    # Staff sign in with their password; a link to their mailbox would be a way round it.
    assert not may_sign_in_by_link(session, create_staff(session).email)


def test_a_deactivated_customer_gets_no_link(session):
    user = create_customer_user(session)
    user.is_active = False
    assert not may_sign_in_by_link(session, user.email)


def test_a_link_row_remembers_its_use(session):
    link, token = issue_email_link(session, unique_email(), lifetime=FIFTEEN_MINUTES)
    redeem_email_link(session, token)
    assert session.scalar(select(EmailSignInLink.used_at).where(EmailSignInLink.id == link.id)) is not None


def test_of_two_racing_uses_only_the_first_signs_in(session, monkeypatch):
    # The second request read the link before the first one used it: its conditional UPDATE decides.
    from accounts import email_links

    _, token = issue_email_link(session, unique_email("racer"), lifetime=FIFTEEN_MINUTES)
    stale_check = check_email_link(session, token)
    assert redeem_email_link(session, token)[0] is EmailLinkState.VALID
    monkeypatch.setattr(email_links, "check_email_link", lambda *args, **kwargs: stale_check)
    assert redeem_email_link(session, token) == (EmailLinkState.USED, None)


def test_an_account_made_meanwhile_by_another_link_is_the_one_signed_in(session, monkeypatch):
    # Two links to one new address followed at once: the other request made the account after
    # this one looked, so this one's insert meets the unique address and takes that account.
    from accounts import email_links

    made_meanwhile = create_customer_user(session)
    real_lookup = email_links._account
    looks: list[str] = []

    def first_look_misses(session, email):
        looks.append(email)
        return None if len(looks) == 1 else real_lookup(session, email)

    monkeypatch.setattr(email_links, "_account", first_look_misses)
    assert email_links.customer_account(session, made_meanwhile.email) == made_meanwhile
    assert len(looks) == 2


# ---- purposes -------------------------------------------------------------------------------------


def test_a_link_works_only_for_its_own_purpose(session):
    user = create_staff(session)
    _, token = issue_email_link(session, user.email, lifetime=FIFTEEN_MINUTES, purpose=LinkPurpose.PASSWORD_RESET)
    assert check_email_link(session, token).state is EmailLinkState.UNKNOWN
    assert check_email_link(session, token, purpose=LinkPurpose.PASSWORD_RESET).state is EmailLinkState.VALID


def test_a_password_reset_link_returns_the_staff_account(session):
    user = create_staff(session)
    _, token = issue_email_link(session, user.email, lifetime=FIFTEEN_MINUTES, purpose=LinkPurpose.PASSWORD_RESET)
    assert redeem_email_link(session, token, purpose=LinkPurpose.PASSWORD_RESET) == (EmailLinkState.VALID, user)


def test_a_password_reset_needs_an_existing_account(session):
    assert not may_use_link(session, unique_email("nobody"), LinkPurpose.PASSWORD_RESET)


def test_a_password_reset_link_for_a_deactivated_account_stops_working(session):
    user = create_staff(session)
    _, token = issue_email_link(session, user.email, lifetime=FIFTEEN_MINUTES, purpose=LinkPurpose.PASSWORD_RESET)
    user.is_active = False
    session.flush()
    assert redeem_email_link(session, token, purpose=LinkPurpose.PASSWORD_RESET) == (EmailLinkState.UNKNOWN, None)


def test_only_customers_may_have_an_account_deletion_link(session):
    assert may_use_link(session, create_customer_user(session).email, LinkPurpose.ACCOUNT_DELETION)
    assert not may_use_link(session, create_staff(session).email, LinkPurpose.ACCOUNT_DELETION)


def test_links_long_expired_are_forgotten_and_recent_ones_kept(session):
    now = utcnow()
    old, _ = issue_email_link(session, unique_email("old"), lifetime=FIFTEEN_MINUTES, now=now - timedelta(days=30))
    recent, _ = issue_email_link(session, unique_email("recent"), lifetime=FIFTEEN_MINUTES, now=now - timedelta(days=1))
    old_id, recent_id = old.id, recent.id
    assert delete_old_links(session, older_than=timedelta(days=7), now=now) >= 1
    session.expire_all()
    assert session.get(EmailSignInLink, old_id) is None and session.get(EmailSignInLink, recent_id) is not None
