"""API tokens through the API and the pages: expiry, revocation, listing without secrets, who may revoke."""

from __future__ import annotations

import re
from datetime import timedelta

from accounts import service as accounts
from accounts.models import ApiToken, Role
from accounts.service import start_login_session
from aftercare.config import get_settings
from tests.factories import create_customer_user, create_staff
from tests.web.pages_support import csrf_from, sign_in


def _bearer(plaintext: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plaintext}"}


def _sign_in_as(client, session, user) -> None:
    client.cookies.set(
        get_settings().session_cookie_name, start_login_session(session, user, lifetime=timedelta(hours=1))
    )


# --- 401s that say what is wrong ------------------------------------------------------------------


def test_revoked_token_answers_401_token_revoked(client, session):
    user = create_staff(session)
    token, plaintext = accounts.create_api_token(session, user, name="ci")
    accounts.revoke_api_token(session, token.id, user)
    response = client.get("/api/v1/tickets", headers=_bearer(plaintext))
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked" and response.json()["detail"]


def test_expired_token_answers_401_token_expired(client, session):
    user = create_staff(session)
    made = accounts.utcnow() - timedelta(days=2)
    _, plaintext = accounts.create_api_token(session, user, name="ci", now=made, expires_at=made + timedelta(days=1))
    response = client.get("/api/v1/tickets", headers=_bearer(plaintext))
    assert response.status_code == 401 and response.json()["code"] == "token_expired"


def test_unknown_token_answers_401_invalid_token(client):
    response = client.get("/api/v1/tickets", headers=_bearer("ac_not-a-real-token"))
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


# --- the JSON API -----------------------------------------------------------------------------------


def test_created_token_works_and_its_secret_is_shown_only_then(client, session):
    headers = _bearer(accounts.issue_api_token(session, create_staff(session)))
    created = client.post("/api/v1/tokens", json={"name": "laptop", "expires_in_days": 30}, headers=headers)
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith(created.json()["prefix"]) and created.json()["state"] == "valid"
    assert client.get("/api/v1/tickets", headers=_bearer(secret)).status_code == 200
    listing = client.get("/api/v1/tokens", headers=headers)
    assert secret not in listing.text and "token" not in listing.json()[0]
    assert {item["name"] for item in listing.json()} == {"default", "laptop"}


def test_token_expiry_chosen_in_days_is_that_many_days_away(client, session):
    headers = _bearer(accounts.issue_api_token(session, create_staff(session)))
    before = accounts.utcnow()
    created = client.post("/api/v1/tokens", json={"name": "week", "expires_in_days": 7}, headers=headers).json()
    expires = session.get(ApiToken, created["id"]).expires_at
    assert before + timedelta(days=7) <= expires <= accounts.utcnow() + timedelta(days=7)


def test_token_expiry_in_the_past_is_a_422(client, session):
    headers = _bearer(accounts.issue_api_token(session, create_staff(session)))
    response = client.post(
        "/api/v1/tokens", json={"name": "old", "expires_at": "2001-01-01T00:00:00Z"}, headers=headers
    )
    assert response.status_code == 422 and response.json()["code"] == "validation_failed"


def test_token_expiry_given_twice_is_a_422(client, session):
    headers = _bearer(accounts.issue_api_token(session, create_staff(session)))
    response = client.post(
        "/api/v1/tokens",
        json={"name": "both", "expires_in_days": 1, "expires_at": "2099-01-01T00:00:00Z"},
        headers=headers,
    )
    assert response.status_code == 422 and response.json()["code"] == "validation_failed"


def test_listing_shows_when_a_token_was_last_used(client, session):
    headers = _bearer(accounts.issue_api_token(session, create_staff(session)))
    [item] = client.get("/api/v1/tokens", headers=headers).json()
    # This very request used the token: the list it answers already says so.
    assert item["last_used_at"] is not None and item["expires_at"] is None and item["revoked_at"] is None


def test_listing_shows_only_the_callers_tokens(client, session):
    mine = create_customer_user(session)
    accounts.create_api_token(session, create_staff(session), name="someone else's")
    headers = _bearer(accounts.issue_api_token(session, mine, name="mine"))
    assert [item["name"] for item in client.get("/api/v1/tokens", headers=headers).json()] == ["mine"]


def test_everyones_tokens_are_for_admins_only(client, session):
    other = create_customer_user(session)
    accounts.create_api_token(session, other, name="phone")
    admin = _bearer(accounts.issue_api_token(session, create_staff(session, role=Role.ADMIN)))
    agent = _bearer(accounts.issue_api_token(session, create_staff(session)))
    assert "phone" in {item["name"] for item in client.get("/api/v1/tokens?all=true", headers=admin).json()}
    refused = client.get("/api/v1/tokens?all=true", headers=agent)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


def test_owner_revokes_a_token_and_it_stops_working(client, session):
    user = create_customer_user(session)
    headers = _bearer(accounts.issue_api_token(session, user))
    token, plaintext = accounts.create_api_token(session, user, name="script")
    response = client.post(f"/api/v1/tokens/{token.id}/revoke", headers=headers)
    assert response.status_code == 200 and response.json()["state"] == "revoked"
    assert client.get("/api/v1/tickets", headers=_bearer(plaintext)).json()["code"] == "token_revoked"


