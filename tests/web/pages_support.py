"""Helpers shared by the page tests: CSRF tokens from forms, signing in through the login form."""

from __future__ import annotations

import re
from datetime import timedelta

from accounts.models import Role
from accounts.service import start_login_session
from aftercare.config import get_settings
from tests.factories import create_staff

PASSWORD = "correct horse battery"


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client, session, *, role: Role = Role.AGENT, **overrides):
    """Create a staff user and give the client their login session; returns the user.

    The login form itself is tested in test_pages.py; here we skip its argon2 work (about a
    second per test on a busy machine) by starting the session the way the form does.
    """
    user = create_staff(session, role=role, **overrides)
    plaintext = start_login_session(session, user, lifetime=timedelta(hours=1))
    client.cookies.set(get_settings().session_cookie_name, plaintext)
    return user
