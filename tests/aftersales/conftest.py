"""Fixtures for after-sales page tests: a signed-in admin browser."""

from __future__ import annotations

import re

import pytest

from accounts.models import Role
from tests.factories import create_staff

PASSWORD = "correct horse battery"


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client, session, role: Role):
    user = create_staff(session, role=role, password=PASSWORD)
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    return client


@pytest.fixture
def admin_client(client, session):
    return sign_in(client, session, Role.ADMIN)


@pytest.fixture
def agent_client(client, session):
    return sign_in(client, session, Role.AGENT)
