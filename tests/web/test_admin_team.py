"""The team page, /admin/team: who sees it, inviting, changing roles, deactivating, errors in the page."""

from __future__ import annotations

from sqlalchemy import select

from accounts.models import Role, User
from helpdesk.email.models import OutboxMessage
from tests.factories import create_staff, token_for, unique_email
from tests.web.pages_support import csrf_from, sign_in

HTMX = {"HX-Request": "true"}


def _open(client) -> str:
    response = client.get("/admin/team")
    assert response.status_code == 200
    return csrf_from(response.text)


def _fresh(session, user: User) -> User:
    session.expire_all()
    return session.get(User, user.id)


def test_an_agent_gets_the_403_page(client, session):
    sign_in(client, session, role=Role.AGENT)
    response = client.get("/admin/team")
    assert response.status_code == 403 and "text/html" in response.headers["content-type"]


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/admin/team", follow_redirects=False)
    assert response.status_code in (303, 307) and "/login" in response.headers["location"]


def test_the_page_lists_the_team_with_each_state(client, session):
    sign_in(client, session, role=Role.ADMIN)
    create_staff(session, name="Pending Penny")
    html = client.get("/admin/team").text
    assert "Pending Penny" in html and "Invitation pending" in html


def test_the_admin_navigation_links_to_the_team(client, session):
    sign_in(client, session, role=Role.ADMIN)
    assert 'href="/admin/team"' in client.get("/admin/articles").text


