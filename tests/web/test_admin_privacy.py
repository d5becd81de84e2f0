"""The admin's privacy page: find a customer, download their data, erase them after typing their address; retention; the trail."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from accounts.models import Customer, Role
from helpdesk.models import Ticket
from tests.factories import create_ticket, unique_email
from tests.web.pages_support import csrf_from, sign_in

NAME = "Ottilie Brackenridge"
TICKET_TEXT = "The Brackenridge boiler clicks twice and then stays cold until noon."


def _ticket(session) -> Ticket:
    return create_ticket(session, customer_email=unique_email("page"), customer_name=NAME, body=TICKET_TEXT)


def _found(client, ticket: Ticket) -> str:
    return client.get("/admin/privacy", params={"email": ticket.requester.email}).text


def _erased_at(session, customer_id: int):
    session.expire_all()
    return session.get(Customer, customer_id).erased_at


# ---- access ----------------------------------------------------------------------------------


def test_admins_open_the_privacy_page(client, session):
    sign_in(client, session, role=Role.ADMIN)
    response = client.get("/admin/privacy")
    assert response.status_code == 200 and 'href="/admin/privacy" aria-current="page"' in response.text


def test_agents_may_not_open_the_privacy_page(client, session):
    sign_in(client, session)
    assert client.get("/admin/privacy").status_code == 403


def test_anonymous_readers_are_sent_to_sign_in(client):
    response = client.get("/admin/privacy", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


# ---- finding a customer ----------------------------------------------------------------------


def test_a_customer_found_by_email_can_be_downloaded_and_erased(client, session):
    ticket = _ticket(session)
    sign_in(client, session, role=Role.ADMIN)
    html = _found(client, ticket)
    assert NAME in html
    assert f'action="/admin/privacy/customers/{ticket.requester_id}/export"' in html
    assert f'action="/admin/privacy/customers/{ticket.requester_id}/erase"' in html


def test_an_unknown_address_finds_no_one(client, session):
    sign_in(client, session, role=Role.ADMIN)
    html = client.get("/admin/privacy", params={"email": unique_email("nobody")}).text
    assert "No customer has this e-mail address." in html


def test_a_search_by_htmx_answers_with_the_result_alone(client, session):
    ticket = _ticket(session)
    sign_in(client, session, role=Role.ADMIN)
    response = client.get("/admin/privacy", params={"email": ticket.requester.email}, headers={"HX-Request": "true"})
    assert NAME in response.text and "<html" not in response.text


def test_the_download_is_the_customers_data_as_a_file(client, session):
    ticket = _ticket(session)
    sign_in(client, session, role=Role.ADMIN)
    token = csrf_from(_found(client, ticket))
    response = client.post(f"/admin/privacy/customers/{ticket.requester_id}/export", data={"csrf_token": token})
    assert response.headers["content-disposition"] == f'attachment; filename="customer-{ticket.requester_id}.json"'
    assert TICKET_TEXT in response.text


# ---- erasing ---------------------------------------------------------------------------------


def test_erasing_without_typing_the_address_changes_nothing(client, session):
    ticket = _ticket(session)
    sign_in(client, session, role=Role.ADMIN)
    token = csrf_from(_found(client, ticket))
    response = client.post(f"/admin/privacy/customers/{ticket.requester_id}/erase", data={"csrf_token": token})
    assert response.status_code == 422 and _erased_at(session, ticket.requester_id) is None


def test_erasing_with_another_address_typed_changes_nothing(client, session):
    ticket = _ticket(session)
    sign_in(client, session, role=Role.ADMIN)
    token = csrf_from(_found(client, ticket))
    data = {"csrf_token": token, "confirm_email": unique_email("someone-else")}
    response = client.post(f"/admin/privacy/customers/{ticket.requester_id}/erase", data=data)
    assert 'aria-invalid="true"' in response.text and _erased_at(session, ticket.requester_id) is None


def test_erasing_without_a_csrf_token_is_refused(client, session):
    ticket = _ticket(session)
    sign_in(client, session, role=Role.ADMIN)
    _found(client, ticket)
    data = {"confirm_email": ticket.requester.email}
    response = client.post(f"/admin/privacy/customers/{ticket.requester_id}/erase", data=data)
    assert response.status_code == 403 and _erased_at(session, ticket.requester_id) is None


def test_agents_may_not_erase(client, session):
    ticket = _ticket(session)
    sign_in(client, session)
    token = csrf_from(client.get("/account/tokens").text)
    data = {"csrf_token": token, "confirm_email": ticket.requester.email}
    response = client.post(f"/admin/privacy/customers/{ticket.requester_id}/erase", data=data)
    assert response.status_code == 403 and _erased_at(session, ticket.requester_id) is None


def test_erasing_with_the_address_typed_erases_and_says_what_went(client, session):
    ticket = _ticket(session)
    email = ticket.requester.email
    sign_in(client, session, role=Role.ADMIN)
    token = csrf_from(_found(client, ticket))
    # Typed as people do: another case, a space at the end.
    data = {"csrf_token": token, "confirm_email": email.upper() + " "}
    response = client.post(f"/admin/privacy/customers/{ticket.requester_id}/erase", data=data)
    assert response.status_code == 200 and "1 ticket kept without their details" in response.text
    assert _erased_at(session, ticket.requester_id) is not None and NAME not in response.text


def test_the_trail_shows_who_erased_whom(client, session):
    ticket = _ticket(session)
    admin = sign_in(client, session, role=Role.ADMIN, name="Petra Privacyofficer")
    token = csrf_from(_found(client, ticket))
    data = {"csrf_token": token, "confirm_email": ticket.requester.email}
    client.post(f"/admin/privacy/customers/{ticket.requester_id}/erase", data=data)
    html = client.get("/admin/privacy").text
    trail = html[html.index("Recent exports and erasures") :]
    assert f"#{ticket.requester_id}" in trail and admin.name in trail and "Erased" in trail


# ---- retention -------------------------------------------------------------------------------


def test_with_retention_off_the_page_says_how_to_turn_it_on(client, session):
    sign_in(client, session, role=Role.ADMIN)
    html = client.get("/admin/privacy").text
    assert "Off:" in html and "AFTERCARE_RETENTION_DAYS_CLOSED_TICKETS" in html


@pytest.fixture
def retention_client(database, settings):
    from web import ratelimit
    from web.app import create_app

    ratelimit.reset(settings.rate_limit_storage_url)
    app = create_app(settings.model_copy(update={"retention_days_closed_tickets": 400}), database=database)
    with TestClient(app) as test_client:
        yield test_client


def test_with_retention_on_the_page_gives_the_period_and_the_dry_run(retention_client, session):
    sign_in(retention_client, session, role=Role.ADMIN)
    html = retention_client.get("/admin/privacy").text
    # Everyone in the test database was created just now: nobody has been quiet for 400 days.
    assert "no activity for 400 days" in html and "0 customers would be erased now." in html
