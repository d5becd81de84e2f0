"""Agents' notification pages: the bell's count, the list, marking read, the preferences form."""

from __future__ import annotations

import re
from datetime import timedelta

from accounts.service import principal_for_user, start_login_session
from aftercare.config import get_settings
from helpdesk import service
from helpdesk.models import MessageKind
from helpdesk.notifications import service as notifications
from helpdesk.notifications.models import NotificationKind
from helpdesk.schemas import MessageCreate
from tests.factories import create_customer_user, create_staff, create_ticket
from tests.web.pages_support import csrf_from, sign_in


def _mention(session, name: str, *, subject: str = "Router keeps rebooting"):
    ticket = create_ticket(session, subject=subject)
    author = create_staff(session, name="Bea Author")
    service.add_message(
        session,
        ticket,
        MessageCreate(body=f"@{name} please", kind=MessageKind.INTERNAL_NOTE),
        principal_for_user(author),
    )
    session.commit()
    return ticket


def test_the_header_has_the_bell_for_staff(client, session):
    sign_in(client, session)
    html = client.get("/agent/tickets").text
    assert 'hx-get="/agent/notifications/bell"' in html


def test_the_bell_counts_unread_notifications(client, session):
    sign_in(client, session, name="Nina Notified")
    _mention(session, "Nina")
    fragment = client.get("/agent/notifications/bell").text
    assert 'data-unread="1"' in fragment


def test_the_bell_is_empty_without_unread_notifications(client, session):
    sign_in(client, session)
    assert "data-unread" not in client.get("/agent/notifications/bell").text


def test_the_list_links_each_notification_to_its_ticket(client, session):
    sign_in(client, session, name="Lena Listed")
    ticket = _mention(session, "Lena", subject="Boiler pressure drops")
    html = client.get("/agent/notifications").text
    assert f"Bea Author mentioned you on #{ticket.id}" in html
    assert re.search(rf'href="/agent/tickets/{ticket.id}#message-\d+"', html) and "Boiler pressure drops" in html


def test_another_agents_notifications_are_not_listed(client, session):
    sign_in(client, session)
    _mention(session, "Someone", subject="Quite private subject")
    create_staff(session, name="Someone Else")
    assert "Quite private subject" not in client.get("/agent/notifications").text


def test_mark_all_read_clears_the_count(client, session):
    user = sign_in(client, session, name="Mira Marker")
    _mention(session, "Mira")
    token = csrf_from(client.get("/agent/notifications").text)
    client.post("/agent/notifications/read", data={"csrf_token": token, "all": "1"})
    assert notifications.unread_count(session, user.id) == 0


def test_mark_one_read_marks_that_one(client, session):
    user = sign_in(client, session, name="Olga One")
    _mention(session, "Olga")
    _mention(session, "Olga")
    first = notifications.list_notifications(session, user.id)[-1]
    token = csrf_from(client.get("/agent/notifications").text)
    client.post("/agent/notifications/read", data={"csrf_token": token, "ids": str(first.id)})
    assert first.id not in [n.id for n in notifications.list_notifications(session, user.id, unread_only=True)]
    assert notifications.unread_count(session, user.id) == 1


def test_marking_read_needs_the_csrf_token(client, session):
    sign_in(client, session)
    response = client.post("/agent/notifications/read", data={"all": "1"})
    assert response.status_code == 403


def test_the_preferences_form_saves_the_choices(client, session):
    user = sign_in(client, session)
    token = csrf_from(client.get("/agent/notifications/preferences").text)
    client.post(
        "/agent/notifications/preferences",
        data={"csrf_token": token, "in_app": ["new_ticket", "assigned"], "email": ["assigned"], "languages": ["pl"]},
    )
    chosen = notifications.preferences(session, user.id)
    assert (chosen[NotificationKind.NEW_TICKET].in_app, chosen[NotificationKind.NEW_TICKET].languages) == (
        True,
        ("pl",),
    )
    assert (chosen[NotificationKind.MENTIONED].in_app, chosen[NotificationKind.ASSIGNED].email) == (False, True)


def test_an_unsupported_language_is_refused_with_a_message(client, session):
    sign_in(client, session)
    token = csrf_from(client.get("/agent/notifications/preferences").text)
    response = client.post(
        "/agent/notifications/preferences", data={"csrf_token": token, "in_app": ["new_ticket"], "languages": ["xx"]}
    )
    assert response.status_code == 422 and "xx" in response.text


def test_customers_cannot_open_the_notifications_page(client, session):
    customer = create_customer_user(session)
    plaintext = start_login_session(session, customer, lifetime=timedelta(hours=1))
    client.cookies.set(get_settings().session_cookie_name, plaintext)
    response = client.get("/agent/notifications", follow_redirects=False)
    assert response.status_code in (303, 403)
