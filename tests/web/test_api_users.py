"""The team over the JSON API: listing, inviting (with its e-mail), changing, deactivating, resending."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from accounts.audit import AuditAction, AuditTarget, audit_entries
from accounts.models import Role, User
from accounts.service import start_login_session
from aftercare.config import get_settings
from helpdesk.email.models import OutboxMessage
from tests.factories import create_customer_user, create_staff, token_for, unique_email


def _admin(session):
    admin = create_staff(session, role=Role.ADMIN)
    return admin, token_for(session, admin)


def _invitations_to(session, address: str) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(
        OutboxMessage.to_address == address, OutboxMessage.dedupe_key.like("invitation-link:%")
    )
    return list(session.scalars(query))


def test_invite_creates_a_pending_user_and_queues_one_invitation_to_that_address(client, session):
    _, headers = _admin(session)
    address = unique_email("invitee")
    response = client.post("/api/v1/users", json={"email": address, "name": "Ivy", "role": "agent"}, headers=headers)
    assert response.status_code == 201
    body = response.json()
    assert (body["email"], body["role"], body["is_active"], body["invitation_pending"]) == (
        address,
        "agent",
        True,
        True,
    )
    [mail] = _invitations_to(session, address)
    assert "/auth/invitation/" in mail.text_body


def test_inviting_an_address_already_on_the_team_is_a_409(client, session):
    _, headers = _admin(session)
    agent = create_staff(session)
    response = client.post("/api/v1/users", json={"email": agent.email, "name": "Twice"}, headers=headers)
    assert response.status_code == 409 and "already on the team" in response.json()["detail"]


def test_inviting_a_customer_is_refused_with_a_422(client, session):
    _, headers = _admin(session)
    response = client.post(
        "/api/v1/users", json={"email": unique_email(), "name": "Cass", "role": "customer"}, headers=headers
    )
    assert response.status_code == 422 and response.json()["code"] == "validation_failed"


def test_unknown_fields_are_refused(client, session):
    _, headers = _admin(session)
    response = client.patch(f"/api/v1/users/{create_staff(session).id}", json={"password": "x" * 12}, headers=headers)
    assert response.status_code == 422


def test_list_shows_the_team_and_not_customers_by_default(client, session):
    admin, headers = _admin(session)
    customer = create_customer_user(session)
    body = client.get("/api/v1/users", headers=headers).json()
    ids = {item["id"] for item in body["items"]}
    assert admin.id in ids and customer.id not in ids


def test_list_filters_by_role_and_pages(client, session):
    _, headers = _admin(session)
    customers = [create_customer_user(session).id for _ in range(3)]
    body = client.get("/api/v1/users", params={"role": "customer", "page_size": 2, "page": 2}, headers=headers).json()
    assert ([item["id"] for item in body["items"]], body["total"]) == ([customers[2]], 3)


def test_list_filters_by_active_state(client, session):
    admin, headers = _admin(session)
    agent = create_staff(session)
    client.patch(f"/api/v1/users/{agent.id}", json={"is_active": False}, headers=headers)
    body = client.get("/api/v1/users", params={"active": "false"}, headers=headers).json()
    assert [item["id"] for item in body["items"]] == [agent.id]


def test_role_change_answers_the_new_role_and_is_audited_from_and_to(client, session):
    admin, headers = _admin(session)
    agent = create_staff(session)
    response = client.patch(f"/api/v1/users/{agent.id}", json={"role": "admin"}, headers=headers)
    assert response.status_code == 200 and response.json()["role"] == "admin"
    [entry] = audit_entries(session, target_type=AuditTarget.USER, target_id=agent.id)
    assert (entry.action, entry.actor_user_id, entry.details) == (
        AuditAction.USER_ROLE_CHANGED,
        admin.id,
        {"from": "agent", "to": "admin"},
    )


def test_deactivation_makes_the_users_api_token_a_401_at_once(client, session):
    _, headers = _admin(session)
    agent = create_staff(session)
    agent_headers = token_for(session, agent)
    assert client.get("/api/v1/tickets", headers=agent_headers).status_code == 200
    client.patch(f"/api/v1/users/{agent.id}", json={"is_active": False}, headers=headers)
    assert client.get("/api/v1/tickets", headers=agent_headers).status_code == 401


def test_a_token_revoked_by_deactivation_stays_revoked_after_reactivation(client, session):
    _, headers = _admin(session)
    agent = create_staff(session)
    agent_headers = token_for(session, agent)
    client.patch(f"/api/v1/users/{agent.id}", json={"is_active": False}, headers=headers)
    response = client.patch(f"/api/v1/users/{agent.id}", json={"is_active": True}, headers=headers)
    assert response.json()["is_active"] is True
    assert client.get("/api/v1/tickets", headers=agent_headers).json()["code"] == "token_revoked"


def test_the_last_admin_cannot_demote_themselves(client, session):
    admin, headers = _admin(session)
    response = client.patch(f"/api/v1/users/{admin.id}", json={"role": "agent"}, headers=headers)
    assert response.status_code == 409 and "last active admin" in response.json()["detail"]


def test_the_last_admin_cannot_deactivate_themselves(client, session):
    admin, headers = _admin(session)
    response = client.patch(f"/api/v1/users/{admin.id}", json={"is_active": False}, headers=headers)
    assert response.status_code == 409 and response.json()["code"] == "last_admin"


def test_an_admin_may_step_down_once_a_second_admin_exists(client, session):
    admin, headers = _admin(session)
    create_staff(session, role=Role.ADMIN)
    response = client.patch(f"/api/v1/users/{admin.id}", json={"role": "agent"}, headers=headers)
    assert response.status_code == 200 and response.json()["role"] == "agent"


def test_an_explicit_null_language_clears_it(client, session):
    _, headers = _admin(session)
    agent = create_staff(session, language="pl")
    response = client.patch(f"/api/v1/users/{agent.id}", json={"language": None}, headers=headers)
    assert response.json()["language"] is None


def test_patching_a_user_that_does_not_exist_is_a_404(client, session):
    _, headers = _admin(session)
    assert client.patch("/api/v1/users/999999", json={"is_active": False}, headers=headers).status_code == 404


def test_resending_a_pending_invitation_queues_another_e_mail(client, session):
    _, headers = _admin(session)
    address = unique_email("invitee")
    user_id = client.post("/api/v1/users", json={"email": address, "name": "Ivy"}, headers=headers).json()["id"]
    response = client.post(f"/api/v1/users/{user_id}/invitation", headers=headers)
    assert response.status_code == 202 and response.json() == {"user_id": user_id, "queued": True}
    assert len(_invitations_to(session, address)) == 2


def test_resending_to_someone_who_has_a_password_is_a_409(client, session):
    _, headers = _admin(session)
    member = create_staff(session, password="a long enough password")
    assert client.post(f"/api/v1/users/{member.id}/invitation", headers=headers).status_code == 409


def test_agents_get_403_on_every_users_operation(client, session):
    agent = create_staff(session)
    headers = token_for(session, agent)
    answers = [
        client.get("/api/v1/users", headers=headers),
        client.post("/api/v1/users", json={"email": unique_email(), "name": "X"}, headers=headers),
        client.patch(f"/api/v1/users/{agent.id}", json={"role": "admin"}, headers=headers),
        client.post(f"/api/v1/users/{agent.id}/invitation", headers=headers),
    ]
    assert [answer.status_code for answer in answers] == [403, 403, 403, 403]
    assert session.get(User, agent.id).role == Role.AGENT


def test_anonymous_callers_get_401(client):
    assert client.get("/api/v1/users").status_code == 401


def test_the_api_ignores_a_login_cookie(client, session):
    # A cookie rides along on cross-site requests: the API takes only bearer tokens (no CSRF needed).
    admin = create_staff(session, role=Role.ADMIN)
    client.cookies.set(
        get_settings().session_cookie_name, start_login_session(session, admin, lifetime=timedelta(hours=1))
    )
    assert client.get("/api/v1/users").status_code == 401
