"""The API-token page, which customers with an account reach too, in the reader's language."""

from __future__ import annotations

import re
from datetime import timedelta

from accounts.service import start_login_session
from aftercare.config import get_settings
from tests.factories import create_customer_user

THAI = re.compile(r"[\u0e00-\u0e7f]")


def test_token_page_of_a_customer_is_in_thai(client, session):
    customer = create_customer_user(session)
    client.cookies.set(
        get_settings().session_cookie_name, start_login_session(session, customer, lifetime=timedelta(hours=1))
    )
    response = client.get("/account/tokens", headers={"Accept-Language": "th"})
    html = response.text
    assert response.status_code == 200 and '<html lang="th"' in html
    heading = re.search(r"<main.*?<h1[^>]*>(.*?)</h1>", html, re.S).group(1)
    assert THAI.search(heading)
    for english in (
        "API tokens</h1>",
        "A token lets a program use the API",
        "You have no API tokens.",
        "Create token",
        "In 90 days",
    ):
        assert english not in html
