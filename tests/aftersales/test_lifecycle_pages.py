"""Lifecycle and review pages: admins switch steps and set review pages; a lapsed buyer answers
"why did you stop?" and the answer shows on the lapsed-buyer page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from aftersales import lapsed, lifecycle, reviews
from aftersales.lifecycle_models import LifecycleKind, LifecycleMessage, ReviewDestination, WinbackAnswer
from aftersales.winback import winback_token
from tests.aftersales import factories as f
from tests.aftersales.conftest import csrf_from

LAPSED_AT = datetime(2026, 4, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("path", ["/admin/lifecycle", "/admin/reviews"])
def test_the_pages_render_for_admins(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 200 and 'aria-current="page"' in response.text


@pytest.mark.parametrize("path", ["/admin/lifecycle", "/admin/reviews"])
def test_agents_may_not_see_them(agent_client, path):
    assert agent_client.get(path).status_code == 403


def test_an_admin_switches_a_step_off_and_sets_its_days(admin_client, session):
    token = csrf_from(admin_client.get("/admin/lifecycle").text)
    response = admin_client.post(
        "/admin/lifecycle/payment_reminder", data={"csrf_token": token, "days_before": "5"}, follow_redirects=False
    )
    assert response.status_code == 303
    step = lifecycle.step_settings(session)[LifecycleKind.PAYMENT_REMINDER]
    assert (step.enabled, step.days_before) == (False, 5)


def test_days_out_of_range_are_refused_with_a_message(admin_client, session):
    token = csrf_from(admin_client.get("/admin/lifecycle").text)
    response = admin_client.post(
        "/admin/lifecycle/payment_reminder", data={"csrf_token": token, "enabled": "1", "days_before": "999"}
    )
    assert response.status_code == 422 and 'role="alert"' in response.text
    assert lifecycle.step_settings(session)[LifecycleKind.PAYMENT_REMINDER].days_before == 3


def test_a_step_change_without_csrf_is_refused(admin_client):
    assert admin_client.post("/admin/lifecycle/welcome", data={"enabled": "1"}).status_code == 403


def test_an_admin_sets_a_products_review_page(admin_client, session):
    item = f.product(session, name="Nimbus thermostat")
    token = csrf_from(admin_client.get("/admin/reviews").text)
    response = admin_client.post(
        f"/admin/reviews/{item.id}",
        data={"csrf_token": token, "url": "https://shop.example.com/r/nimbus"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert reviews.destination_for(session, item.id).url == "https://shop.example.com/r/nimbus"


def test_a_review_page_that_is_not_a_web_address_is_refused_and_the_text_kept(admin_client, session):
    item = f.product(session, name="Nimbus thermostat")
    token = csrf_from(admin_client.get("/admin/reviews").text)
    response = admin_client.post(f"/admin/reviews/{item.id}", data={"csrf_token": token, "url": "javascript:alert(1)"})
    assert response.status_code == 422 and 'value="javascript:alert(1)"' in response.text
    assert session.scalar(select(ReviewDestination)) is None


def test_the_api_refuses_a_review_page_that_is_not_http(client, session):
    from accounts.models import Role
    from tests.factories import create_staff, token_for

    item = f.product(session)
    headers = token_for(session, create_staff(session, role=Role.ADMIN))
    response = client.put(
        f"/api/v1/products/{item.id}/review-destination", json={"url": "ftp://x.example.com/"}, headers=headers
    )
    assert response.status_code == 422


@pytest.fixture
def winback_message(session) -> LifecycleMessage:
    buyer = f.customer(session, name="Lapsed Larry")
    f.buy(session, buyer, f.product(session, renewal_days=30), at=f.NOW)
    lapsed.scan(session, now=LAPSED_AT)
    lifecycle.run_lifecycle_pass(session, now=LAPSED_AT)
    return session.scalar(select(LifecycleMessage).where(LifecycleMessage.kind == LifecycleKind.WIN_BACK))


def test_the_win_back_page_asks_why_they_stopped(client, winback_message):
    response = client.get(f"/winback/{winback_token(winback_message)}")
    assert response.status_code == 200 and "Why did you stop ordering?" in response.text
    assert response.headers["cache-control"] == "no-store"


def test_an_answer_without_a_reason_is_refused_and_the_comment_kept(client, winback_message):
    path = f"/winback/{winback_token(winback_message)}"
    token = csrf_from(client.get(path).text)
    response = client.post(path, data={"csrf_token": token, "comment": "Moved abroad"})
    assert (
        response.status_code == 422 and "Please choose a reason." in response.text and "Moved abroad" in response.text
    )


def test_the_answer_is_stored_and_shown_on_the_lapsed_page(client, session, winback_message, admin_client):
    path = f"/winback/{winback_token(winback_message)}"
    token = csrf_from(client.get(path).text)
    response = client.post(
        path,
        data={"csrf_token": token, "reason": "too_expensive", "comment": "Cheaper elsewhere"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    answer = session.scalar(select(WinbackAnswer))
    assert (answer.reason, answer.comment) == ("too_expensive", "Cheaper elsewhere")
    page = admin_client.get("/admin/lapsed").text
    assert "Too expensive" in page and "Cheaper elsewhere" in page


def test_a_forged_win_back_link_is_not_found(client):
    assert client.get("/winback/not-a-real-token").status_code == 404
