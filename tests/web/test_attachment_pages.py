"""Attachments on the agent's ticket page: uploaded with a reply or a note, listed under their
message, downloaded as sent, refused with the reply kept."""

from __future__ import annotations

import re

from sqlalchemy import select

from helpdesk.email.models import Attachment
from tests.factories import create_ticket
from tests.helpdesk.email.mail_samples import PNG
from tests.web.pages_support import csrf_from, sign_in

LOG = b"2026-12-07 10:00:01 wifi: association failed (reason 15)\n"


def _reply(client, ticket_id, files, *, body="Thanks, see the attached log.", kind="public_reply"):
    token = csrf_from(client.get(f"/agent/tickets/{ticket_id}").text)
    return client.post(
        f"/agent/tickets/{ticket_id}/messages",
        data={"csrf_token": token, "body": body, "kind": kind},
        files=[("files", item) for item in files],
        follow_redirects=False,
    )


def test_a_reply_with_a_file_lists_it_under_the_message(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    assert _reply(client, ticket.id, [("router.log", LOG, "text/plain")]).status_code == 303
    html = client.get(f"/agent/tickets/{ticket.id}").text
    assert re.search(r'<a href="/attachments/\d+" download="router.log" class="attachment-link">router.log</a>', html)


def test_the_downloaded_file_is_the_uploaded_bytes(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    _reply(client, ticket.id, [("router.log", LOG, "text/plain")])
    attachment = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).one()
    response = client.get(f"/attachments/{attachment.id}")
    assert (response.content, response.headers["content-disposition"].split(";")[0]) == (LOG, "attachment")


def test_a_picture_shows_as_a_thumbnail_served_inline(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    _reply(client, ticket.id, [("dock.png", PNG, "image/png")])
    attachment = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).one()
    assert f'<img src="/attachments/{attachment.id}/preview"' in client.get(f"/agent/tickets/{ticket.id}").text
    preview = client.get(f"/attachments/{attachment.id}/preview")
    # Re-encoded as a thumbnail: a PNG of the same (small) size, not necessarily the same bytes.
    assert preview.headers["content-type"] == "image/png" and preview.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert preview.content[16:24] == PNG[16:24]


def test_a_refused_file_keeps_the_reply_and_stores_nothing(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    response = _reply(client, ticket.id, [("page.html", b"<html><script>alert(1)</script></html>", "text/plain")])
    assert response.status_code == 422
    assert re.search(r'<textarea id="reply-body"[^>]*>Thanks, see the attached log.</textarea>', response.text)
    assert 'id="reply-files-error"' in response.text
    assert session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).all() == []
