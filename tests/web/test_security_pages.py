"""Across the pages: login rate limit, cookie flags, CSP, no inline script, labelled inputs."""

from __future__ import annotations

import re

import pytest

from accounts.models import Role
from tests.factories import create_staff, create_ticket
from tests.web.pages_support import PASSWORD, csrf_from, sign_in


@pytest.fixture
def strict_login_client(database, settings):
    from fastapi.testclient import TestClient

    from web import ratelimit
    from web.app import create_app

    strict = settings.model_copy(update={"login_rate_limit": "3/minute"})
    ratelimit.reset(strict.rate_limit_storage_url)
    with TestClient(create_app(strict, database=database)) as test_client:
        yield test_client
    ratelimit.reset(strict.rate_limit_storage_url)


def test_login_is_rate_limited(strict_login_client, session):
    agent = create_staff(session, password=PASSWORD)
    token = csrf_from(strict_login_client.get("/login").text)
    statuses = [
        strict_login_client.post(
            "/login", data={"email": agent.email, "password": "wrong-password-x", "csrf_token": token}
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [400, 400, 400, 429]


def test_rate_limited_login_refuses_even_the_right_password(strict_login_client, session):
    agent = create_staff(session, password=PASSWORD)
    token = csrf_from(strict_login_client.get("/login").text)
    for _ in range(3):
        strict_login_client.post(
            "/login", data={"email": agent.email, "password": "nope-nope-nope", "csrf_token": token}
        )
    response = strict_login_client.post(
        "/login", data={"email": agent.email, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 429 and "Retry-After" in response.headers


def test_csrf_cookie_is_httponly_and_samesite(client):
    cookie = client.get("/contact").headers["set-cookie"]
    assert "aftercare_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_cookies_are_secure_behind_https(database, settings, session):
    from fastapi.testclient import TestClient

    from web.app import create_app

    https = settings.model_copy(update={"base_url": "https://help.example.com"})
    agent = create_staff(session, password=PASSWORD)
    with TestClient(create_app(https, database=database), base_url="https://testserver") as secure_client:
        token = csrf_from(secure_client.get("/login").text)
        response = secure_client.post(
            "/login", data={"email": agent.email, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
        )
    assert "Secure" in response.headers["set-cookie"]


def _pages(client, session) -> dict[str, str]:
    sign_in(client, session, role=Role.ADMIN)
    ticket = create_ticket(session)
    urls = [
        "/",
        "/contact",
        "/login",
        "/agent/tickets",
        f"/agent/tickets/{ticket.id}",
        "/agent/macros",
        "/agent/macros/new",
        "/account",
    ]
    pages = {}
    for url in urls:
        response = client.get(url)
        # An error page would pass the checks below vacuously: each must be the real page.
        assert response.status_code == 200 and "<main" in response.text and "<form" in response.text, url
        pages[url] = response.text
    return pages


def test_pages_have_no_inline_script_or_style(client, session):
    for url, html in _pages(client, session).items():
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\sstyle=", html), url
        assert not re.search(r"\son[a-z]+=", html), url


def test_every_form_control_has_a_label(client, session):
    for url, html in _pages(client, session).items():
        labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
        for tag, attrs in re.findall(r"<(input|select|textarea)\b([^>]*)>", html):
            if re.search(r'type="(hidden|submit|radio|checkbox)"', attrs):
                continue  # radios and checkboxes are wrapped in their label
            control_id = re.search(r'\bid="([^"]+)"', attrs)
            assert control_id and control_id.group(1) in labelled, f"{url}: unlabelled <{tag}{attrs}>"


def test_every_post_form_carries_a_csrf_token(client, session):
    for url, html in _pages(client, session).items():
        for form in re.findall(r'<form[^>]*method="post"[^>]*>(.*?)</form>', html, re.S):
            assert 'name="csrf_token"' in form, url


def test_html_lang_matches_the_interface_language(client):
    assert '<html lang="th"' in client.get("/", headers={"Accept-Language": "th-TH"}).text
