"""The attachments API: POST /api/v1/tickets/{id}/attachments and GET /api/v1/attachments/{id}:
who may upload onto which message, what the stored type is, how a download is served."""

from __future__ import annotations

import pytest

from tests.factories import create_customer_user, create_staff, create_ticket, token_for
from tests.helpdesk.email.mail_samples import PNG

LOG = b"2026-12-07 10:00:01 thermostat: cloud connection lost\n"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def agent_headers(session):
    return token_for(session, create_staff(session))


def _upload(client, ticket_id, headers, files, **data):
    return client.post(
        f"/api/v1/tickets/{ticket_id}/attachments",
        files=[("files", item) for item in files],
        data=data,
        headers=headers,
    )


def _note(client, ticket_id, agent_headers) -> int:
    response = client.post(
        f"/api/v1/tickets/{ticket_id}/messages",
        json={"body": "Internal: RMA approved", "kind": "internal_note"},
        headers=agent_headers,
    )
    return response.json()["id"]


def test_staff_upload_answers_201_with_the_rows(client, session, agent_headers):
    ticket = create_ticket(session)
    response = _upload(client, ticket.id, agent_headers, [("dock.png", PNG, "image/png"), ("a.log", LOG, "text/plain")])
    assert response.status_code == 201
    assert [(row["filename"], row["size_bytes"]) for row in response.json()] == [
        ("dock.png", len(PNG)),
        ("a.log", len(LOG)),
    ]


def test_a_declared_type_that_the_bytes_contradict_is_corrected(client, session, agent_headers):
    ticket = create_ticket(session)
    [row] = _upload(client, ticket.id, agent_headers, [("manual.png", PDF, "image/png")]).json()
    assert row["content_type"] == "application/pdf"


def test_an_html_payload_is_refused(client, session, agent_headers):
    ticket = create_ticket(session)
    response = _upload(client, ticket.id, agent_headers, [("notes.txt", b"<!DOCTYPE html><p>hi</p>", "text/plain")])
    assert (response.status_code, response.json()["code"]) == (422, "attachment_refused")


def test_the_download_is_always_an_attachment_with_nosniff(client, session, agent_headers):
    ticket = create_ticket(session)
    [row] = _upload(client, ticket.id, agent_headers, [("dock.png", PNG, "image/png")]).json()
    response = client.get(f"/api/v1/attachments/{row['id']}", headers=agent_headers)
    assert (response.content, response.headers["x-content-type-options"]) == (PNG, "nosniff")
    assert response.headers["content-disposition"].startswith('attachment; filename="dock.png"')


def test_the_requester_uploads_onto_their_own_ticket(client, session):
    customer = create_customer_user(session)
    ticket = create_ticket(session, customer_email=customer.email)
    response = _upload(client, ticket.id, token_for(session, customer), [("a.log", LOG, "text/plain")])
    assert (response.status_code, response.json()[0]["ticket_message_id"]) == (201, ticket.messages[0].id)


def test_the_requester_cannot_upload_onto_an_internal_note(client, session, agent_headers):
    customer = create_customer_user(session)
    ticket = create_ticket(session, customer_email=customer.email)
    note_id = _note(client, ticket.id, agent_headers)
    response = _upload(
        client, ticket.id, token_for(session, customer), [("a.log", LOG, "text/plain")], message_id=note_id
    )
    assert response.status_code == 404


def test_another_customer_cannot_upload(client, session):
    ticket = create_ticket(session)
    stranger = create_customer_user(session)
    assert _upload(client, ticket.id, token_for(session, stranger), [("a.log", LOG, "text/plain")]).status_code == 404


def test_another_customer_cannot_download(client, session, agent_headers):
    ticket = create_ticket(session)
    [row] = _upload(client, ticket.id, agent_headers, [("a.log", LOG, "text/plain")]).json()
    stranger = create_customer_user(session)
    assert client.get(f"/api/v1/attachments/{row['id']}", headers=token_for(session, stranger)).status_code == 404


def test_the_requester_downloads_a_file_on_a_public_message(client, session, agent_headers):
    customer = create_customer_user(session)
    ticket = create_ticket(session, customer_email=customer.email)
    [row] = _upload(client, ticket.id, agent_headers, [("a.log", LOG, "text/plain")]).json()
    assert client.get(f"/api/v1/attachments/{row['id']}", headers=token_for(session, customer)).content == LOG


def test_an_internal_note_file_is_hidden_from_the_requester(client, session, agent_headers):
    customer = create_customer_user(session)
    ticket = create_ticket(session, customer_email=customer.email)
    note_id = _note(client, ticket.id, agent_headers)
    [row] = _upload(client, ticket.id, agent_headers, [("a.log", LOG, "text/plain")], message_id=note_id).json()
    assert client.get(f"/api/v1/attachments/{row['id']}", headers=token_for(session, customer)).status_code == 404


def test_anonymous_download_is_refused(client, session, agent_headers):
    ticket = create_ticket(session)
    [row] = _upload(client, ticket.id, agent_headers, [("a.log", LOG, "text/plain")]).json()
    assert client.get(f"/api/v1/attachments/{row['id']}").status_code == 401
