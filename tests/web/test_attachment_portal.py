"""Attachments on the customer's side: the contact form, the reply on their ticket page, what
they may see and download (their ticket's public messages only)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accounts.service import principal_for_user
from aftercare.config import get_settings
from helpdesk import service
from helpdesk.attachments.service import CheckedUpload, attach_uploads
from helpdesk.email.models import Attachment
from helpdesk.models import Message, MessageKind, Ticket
from helpdesk.schemas import MessageCreate
from helpdesk.ticket_links import sign_ticket_link
from tests.factories import create_staff, create_ticket, unique_email
from tests.web.pages_support import csrf_from

LOG = b"2026-12-07 10:00:01 thermostat: cloud connection lost\n"
# Small limits of their own, so that a refusal needs no large upload.
MAX_BYTES = 1000


@pytest.fixture
def settings():
    return get_settings().model_copy(update={"attachment_max_bytes": MAX_BYTES, "attachment_max_count": 2})


def _link(settings, ticket) -> str:
    return f"?access_token={sign_ticket_link(settings.secret_key, ticket)}"


def _contact(client, files, body="The thermostat log is attached."):
    token = csrf_from(client.get("/contact").text)
    email = unique_email("filer")
    response = client.post(
        "/contact",
        data={"csrf_token": token, "customer_email": email, "subject": "Thermostat offline", "body": body},
        files=[("files", item) for item in files],
        follow_redirects=False,
    )
    return response, email


def _customer_reply(client, settings, ticket, files, body="Here is the log you asked for."):
    page = client.get(f"/tickets/{ticket.id}{_link(settings, ticket)}").text
    return client.post(
        f"/tickets/{ticket.id}/reply{_link(settings, ticket)}",
        data={"csrf_token": csrf_from(page), "body": body, "action": "reply"},
        files=[("files", item) for item in files],
        follow_redirects=False,
    )


def _note_with_file(session, ticket, settings) -> Attachment:
    agent = principal_for_user(create_staff(session))
    note = service.add_message(
        session, ticket, MessageCreate(body="Internal: firmware 2.1", kind="internal_note"), agent
    )
    [row] = attach_uploads(
        session, ticket, note, [CheckedUpload("secret.txt", "text/plain", b"agent only\n")], agent, settings
    )
    return row


def test_the_contact_form_stores_a_file_with_the_first_message(client, session):
    response, email = _contact(client, [("thermostat.log", LOG, "text/plain")])
    assert response.status_code == 303
    ticket = session.scalars(
        select(Ticket).where(Ticket.subject == "Thermostat offline").order_by(Ticket.id.desc())
    ).first()
    row = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).one()
    assert (row.filename, row.ticket_message_id, row.uploaded_by_customer_id) == (
        "thermostat.log",
        ticket.messages[0].id,
        ticket.requester_id,
    )


def test_a_too_large_file_on_the_contact_form_keeps_the_text(client, session):
    response, _ = _contact(client, [("big.log", b"x" * (MAX_BYTES + 1), "text/plain")], body="Keep this text, please.")
    assert response.status_code == 413
    assert "Keep this text, please.</textarea>" in response.text and 'id="contact-files-error"' in response.text


def test_too_many_files_are_refused_with_the_limit_named(client, session):
    files = [(f"part{n}.log", LOG, "text/plain") for n in range(3)]
    response, _ = _contact(client, files)
    assert response.status_code == 422 and "Attach at most 2 files to one message." in response.text


def test_a_customer_reply_with_a_file_is_listed_with_the_ticket_link(client, session, settings):
    ticket = create_ticket(session)
    session.commit()
    assert _customer_reply(client, settings, ticket, [("router.log", LOG, "text/plain")]).status_code == 303
    row = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).one()
    html = client.get(f"/tickets/{ticket.id}{_link(settings, ticket)}").text
    assert f'href="/attachments/{row.id}{_link(settings, ticket)}"' in html


def test_the_requester_downloads_a_file_of_a_public_message(client, session, settings):
    ticket = create_ticket(session)
    session.commit()
    _customer_reply(client, settings, ticket, [("router.log", LOG, "text/plain")])
    row = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).one()
    assert client.get(f"/attachments/{row.id}{_link(settings, ticket)}").content == LOG


def test_internal_note_files_are_not_listed_for_the_customer(client, session, settings):
    ticket = create_ticket(session)
    row = _note_with_file(session, ticket, settings)
    session.commit()
    html = client.get(f"/tickets/{ticket.id}{_link(settings, ticket)}").text
    assert "secret.txt" not in html and f"/attachments/{row.id}" not in html


def test_internal_note_files_cannot_be_downloaded_by_the_customer(client, session, settings):
    ticket = create_ticket(session)
    row = _note_with_file(session, ticket, settings)
    session.commit()
    assert client.get(f"/attachments/{row.id}{_link(settings, ticket)}").status_code == 404


def test_another_customers_link_gets_not_found(client, session, settings):
    ticket = create_ticket(session)
    session.commit()
    _customer_reply(client, settings, ticket, [("router.log", LOG, "text/plain")])
    row = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).one()
    other = create_ticket(session)
    session.commit()
    assert client.get(f"/attachments/{row.id}{_link(settings, other)}").status_code == 404


def test_a_refused_customer_reply_keeps_the_text_and_stores_nothing(client, session, settings):
    ticket = create_ticket(session)
    session.commit()
    response = _customer_reply(client, settings, ticket, [("x.svg", b"<svg onload=alert(1)></svg>", "image/svg+xml")])
    assert response.status_code == 422 and "Here is the log you asked for.</textarea>" in response.text
    assert session.scalars(
        select(Message).where(Message.ticket_id == ticket.id, Message.kind == MessageKind.PUBLIC_REPLY)
    ).all() == list(ticket.messages[:1])
