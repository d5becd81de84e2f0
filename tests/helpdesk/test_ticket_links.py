"""Signed ticket links: who they let in, for how long, and revoking them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer

from accounts import service as accounts
from aftercare.errors import NotFound
from helpdesk import ticket_links
from tests.factories import (
    create_customer_user,
    create_ticket,
    staff_principal,
)

LINK_LIFETIME = timedelta(days=30)  # the documented default of AFTERCARE_TICKET_LINK_MAX_AGE_DAYS


def _untimed_link(key: str, ticket) -> str:
    """A link as Aftercare signed them before links expired (no time in it)."""
    return URLSafeSerializer(key, salt="aftercare.ticket-link").dumps([ticket.id, ticket.requester_id])


def test_ticket_link_grants_only_that_ticket(session):
    ticket = create_ticket(session)
    link = ticket_links.sign_ticket_link("secret-key", ticket)
    principal = ticket_links.verify_ticket_link(session, "secret-key", link)
    other = create_ticket(session, customer_email=ticket.requester.email)
    assert ticket_links.can_read_ticket(principal, ticket) and not ticket_links.can_read_ticket(principal, other)


def test_ticket_link_signed_with_other_key_is_refused(session):
    ticket = create_ticket(session)
    link = ticket_links.sign_ticket_link("another-key", ticket)
    assert ticket_links.verify_ticket_link(session, "secret-key", link) is None


def test_ticket_link_lifetime_defaults_to_thirty_days(settings):
    assert ticket_links.ticket_link_max_age(settings) == LINK_LIFETIME


def test_ticket_link_works_until_its_lifetime_is_over(session):
    ticket = create_ticket(session)
    link = ticket_links.sign_ticket_link("secret-key", ticket)
    almost = accounts.utcnow() + LINK_LIFETIME - timedelta(minutes=1)
    check = ticket_links.check_ticket_link(session, "secret-key", link, max_age=LINK_LIFETIME, now=almost)
    assert check.state is ticket_links.LinkState.VALID and check.principal.ticket_link_id == ticket.id


def test_expired_ticket_link_grants_nothing_but_names_its_ticket(session):
    ticket = create_ticket(session)
    link = ticket_links.sign_ticket_link("secret-key", ticket)
    later = accounts.utcnow() + LINK_LIFETIME + timedelta(minutes=1)
    check = ticket_links.check_ticket_link(session, "secret-key", link, max_age=LINK_LIFETIME, now=later)
    assert check.state is ticket_links.LinkState.EXPIRED and check.principal is None and check.ticket is ticket
    assert ticket_links.verify_ticket_link(session, "secret-key", link, now=later) is None


def test_revoking_ticket_links_stops_earlier_links_and_not_later_ones(session):
    ticket = create_ticket(session)
    before = ticket_links.sign_ticket_link("secret-key", ticket)
    ticket_links.revoke_ticket_links(session, ticket, staff_principal(session))
    after = ticket_links.sign_ticket_link("secret-key", ticket)
    check = ticket_links.check_ticket_link(session, "secret-key", before, max_age=LINK_LIFETIME)
    assert check.state is ticket_links.LinkState.REVOKED and check.principal is None
    assert ticket_links.verify_ticket_link(session, "secret-key", after).ticket_link_id == ticket.id


def test_revoking_one_tickets_links_leaves_the_requesters_other_tickets_alone(session):
    ticket = create_ticket(session)
    other = create_ticket(session, customer_email=ticket.requester.email)
    other_link = ticket_links.sign_ticket_link("secret-key", other)
    ticket_links.revoke_ticket_links(session, ticket, staff_principal(session))
    assert ticket_links.verify_ticket_link(session, "secret-key", other_link).ticket_link_id == other.id


def test_requester_with_a_link_may_revoke_its_links(session):
    ticket = create_ticket(session)
    holder = ticket_links.verify_ticket_link(session, "secret-key", ticket_links.sign_ticket_link("secret-key", ticket))
    ticket_links.revoke_ticket_links(session, ticket, holder)
    assert ticket.link_generation == 1


def test_another_customer_cannot_revoke_a_tickets_links(session):
    ticket = create_ticket(session)
    stranger = accounts.principal_for_user(create_customer_user(session))
    with pytest.raises(NotFound):
        ticket_links.revoke_ticket_links(session, ticket, stranger)
    assert ticket.link_generation == 0


def test_holder_of_another_tickets_link_cannot_revoke(session):
    ticket = create_ticket(session)
    mine = create_ticket(session, customer_email=ticket.requester.email)
    holder = ticket_links.verify_ticket_link(session, "secret-key", ticket_links.sign_ticket_link("secret-key", mine))
    with pytest.raises(NotFound):
        ticket_links.revoke_ticket_links(session, ticket, holder)


def test_untimed_link_from_before_the_upgrade_works_for_one_lifetime_after_it(session):
    ticket = create_ticket(session)
    upgraded = accounts.utcnow() - timedelta(days=29)
    ticket.untimed_links_issued_at = upgraded
    link = _untimed_link("secret-key", ticket)
    live = ticket_links.check_ticket_link(session, "secret-key", link, max_age=LINK_LIFETIME)
    gone = ticket_links.check_ticket_link(
        session, "secret-key", link, max_age=LINK_LIFETIME, now=upgraded + LINK_LIFETIME + timedelta(seconds=1)
    )
    assert live.state is ticket_links.LinkState.VALID and gone.state is ticket_links.LinkState.EXPIRED


def test_untimed_link_stops_when_the_tickets_links_are_revoked(session):
    ticket = create_ticket(session)
    ticket.untimed_links_issued_at = accounts.utcnow()
    link = _untimed_link("secret-key", ticket)
    ticket_links.revoke_ticket_links(session, ticket, staff_principal(session))
    assert (
        ticket_links.check_ticket_link(session, "secret-key", link, max_age=LINK_LIFETIME).state
        is ticket_links.LinkState.REVOKED
    )


def test_untimed_link_to_a_ticket_made_after_the_upgrade_is_expired(session):
    ticket = create_ticket(session)
    assert ticket.untimed_links_issued_at is None
    link = _untimed_link("secret-key", ticket)
    assert (
        ticket_links.check_ticket_link(session, "secret-key", link, max_age=LINK_LIFETIME).state
        is ticket_links.LinkState.EXPIRED
    )


def test_ticket_link_for_a_changed_requester_is_invalid(session):
    ticket = create_ticket(session)
    link = ticket_links.sign_ticket_link("secret-key", ticket)
    ticket.requester = create_customer_user(session).customer
    session.flush()
    check = ticket_links.check_ticket_link(session, "secret-key", link, max_age=LINK_LIFETIME)
    assert check.state is ticket_links.LinkState.INVALID and check.ticket is None


def test_garbage_ticket_link_is_invalid(session):
    check = ticket_links.check_ticket_link(session, "secret-key", "not.a.link", max_age=LINK_LIFETIME)
    assert check.state is ticket_links.LinkState.INVALID
