"""The operations admin pages: admins only, CSRF on every form, input kept when a form is refused."""

from __future__ import annotations

import pytest

from accounts.models import Role
from tests.web.pages_support import csrf_from, sign_in


def _sign_in(client, session, role: Role) -> str:
    sign_in(client, session, role=role)
    page = client.get("/admin/teams")
    return csrf_from(page.text) if page.status_code == 200 else ""


@pytest.mark.parametrize("path", ["/admin/teams", "/admin/sla", "/admin/routing"])
def test_agents_cannot_open_the_pages(client, session, path):
    _sign_in(client, session, Role.AGENT)
    assert client.get(path, follow_redirects=False).status_code in (302, 303, 403)


def test_an_admin_creates_a_team(client, session):
    token = _sign_in(client, session, Role.ADMIN)
    response = client.post("/admin/teams", data={"csrf_token": token, "name": "Polish desk", "languages": "pl"})
    assert response.status_code == 200
    assert "Polish desk" in response.text


def test_a_form_without_csrf_token_is_refused(client, session):
    _sign_in(client, session, Role.ADMIN)
    assert client.post("/admin/teams", data={"name": "Sneaky"}).status_code == 403


def test_a_refused_policy_keeps_what_was_typed(client, session):
    token = _sign_in(client, session, Role.ADMIN)
    response = client.post(
        "/admin/sla",
        data={"csrf_token": token, "name": "Typed name", "first_response_minutes": "-5", "resolution_minutes": "60"},
    )
    assert response.status_code == 422
    assert 'value="Typed name"' in response.text
    assert 'value="-5"' in response.text
