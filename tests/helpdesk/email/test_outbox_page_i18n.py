"""The admins' outbox page in the reader's language: headings, status names and reasons, the message count."""

from __future__ import annotations

import re

from sqlalchemy import select

from accounts.models import Role
from helpdesk.email.models import EmailKind, OutboxMessage, SuppressReason
from helpdesk.email.outbox import enqueue_email
from tests.factories import create_ticket
from tests.web.pages_support import sign_in


def test_outbox_page_is_in_polish_status_names_included(mail_client, session):
    sign_in(mail_client, session, role=Role.ADMIN)
    session.commit()
    html = mail_client.get("/admin/email/outbox", headers={"Accept-Language": "pl"}).text
    assert '<html lang="pl"' in html
    select = re.search(r'<select id="outbox-status".*?</select>', html, re.S).group(0)
    options = re.findall(r"<option [^>]*>([^<]*)</option>", select)
    # Every status has a name of its own, and none is the stored English value.
    assert len(options) == len(set(options)) == 5
    assert not {"queued", "sending", "sent", "failed", "suppressed"} & set(options)
    for english in ("Outgoing mail", "0 messages", "E-mail previews"):
        assert english not in html


def test_why_a_message_was_not_sent_is_said_in_words_in_thai(mail_client, session):
    ticket = create_ticket(session)  # its customer never agreed to tips and news
    enqueue_email(
        session,
        to=ticket.requester.email,
        subject="Tips",
        text="Tips for your thermostat",
        kind=EmailKind.MARKETING,
        customer_id=ticket.requester.id,
    )
    row = session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.customer_id == ticket.requester.id, OutboxMessage.kind == EmailKind.MARKETING
        )
    )
    assert row.suppressed_reason == SuppressReason.NO_CONSENT
    sign_in(mail_client, session, role=Role.ADMIN)
    session.commit()
    html = mail_client.get(
        "/admin/email/outbox", params={"status": "suppressed"}, headers={"Accept-Language": "th"}
    ).text
    cell = re.search(rf'<tr id="outbox-{row.id}".*?</tr>', html, re.S).group(0)
    status = re.search(r'<span class="status">.*?</td>', cell, re.S).group(0)
    assert "no_consent" not in status and "suppressed" not in status
    assert re.search(r"\(.*[\u0e00-\u0e7f].*\)", status)