def test_another_user_cannot_revoke_your_token(client, session):
    owner = create_customer_user(session)
    token, plaintext = accounts.create_api_token(session, owner, name="script")
    stranger = _bearer(accounts.issue_api_token(session, create_customer_user(session)))
    response = client.post(f"/api/v1/tokens/{token.id}/revoke", headers=stranger)
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.get("/api/v1/tickets", headers=_bearer(plaintext)).status_code == 200


def test_admin_revokes_anyones_token(client, session):
    token, plaintext = accounts.create_api_token(session, create_customer_user(session), name="script")
    admin = _bearer(accounts.issue_api_token(session, create_staff(session, role=Role.ADMIN)))
    assert client.post(f"/api/v1/tokens/{token.id}/revoke", headers=admin).status_code == 200
    assert client.get("/api/v1/tickets", headers=_bearer(plaintext)).status_code == 401


def test_tokens_api_needs_a_token(client):
    response = client.get("/api/v1/tokens")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_huge_token_id_is_a_404_not_a_500(client, session):
    headers = _bearer(accounts.issue_api_token(session, create_staff(session)))
    response = client.post("/api/v1/tokens/15491826293885263413248/revoke", headers=headers)
    assert response.status_code == 404


# --- the pages ----------------------------------------------------------------------------------------


def test_tokens_page_needs_a_sign_in(client):
    response = client.get("/account/tokens", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_page_creates_a_token_shows_its_secret_once_and_then_only_its_prefix(client, session):
    sign_in(client, session)
    page = client.get("/account/tokens")
    created = client.post(
        "/account/tokens", data={"csrf_token": csrf_from(page.text), "name": "laptop", "expires_days": "30"}
    )
    assert created.status_code == 201
    secret = re.search(r'<code class="new-token">([^<]+)</code>', created.text).group(1)
    assert client.get("/api/v1/tickets", headers=_bearer(secret)).status_code == 200
    later = client.get("/account/tokens").text
    assert secret not in later and secret[:11] in later and "laptop" in later


def test_page_refuses_an_unoffered_lifetime_and_keeps_the_name(client, session):
    sign_in(client, session)
    page = client.get("/account/tokens")
    response = client.post(
        "/account/tokens", data={"csrf_token": csrf_from(page.text), "name": "laptop", "expires_days": "100000"}
    )
    assert response.status_code == 422 and 'value="laptop"' in response.text
    assert session.query(ApiToken).filter_by(name="laptop").count() == 0


def test_page_refuses_an_empty_name(client, session):
    sign_in(client, session)
    page = client.get("/account/tokens")
    response = client.post(
        "/account/tokens", data={"csrf_token": csrf_from(page.text), "name": "  ", "expires_days": "30"}
    )
    assert response.status_code == 422 and 'aria-invalid="true"' in response.text


def test_page_revokes_own_token(client, session):
    user = sign_in(client, session)
    token, plaintext = accounts.create_api_token(session, user, name="ci")
    page = client.get("/account/tokens")
    assert f'action="/account/tokens/{token.id}/revoke"' in page.text
    response = client.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 200 and "Revoked" in response.text
    assert client.get("/api/v1/tickets", headers=_bearer(plaintext)).status_code == 401


def test_page_revoke_needs_csrf(client, session):
    user = sign_in(client, session)
    token, plaintext = accounts.create_api_token(session, user, name="ci")
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 403
    assert client.get("/api/v1/tickets", headers=_bearer(plaintext)).status_code == 200


def test_page_cannot_revoke_another_customers_token(client, session):
    owner = create_customer_user(session)
    token, plaintext = accounts.create_api_token(session, owner, name="phone")
    _sign_in_as(client, session, create_customer_user(session))
    page = client.get("/account/tokens")
    assert "phone" not in page.text
    response = client.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 404
    assert client.get("/api/v1/tickets", headers=_bearer(plaintext)).status_code == 200


def test_admin_page_lists_everyones_tokens_and_revokes_them(client, session):
    owner = create_customer_user(session)
    token, plaintext = accounts.create_api_token(session, owner, name="phone")
    sign_in(client, session, role=Role.ADMIN)
    page = client.get("/account/tokens")
    assert owner.email in page.text and f'action="/account/tokens/{token.id}/revoke"' in page.text
    client.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf_from(page.text)})
    assert client.get("/api/v1/tickets", headers=_bearer(plaintext)).status_code == 401


def test_signed_in_pages_link_to_the_token_page(client, session):
    assert 'href="/account/tokens"' not in client.get("/").text
    sign_in(client, session)
    assert 'href="/account/tokens"' in client.get("/").text


def test_page_says_when_the_account_holds_too_many_tokens_and_keeps_the_name(client, session):
    user = sign_in(client, session)
    for n in range(accounts.MAX_LIVE_TOKENS_PER_USER):
        accounts.create_api_token(session, user, name=f"t{n}")
    page = client.get("/account/tokens")
    response = client.post(
        "/account/tokens", data={"csrf_token": csrf_from(page.text), "name": "one more", "expires_days": "30"}
    )
    assert response.status_code == 409 and 'role="alert"' in response.text and 'value="one more"' in response.text
