"""The signed-in person's account page (web.pages.account): profile, mail preferences, tickets and
forum posts, "Download my data", and "Delete my account" confirmed by e-mailed link."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from accounts.models import AuditEntry, Customer, User
from accounts.service import start_login_session
from aftercare.config import get_settings
from helpdesk.email.models import OutboxMessage
from helpdesk.models import Ticket
from tests.factories import create_customer_user, create_ticket, unique_email
from tests.web.pages_support import csrf_from, sign_in


def _sign_in_customer(client, session, **overrides) -> User:
    user = create_customer_user(session, **overrides)
    client.cookies.set(
        get_settings().session_cookie_name, start_login_session(session, user, lifetime=timedelta(hours=1))
    )
    return user


def _post(client, path: str, data: dict | None = None):
    token = csrf_from(client.get("/account").text)
    return client.post(path, data={"csrf_token": token, **(data or {})}, follow_redirects=False)


def _deletion_link(session, address: str) -> str:
    mail = session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.to_address == address, OutboxMessage.dedupe_key.like("account-deletion-link:%")
        )
    )
    assert mail is not None, "no confirmation e-mail"
    return re.search(r"https?://[^/\s]+(/account/delete/[A-Za-z0-9_-]+)", mail.text_body).group(1)


def test_the_account_page_needs_a_sign_in(client):
    response = client.get("/account", follow_redirects=False)
    assert response.status_code in (303, 401) and "Casey" not in response.text


def test_the_page_shows_the_customers_tickets_and_address(client, session):
    user = _sign_in_customer(client, session, email=unique_email("page"))
    ticket = create_ticket(session, customer_email=user.email, subject="Kettle whistles but never boils")
    page = client.get("/account")
    assert page.status_code == 200
    assert user.email in page.text and ticket.subject in page.text and f"/tickets/{ticket.id}" in page.text


def test_the_page_does_not_show_another_customers_ticket(client, session):
    _sign_in_customer(client, session)
    other = create_ticket(session, customer_email=unique_email("other"), subject="Someone else's blender")
    assert other.subject not in client.get("/account").text


def test_saving_the_profile_changes_account_and_customer_record(client, session):
    user = _sign_in_customer(client, session)
    response = _post(client, "/account/profile", {"name": "Krystyna Nowak", "language": "pl"})
    assert response.status_code == 303
    session.expire_all()
    customer = session.get(Customer, user.customer_id)
    assert (customer.name, customer.language) == ("Krystyna Nowak", "pl")
    assert session.get(User, user.id).language == "pl"


def test_an_empty_name_is_refused_on_the_page(client, session):
    user = _sign_in_customer(client, session, name="Kept Name")
    response = _post(client, "/account/profile", {"name": "  ", "language": ""})
    assert response.status_code == 422 and "Enter your name" in response.text
    session.expire_all()
    assert session.get(User, user.id).name == "Kept Name"


def test_an_unknown_language_is_refused(client, session):
    _sign_in_customer(client, session)
    response = _post(client, "/account/profile", {"name": "Ana", "language": "xx"})
    assert response.status_code == 422


def test_turning_surveys_off_is_kept(client, session):
    user = _sign_in_customer(client, session)
    assert _post(client, "/account/preferences", {"tips_and_news": "1"}).status_code == 303
    session.expire_all()
    customer = session.get(Customer, user.customer_id)
    assert (customer.consent_marketing, customer.consent_surveys) == (True, False)
    assert 'name="surveys" value="1" checked' not in client.get("/account").text


def test_the_profile_form_needs_csrf(client, session):
    _sign_in_customer(client, session)
    assert client.post("/account/profile", data={"name": "No Token"}).status_code == 403


def test_downloading_my_data_gives_a_json_file_with_my_ticket(client, session):
    user = _sign_in_customer(client, session)
    ticket = create_ticket(session, customer_email=user.email, subject="Toaster sets off the alarm")
    response = client.get("/account/export")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    assert ticket.subject in response.text and user.email in response.text


def test_staff_have_no_customer_data_to_download(client, session):
    sign_in(client, session)
    assert client.get("/account/export").status_code == 403


def test_asking_to_delete_erases_nothing_and_sends_a_link(client, session):
    user = _sign_in_customer(client, session, name="Dora Delete")
    response = _post(client, "/account/delete")
    assert response.status_code == 200 and "Check your e-mail" in response.text
    session.expire_all()
    assert session.get(Customer, user.customer_id).erased_at is None
    assert _deletion_link(session, user.email)


def test_following_the_link_and_confirming_erases_the_customer(client, session):
    user = _sign_in_customer(client, session, name="Erin Erase")
    ticket = create_ticket(session, customer_email=user.email, subject="Fridge hums at night")
    tickets_before = session.scalar(select(func.count(Ticket.id)))
    _post(client, "/account/delete")
    path = _deletion_link(session, user.email)
    confirm = client.get(path)
    assert confirm.status_code == 200 and "cannot be undone" in confirm.text
    done = client.post(path, data={"csrf_token": csrf_from(confirm.text)}, follow_redirects=False)
    assert done.status_code == 200 and "Your account is deleted" in done.text
    session.expire_all()
    customer = session.get(Customer, user.customer_id)
    assert customer.erased_at is not None and customer.name != "Erin Erase"
    assert session.get(Ticket, ticket.id).subject != "Fridge hums at night"
    assert session.scalar(select(func.count(Ticket.id))) == tickets_before
    # Signed out: the account page now asks for a sign-in.
    assert client.get("/account", follow_redirects=False).status_code in (303, 401)


def test_opening_the_deletion_link_changes_nothing(client, session):
    user = _sign_in_customer(client, session)
    _post(client, "/account/delete")
    client.get(_deletion_link(session, user.email))
    session.expire_all()
    assert session.get(Customer, user.customer_id).erased_at is None


def test_the_request_and_the_erasure_are_in_the_audit_trail(client, session):
    user = _sign_in_customer(client, session)
    customer_id = user.customer_id
    _post(client, "/account/delete")
    path = _deletion_link(session, user.email)
    client.post(path, data={"csrf_token": csrf_from(client.get(path).text)})
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.target_type == "customer", AuditEntry.target_id == customer_id)
    ).all()
    assert "customer.erasure_requested" in actions and "customer.erased" in actions


def test_a_deletion_link_cannot_be_used_twice(client, session):
    user = _sign_in_customer(client, session)
    _post(client, "/account/delete")
    path = _deletion_link(session, user.email)
    token = csrf_from(client.get(path).text)
    client.post(path, data={"csrf_token": token})
    assert client.post(path, data={"csrf_token": token}).status_code in (400, 410)
