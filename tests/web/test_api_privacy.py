"""The privacy API: a customer's data exported (admins, or the customer themself) or erased (admins), and retention's dry run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from accounts.models import Customer, Role
from aftercare.db import utcnow
from helpdesk.models import Message, Ticket, TicketEvent, TicketStatus
from tests.factories import create_customer_user, create_staff, create_ticket, token_for, unique_email

# Words only this customer wrote, and a name no fixture uses: found in an export means "theirs".
TICKET_TEXT = "The Quillfeather valve hisses every night at three and the display flickers amber."
NAME = "Zofia Quillfeather"


def _admin(session) -> dict[str, str]:
    return token_for(session, create_staff(session, role=Role.ADMIN))


def _ticket(session, email: str | None = None) -> Ticket:
    return create_ticket(session, customer_email=email or unique_email("privacy"), customer_name=NAME, body=TICKET_TEXT)


# ---- export ----------------------------------------------------------------------------------


def test_an_admin_export_holds_the_customers_ticket_text(client, session):
    ticket = _ticket(session)
    response = client.get(f"/api/v1/customers/{ticket.requester_id}/export", headers=_admin(session))
    assert response.status_code == 200 and TICKET_TEXT in response.text


def test_the_export_comes_as_a_file_named_after_the_customer(client, session):
    ticket = _ticket(session)
    response = client.get(f"/api/v1/customers/{ticket.requester_id}/export", headers=_admin(session))
    expected = f'attachment; filename="customer-{ticket.requester_id}.json"'
    assert response.headers["content-disposition"] == expected


def test_a_customer_exports_their_own_data(client, session):
    user = create_customer_user(session, name=NAME)
    _ticket(session, user.email)
    response = client.get(f"/api/v1/customers/{user.customer_id}/export", headers=token_for(session, user))
    assert response.status_code == 200 and TICKET_TEXT in response.text


def test_a_customer_asking_for_someone_elses_data_hears_it_does_not_exist(client, session):
    other = _ticket(session)
    asker = create_customer_user(session)
    response = client.get(f"/api/v1/customers/{other.requester_id}/export", headers=token_for(session, asker))
    assert response.status_code == 404 and TICKET_TEXT not in response.text


def test_agents_may_not_export(client, session):
    ticket = _ticket(session)
    response = client.get(
        f"/api/v1/customers/{ticket.requester_id}/export", headers=token_for(session, create_staff(session))
    )
    assert response.status_code == 403


def test_an_anonymous_caller_is_asked_to_authenticate(client, session):
    ticket = _ticket(session)
    assert client.get(f"/api/v1/customers/{ticket.requester_id}/export").status_code == 401


def test_exporting_a_customer_nobody_has_is_not_found(client, session):
    assert client.get("/api/v1/customers/987654321/export", headers=_admin(session)).status_code == 404


# ---- erase -----------------------------------------------------------------------------------


def test_after_erasure_the_export_has_no_name_or_email(client, session):
    email = unique_email("erased")
    ticket = _ticket(session, email)
    admin = _admin(session)
    assert client.post(f"/api/v1/customers/{ticket.requester_id}/erase", headers=admin).status_code == 200
    exported = client.get(f"/api/v1/customers/{ticket.requester_id}/export", headers=admin).text
    assert email not in exported and "Quillfeather" not in exported


def test_an_erasure_answers_with_what_it_replaced(client, session):
    ticket = _ticket(session)
    response = client.post(f"/api/v1/customers/{ticket.requester_id}/erase", headers=_admin(session))
    body = response.json()
    # Their one ticket, and nothing erased before.
    assert (body["customer_id"], body["tickets"], body["already_erased"]) == (ticket.requester_id, 1, False)


def test_erasing_twice_says_it_was_already_done(client, session):
    ticket = _ticket(session)
    admin = _admin(session)
    client.post(f"/api/v1/customers/{ticket.requester_id}/erase", headers=admin)
    response = client.post(f"/api/v1/customers/{ticket.requester_id}/erase", headers=admin)
    assert response.status_code == 200 and response.json()["already_erased"] is True


def test_agents_may_not_erase(client, session):
    ticket = _ticket(session)
    response = client.post(
        f"/api/v1/customers/{ticket.requester_id}/erase", headers=token_for(session, create_staff(session))
    )
    session.expire_all()
    assert response.status_code == 403 and session.get(Customer, ticket.requester_id).erased_at is None


def test_customers_may_not_erase_through_the_api(client, session):
    user = create_customer_user(session)
    response = client.post(f"/api/v1/customers/{user.customer_id}/erase", headers=token_for(session, user))
    assert response.status_code == 403


# ---- retention -------------------------------------------------------------------------------


@pytest.fixture
def retention_client(database, settings):
    from web import ratelimit
    from web.app import create_app

    ratelimit.reset(settings.rate_limit_storage_url)
    app = create_app(settings.model_copy(update={"retention_days_closed_tickets": 30}), database=database)
    with TestClient(app) as test_client:
        yield test_client


def test_the_retention_dry_run_says_when_it_is_off(client, session):
    response = client.get("/api/v1/privacy/retention", headers=_admin(session))
    assert response.json() == {"enabled": False, "days": None, "due": 0}


def test_the_retention_dry_run_counts_who_would_be_erased(retention_client, session):
    headers = _admin(session)
    before = retention_client.get("/api/v1/privacy/retention", headers=headers).json()["due"]
    ticket = _ticket(session)
    ticket.status = TicketStatus.CLOSED
    session.flush()
    # Everything the customer did, moved back past the 30 days.
    long_ago = utcnow() - timedelta(days=60)
    session.execute(update(Customer).where(Customer.id == ticket.requester_id).values(created_at=long_ago))
    session.execute(update(Ticket).where(Ticket.id == ticket.id).values(created_at=long_ago, updated_at=long_ago))
    session.execute(update(Message).where(Message.ticket_id == ticket.id).values(created_at=long_ago))
    session.execute(update(TicketEvent).where(TicketEvent.ticket_id == ticket.id).values(created_at=long_ago))
    after = retention_client.get("/api/v1/privacy/retention", headers=headers).json()
    assert after == {"enabled": True, "days": 30, "due": before + 1}


def test_agents_may_not_see_retention(client, session):
    response = client.get("/api/v1/privacy/retention", headers=token_for(session, create_staff(session)))
    assert response.status_code == 403
