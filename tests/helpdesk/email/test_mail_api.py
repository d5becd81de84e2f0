"""The mail admin API: rejected mail, the outbox by status, retrying, the suppression list, attachments."""

from __future__ import annotations

from sqlalchemy import select

from accounts.models import Role
from helpdesk.email.mail_in.intake import receive_mail
from helpdesk.email.models import Attachment, OutboxStatus
from tests.factories import create_staff, token_for, unique_email
from tests.helpdesk.email import mail_samples as samples
from tests.helpdesk.email.factories import email
from tests.web.pages_support import sign_in


def _admin(session) -> dict[str, str]:
    return token_for(session, create_staff(session, role=Role.ADMIN))


def test_rejected_mail_is_listed_for_admins(mail_client, session):
    receive_mail(session, b"Subject: broken\r\n\r\nno sender\r\n", envelope_from="x@example.com")
    headers = _admin(session)
    session.commit()
    body = mail_client.get("/api/v1/mail/rejected", headers=headers).json()
    assert body["total"] >= 1 and body["items"][0]["reason"] == "malformed"
    raw = mail_client.get(f"/api/v1/mail/rejected/{body['items'][0]['id']}/raw", headers=headers)
    assert raw.content == b"Subject: broken\r\n\r\nno sender\r\n"


def test_agents_cannot_list_rejected_mail(mail_client, session):
    headers = token_for(session, create_staff(session))
    session.commit()
    assert mail_client.get("/api/v1/mail/rejected", headers=headers).status_code == 403


def test_failed_message_is_visible_and_can_be_retried(mail_client, session):
    row = email(session)
    row.status, row.attempts, row.last_error = OutboxStatus.FAILED, 8, "451 busy"
    headers = _admin(session)
    session.commit()
    listed = mail_client.get("/api/v1/mail/outbox", params={"status": "failed"}, headers=headers).json()
    assert [item["id"] for item in listed["items"]] == [row.id] and listed["items"][0]["last_error"] == "451 busy"
    retried = mail_client.post(f"/api/v1/mail/outbox/{row.id}/retry", headers=headers).json()
    assert (retried["status"], retried["attempts"]) == ("queued", 0)


def test_retrying_a_message_that_did_not_fail_is_a_conflict(mail_client, session):
    row = email(session)
    headers = _admin(session)
    session.commit()
    assert mail_client.post(f"/api/v1/mail/outbox/{row.id}/retry", headers=headers).status_code == 409


def test_admin_edits_the_suppression_list(mail_client, session):
    headers = _admin(session)
    session.commit()
    address = unique_email("blocked")
    created = mail_client.post("/api/v1/mail/suppressions", json={"email": address, "scope": "all"}, headers=headers)
    assert created.status_code == 201 and created.json()["source"] == "admin"
    assert email(session, to=address) is None
    assert mail_client.delete(f"/api/v1/mail/suppressions/{address}", headers=headers).status_code == 204
    assert mail_client.get("/api/v1/mail/suppressions", params={"email": address}, headers=headers).json() == []


def test_agents_download_attachments_as_files(mail_client, session):
    sender = unique_email("mailer")
    result = receive_mail(
        session, samples.with_attachments(sender, "Photo", "Photo attached.", [("dock.png", "image/png", samples.PNG)])
    )
    headers = token_for(session, create_staff(session))
    session.commit()
    [listed] = mail_client.get(f"/api/v1/mail/tickets/{result.ticket_id}/attachments", headers=headers).json()
    download = mail_client.get(f"/api/v1/mail/attachments/{listed['id']}", headers=headers)
    assert download.content == samples.PNG
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment;")


def test_attachments_need_an_agent(mail_client, session):
    result = receive_mail(
        session,
        samples.with_attachments(
            unique_email("m"), "Photo", "Photo attached.", [("dock.png", "image/png", samples.PNG)]
        ),
    )
    attachment = session.scalar(select(Attachment).where(Attachment.ticket_id == result.ticket_id))
    session.commit()
    assert mail_client.get(f"/api/v1/mail/attachments/{attachment.id}").status_code == 401


def test_admin_previews_our_emails_in_a_language(mail_client, session):
    sign_in(mail_client, session, role=Role.ADMIN)
    session.commit()
    page = mail_client.get("/admin/email", params={"language": "pl"})
    assert page.status_code == 200
    assert "Otrzymaliśmy Twoje zgłoszenie" in page.text and "Wypisz się" in page.text


def test_html_preview_may_style_but_never_run_scripts(mail_client, session):
    sign_in(mail_client, session, role=Role.ADMIN)
    session.commit()
    response = mail_client.get("/admin/email/agent_reply.html", params={"language": "th"})
    assert response.status_code == 200 and "<p>" in response.text
    assert "script-src" not in response.headers["content-security-policy"]
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


def test_agents_cannot_open_the_previews(mail_client, session):
    sign_in(mail_client, session)
    session.commit()
    assert mail_client.get("/admin/email").status_code == 403
