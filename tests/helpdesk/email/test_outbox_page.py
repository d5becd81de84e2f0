"""The admins' outbox page: a message that gave up after an SMTP outage is listed with its reason,
and "Send again" queues it for a new round of tries that a server back up delivers."""

from __future__ import annotations

from datetime import timedelta

from accounts.models import Role
from helpdesk.email.delivery import drain_outbox
from helpdesk.email.models import OutboxMessage, OutboxStatus
from tests.helpdesk.email.factories import email
from tests.web.pages_support import csrf_from, sign_in


def _bounced_after_an_outage(database, smtp_sink) -> OutboxMessage:
    with database.session() as session:
        row_id = email(session, subject="Your order has shipped (outage)").id
    smtp_sink.stop()
    with database.session() as session:
        created = session.get(OutboxMessage, row_id).created_at
    # Five days on: past the four-day horizon.
    drain_outbox(database, now=created + timedelta(days=5))
    smtp_sink.start()
    with database.session() as session:
        return session.get(OutboxMessage, row_id)


def test_a_message_that_gave_up_is_listed_with_its_reason(database, mail_client, session, smtp_sink):
    row = _bounced_after_an_outage(database, smtp_sink)
    assert row.status == OutboxStatus.FAILED
    sign_in(mail_client, session, role=Role.ADMIN)
    html = mail_client.get("/admin/email/outbox").text
    assert f'id="outbox-{row.id}" data-status="failed"' in html
    assert "Your order has shipped (outage)" in html and "not delivered after 4 days of retrying" in html
    assert f'action="/admin/email/outbox/{row.id}/retry"' in html


def test_send_again_queues_it_and_a_server_back_up_delivers_it(database, mail_client, session, smtp_sink):
    row = _bounced_after_an_outage(database, smtp_sink)
    sign_in(mail_client, session, role=Role.ADMIN)
    token = csrf_from(mail_client.get("/admin/email/outbox").text)
    response = mail_client.post(
        f"/admin/email/outbox/{row.id}/retry", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert "is queued to be sent again" in mail_client.get(response.headers["location"]).text
    with database.session() as check:
        assert check.get(OutboxMessage, row.id).status == OutboxStatus.QUEUED
    assert drain_outbox(database).sent == 1
    assert smtp_sink.message_ids() == [row.message_id]


def test_waiting_messages_show_their_error_and_next_attempt(database, mail_client, session, smtp_sink):
    with database.session() as unit:
        row_id = email(unit).id
    smtp_sink.stop()
    drain_outbox(database)
    sign_in(mail_client, session, role=Role.ADMIN)
    html = mail_client.get("/admin/email/outbox", params={"status": "queued"}).text
    assert f'id="outbox-{row_id}" data-status="queued"' in html and "cannot connect to SMTP server" in html


def test_send_again_needs_the_csrf_token(database, mail_client, session, smtp_sink):
    row = _bounced_after_an_outage(database, smtp_sink)
    sign_in(mail_client, session, role=Role.ADMIN)
    assert mail_client.post(f"/admin/email/outbox/{row.id}/retry").status_code == 403
    with database.session() as check:
        assert check.get(OutboxMessage, row.id).status == OutboxStatus.FAILED


def test_sending_again_a_message_that_did_not_fail_is_a_conflict(database, mail_client, session):
    with database.session() as unit:
        row_id = email(unit).id
    sign_in(mail_client, session, role=Role.ADMIN)
    token = csrf_from(mail_client.get("/admin/email/outbox").text)
    assert mail_client.post(f"/admin/email/outbox/{row_id}/retry", data={"csrf_token": token}).status_code == 409


def test_agents_cannot_see_the_outbox(mail_client, session):
    sign_in(mail_client, session, role=Role.AGENT)
    assert mail_client.get("/admin/email/outbox").status_code == 403


def test_admins_reach_the_outbox_from_the_main_navigation(mail_client, session):
    sign_in(mail_client, session, role=Role.ADMIN)
    html = mail_client.get("/agent/tickets").text
    assert 'href="/admin/email/outbox"' in html


def test_agents_are_not_shown_the_outbox_link(mail_client, session):
    sign_in(mail_client, session, role=Role.AGENT)
    assert 'href="/admin/email/outbox"' not in mail_client.get("/agent/tickets").text
