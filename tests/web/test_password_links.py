"""Choosing a password by e-mailed link: "Forgot your password?" and accepting an invitation.

Against the real database and outbox: the link is read out of the queued e-mail as its reader would.
"""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from accounts.models import AuditEntry, LinkPurpose, LoginSession, Role, User
from accounts.service import create_user, start_login_session, verify_password
from aftercare.config import get_settings
from helpdesk.email.account_link_mail import send_account_link
from helpdesk.email.models import OutboxMessage
from tests.factories import create_customer_user, create_staff, unique_email
from tests.web.pages_support import csrf_from

NEUTRAL = "If the address has an account, a link to choose a new password is on its way."
NEW_PASSWORD = "correct horse battery staple"


def _mails_to(session, address: str, prefix: str) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(
        OutboxMessage.to_address == address, OutboxMessage.dedupe_key.like(f"{prefix}-link:%")
    )
    return list(session.scalars(query))


def _link_path(mail: OutboxMessage, kind: str) -> str:
    match = re.search(rf"https?://[^/\s]+(/auth/{kind}/[A-Za-z0-9_-]+)", mail.text_body)
    assert match, mail.text_body
    return match.group(1)


def _ask_for_reset(client: TestClient, email: str):
    token = csrf_from(client.get("/login/forgot-password").text)
    return client.post("/login/forgot-password", data={"csrf_token": token, "email": email})


def _choose(client: TestClient, path: str, password: str, again: str | None = None):
    token = csrf_from(client.get(path).text)
    data = {"csrf_token": token, "password": password, "password_again": password if again is None else again}
    return client.post(path, data=data, follow_redirects=False)


def test_the_sign_in_page_links_to_forgot_password(client):
    assert 'href="/login/forgot-password"' in client.get("/login").text


def test_known_and_unknown_addresses_get_the_same_page(client, session):
    known = create_staff(session).email
    pages = [_ask_for_reset(client, known), _ask_for_reset(client, unique_email("nobody"))]
    assert [page.status_code for page in pages] == [200, 200]
    assert NEUTRAL in pages[0].text and NEUTRAL in pages[1].text
    assert pages[0].text.replace(known, "") == pages[1].text.replace(known, "")


def test_only_an_address_with_an_account_gets_a_reset_mail(client, session):
    known, unknown = create_staff(session).email, unique_email("nobody")
    _ask_for_reset(client, known), _ask_for_reset(client, unknown)
    assert [len(_mails_to(session, known, "password-reset")), len(_mails_to(session, unknown, "password-reset"))] == [
        1,
        0,
    ]


def test_a_reset_link_sets_the_password_and_signs_in(client, session):
    agent = create_staff(session)
    _ask_for_reset(client, agent.email)
    path = _link_path(_mails_to(session, agent.email, "password-reset")[0], "reset-password")
    response = _choose(client, path, NEW_PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/agent/tickets"
    session.expire_all()
    assert verify_password(session.get(User, agent.id).password_hash, NEW_PASSWORD)
    assert client.get("/agent/tickets").status_code == 200


def test_a_reset_ends_every_other_session_of_the_account(client, session):
    customer = create_customer_user(session)
    start_login_session(session, customer, lifetime=timedelta(hours=1))
    _ask_for_reset(client, customer.email)
    _choose(client, _link_path(_mails_to(session, customer.email, "password-reset")[0], "reset-password"), NEW_PASSWORD)
    sessions = session.scalars(select(LoginSession).where(LoginSession.user_id == customer.id)).all()
    # Only the one the reset itself started.
    assert len(sessions) == 1


def test_a_too_short_password_is_refused_and_the_link_still_works(client, session):
    agent = create_staff(session)
    _ask_for_reset(client, agent.email)
    path = _link_path(_mails_to(session, agent.email, "password-reset")[0], "reset-password")
    refused = _choose(client, path, "short")
    assert refused.status_code == 422 and "at least 10 characters" in refused.text
    assert _choose(client, path, NEW_PASSWORD).status_code == 303


def test_two_different_passwords_are_refused(client, session):
    agent = create_staff(session)
    _ask_for_reset(client, agent.email)
    path = _link_path(_mails_to(session, agent.email, "password-reset")[0], "reset-password")
    refused = _choose(client, path, NEW_PASSWORD, again=NEW_PASSWORD + "!")
    assert refused.status_code == 422 and "not the same" in refused.text


def test_a_reset_link_works_once(client, session):
    agent = create_staff(session)
    _ask_for_reset(client, agent.email)
    path = _link_path(_mails_to(session, agent.email, "password-reset")[0], "reset-password")
    assert _choose(client, path, NEW_PASSWORD).status_code == 303
    assert TestClient(client.app).get(path).status_code == 410


def test_a_reset_link_does_not_sign_in_through_the_sign_in_link_page(client, session):
    agent = create_staff(session)
    _ask_for_reset(client, agent.email)
    path = _link_path(_mails_to(session, agent.email, "password-reset")[0], "reset-password")
    assert client.get(path.replace("/auth/reset-password/", "/auth/email-link/")).status_code == 400


def test_a_deactivated_account_gets_no_reset_mail(client, session):
    agent = create_staff(session)
    agent.is_active = False
    session.flush()
    _ask_for_reset(client, agent.email)
    assert _mails_to(session, agent.email, "password-reset") == []


def test_the_reset_is_in_the_audit_trail(client, session):
    agent = create_staff(session)
    _ask_for_reset(client, agent.email)
    _choose(client, _link_path(_mails_to(session, agent.email, "password-reset")[0], "reset-password"), NEW_PASSWORD)
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.target_id == agent.id, AuditEntry.action == "user.password_set")
    )
    assert entry is not None and NEW_PASSWORD not in str(entry.details)


def test_an_invited_person_chooses_a_password_and_lands_in_the_inbox(client, session):
    invited = create_user(session, email=unique_email("invitee"), name="Ines Invited", role=Role.AGENT)
    send_account_link(session, invited.email, LinkPurpose.INVITATION)
    mail = _mails_to(session, invited.email, "invitation")[0]
    assert "7 days" in mail.text_body
    path = _link_path(mail, "invitation")
    assert "Welcome to the team" in client.get(path).text
    response = _choose(client, path, NEW_PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/agent/tickets"
    session.expire_all()
    assert verify_password(session.get(User, invited.id).password_hash, NEW_PASSWORD)


def test_an_invitation_link_expires_after_the_configured_days(client, session, monkeypatch):
    invited = create_user(session, email=unique_email("late"), name="Larry Late", role=Role.AGENT)
    send_account_link(session, invited.email, LinkPurpose.INVITATION)
    path = _link_path(_mails_to(session, invited.email, "invitation")[0], "invitation")
    from accounts.models import EmailSignInLink

    link = session.scalar(select(EmailSignInLink).where(EmailSignInLink.email == invited.email))
    assert link.expires_at - link.created_at == timedelta(days=get_settings().invitation_days)
    link.expires_at = link.created_at  # as if the days had passed
    session.flush()
    page = client.get(path)
    assert page.status_code == 410 and "Ask an admin" in page.text


def test_an_unknown_link_kind_is_a_404(client):
    assert client.get("/auth/not-a-kind/whatever").status_code == 404