def test_invite_from_the_page_creates_the_user_and_queues_their_invitation(client, session):
    sign_in(client, session, role=Role.ADMIN)
    token = _open(client)
    address = unique_email("invitee")
    response = client.post(
        "/admin/team/invite",
        data={"csrf_token": token, "email": address, "name": "Ivy", "role": "admin", "language": "pl"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    user = session.scalar(select(User).where(User.email == address))
    assert (user.role, user.language, user.password_hash) == (Role.ADMIN, "pl", None)
    assert session.scalar(select(OutboxMessage.id).where(OutboxMessage.to_address == address)) is not None


def test_a_bad_invite_shows_its_message_and_keeps_what_was_typed(client, session):
    sign_in(client, session, role=Role.ADMIN)
    token = _open(client)
    response = client.post(
        "/admin/team/invite",
        data={"csrf_token": token, "email": "not-an-address", "name": "Typed Name", "role": "agent"},
    )
    assert response.status_code == 422
    assert "Enter a valid e-mail address" in response.text
    assert 'value="not-an-address"' in response.text and 'value="Typed Name"' in response.text


def test_inviting_someone_already_on_the_team_shows_the_conflict(client, session):
    sign_in(client, session, role=Role.ADMIN)
    agent = create_staff(session)
    token = _open(client)
    response = client.post(
        "/admin/team/invite", data={"csrf_token": token, "email": agent.email, "name": "Again", "role": "agent"}
    )
    assert response.status_code == 409 and f"{agent.email} is already on the team" in response.text


def test_an_htmx_invite_answers_the_team_block_only(client, session):
    sign_in(client, session, role=Role.ADMIN)
    token = _open(client)
    response = client.post(
        "/admin/team/invite",
        data={"csrf_token": token, "email": unique_email(), "name": "Hana Htmx", "role": "agent"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="team"') and "Hana Htmx" in response.text
    assert "<html" not in response.text


def test_role_change_from_the_page(client, session):
    sign_in(client, session, role=Role.ADMIN)
    agent = create_staff(session)
    token = _open(client)
    response = client.post(f"/admin/team/{agent.id}/role", data={"csrf_token": token, "role": "admin"}, headers=HTMX)
    assert response.status_code == 200 and "Role changed." in response.text
    assert _fresh(session, agent).role == Role.ADMIN


def test_deactivation_makes_the_members_next_page_request_anonymous(client, session, app):
    from fastapi.testclient import TestClient

    sign_in(client, session, role=Role.ADMIN)
    token = _open(client)
    with TestClient(app) as their_browser:
        agent = sign_in(their_browser, session, role=Role.AGENT)
        assert their_browser.get("/agent/tickets").status_code == 200
        client.post(f"/admin/team/{agent.id}/deactivate", data={"csrf_token": token}, follow_redirects=False)
        response = their_browser.get("/agent/tickets", follow_redirects=False)
    assert response.status_code in (303, 307) and "/login" in response.headers["location"]


def test_reactivation_from_the_page(client, session):
    admin = sign_in(client, session, role=Role.ADMIN)
    agent = create_staff(session)
    token = _open(client)
    client.post(f"/admin/team/{agent.id}/deactivate", data={"csrf_token": token})
    client.post(f"/admin/team/{agent.id}/reactivate", data={"csrf_token": token})
    assert _fresh(session, agent).is_active and _fresh(session, admin).is_active


def test_the_last_admin_deactivating_themselves_sees_why_not(client, session):
    admin = sign_in(client, session, role=Role.ADMIN)
    token = _open(client)
    response = client.post(f"/admin/team/{admin.id}/deactivate", data={"csrf_token": token}, headers=HTMX)
    assert response.status_code == 409 and "is the last active admin" in response.text
    assert _fresh(session, admin).is_active


def test_the_last_admin_demoting_themselves_is_refused(client, session):
    admin = sign_in(client, session, role=Role.ADMIN)
    token = _open(client)
    response = client.post(f"/admin/team/{admin.id}/role", data={"csrf_token": token, "role": "agent"})
    assert response.status_code == 409 and _fresh(session, admin).role == Role.ADMIN


def test_the_last_admin_may_step_down_once_a_second_admin_exists(client, session):
    admin = sign_in(client, session, role=Role.ADMIN)
    create_staff(session, role=Role.ADMIN)
    token = _open(client)
    client.post(f"/admin/team/{admin.id}/role", data={"csrf_token": token, "role": "agent"})
    assert _fresh(session, admin).role == Role.AGENT


def test_a_change_without_the_csrf_token_is_refused(client, session):
    sign_in(client, session, role=Role.ADMIN)
    agent = create_staff(session)
    _open(client)
    response = client.post(f"/admin/team/{agent.id}/deactivate", data={})
    assert response.status_code == 403 and _fresh(session, agent).is_active


def test_an_invite_without_the_csrf_token_is_refused(client, session):
    sign_in(client, session, role=Role.ADMIN)
    _open(client)
    address = unique_email()
    response = client.post("/admin/team/invite", data={"email": address, "name": "No Token", "role": "agent"})
    assert response.status_code == 403
    assert session.scalar(select(User.id).where(User.email == address)) is None


def test_an_agent_cannot_post_changes(client, session):
    sign_in(client, session, role=Role.AGENT)
    other = create_staff(session)
    token = csrf_from(client.get("/account/tokens").text)
    response = client.post(f"/admin/team/{other.id}/role", data={"csrf_token": token, "role": "admin"})
    assert response.status_code == 403 and _fresh(session, other).role == Role.AGENT


def test_resend_invitation_from_the_page(client, session):
    sign_in(client, session, role=Role.ADMIN)
    pending = create_staff(session)
    token = _open(client)
    response = client.post(f"/admin/team/{pending.id}/invitation", data={"csrf_token": token}, headers=HTMX)
    assert response.status_code == 200 and "Invitation sent again." in response.text


def test_the_page_shows_who_did_what(client, session):
    sign_in(client, session, role=Role.ADMIN, name="Ada Admin")
    agent = create_staff(session, name="Abe Agent")
    token = _open(client)
    client.post(f"/admin/team/{agent.id}/role", data={"csrf_token": token, "role": "admin"})
    html = client.get("/admin/team").text
    activity = html[html.index("Recent changes") :]
    assert "Ada Admin" in activity and "changed the role of" in activity and "Abe Agent" in activity


def test_the_api_token_of_a_member_deactivated_on_the_page_stops_working(client, session):
    sign_in(client, session, role=Role.ADMIN)
    agent = create_staff(session)
    headers = token_for(session, agent)
    token = _open(client)
    client.post(f"/admin/team/{agent.id}/deactivate", data={"csrf_token": token})
    assert client.get("/api/v1/tickets", headers=headers).status_code == 401
