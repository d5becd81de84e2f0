"""The sign-in link e-mail (helpdesk.email.account_link_mail): in the customer's language, and a link
that works when it arrives through a real SMTP server.

The expected words are not read from helpdesk.email.strings: the row and the HTML say which language
they are in, the English sentences are gone, and Polish text has Polish letters.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from accounts.service import get_or_create_customer
from helpdesk.email.account_link_mail import send_sign_in_link
from helpdesk.email.delivery import drain_outbox
from tests.factories import create_staff, create_ticket, unique_email
from tests.web.pages_support import csrf_from

POLISH_LETTERS = re.compile("[ąćęłńóśźż]")
ENGLISH_SENTENCES = ("Follow this link to sign in", "The link works once", "If you did not ask to sign in")


def test_a_polish_customer_gets_the_mail_in_polish(session):
    customer = get_or_create_customer(session, unique_email("zofia"), name="Zofia", language="pl")
    mail = send_sign_in_link(session, customer.email)
    assert mail is not None and mail.language == "pl" and '<html lang="pl">' in mail.html_body
    for english in ENGLISH_SENTENCES:
        assert english not in mail.text_body and english not in mail.html_body
    assert POLISH_LETTERS.search(mail.text_body) and "Zofia" in mail.text_body


def test_a_new_address_gets_the_mail_in_the_sites_language(session):
    # The site default in the tests is English (AFTERCARE_DEFAULT_LANGUAGE unset).
    mail = send_sign_in_link(session, unique_email("newcomer"))
    assert mail is not None and mail.language == "en" and "sign in" in mail.text_body


def test_the_mail_says_how_long_the_link_works(session):
    mail = send_sign_in_link(session, unique_email())
    # AFTERCARE_EMAIL_LINK_MINUTES defaults to 15, the lifetime.
    assert "15 minutes" in mail.text_body


def test_the_link_is_transactional_mail_to_the_address_only(session):
    address = unique_email("only")
    mail = send_sign_in_link(session, address.upper())
    assert mail.to_address == address and mail.kind == "transactional"


def test_staff_get_no_sign_in_mail(session):
    assert send_sign_in_link(session, create_staff(session).email) is None


def test_sign_in_by_link_end_to_end_through_smtp(smtp_sink, database, app):
    with database.session() as session:
        ticket = create_ticket(session, customer_email=unique_email("e2e"))
        address, subject = ticket.requester.email, ticket.subject
    with TestClient(app) as client:
        assert client.post("/api/v1/auth/email-link", json={"email": address}).status_code == 202
        assert drain_outbox(database).sent >= 1
        # The ticket's confirmation went to the address too; the sign-in mail is the one with the link.
        texts = [mail.message.get_body(("plain",)).get_content() for mail in smtp_sink.delivered]
        [path] = [
            found.group(1) for text in texts if (found := re.search(r"https?://[^/\s]+(/auth/email-link/\S+)", text))
        ]
        token = csrf_from(client.get(path).text)
        signed_in = client.post(path, data={"csrf_token": token})
        assert signed_in.status_code == 200 and subject in signed_in.text


def test_admins_preview_the_sign_in_mail_in_a_language(mail_client, session):
    from accounts.models import Role
    from tests.web.pages_support import sign_in

    sign_in(mail_client, session, role=Role.ADMIN)
    session.commit()
    html = mail_client.get("/admin/email/sign_in_link.html", params={"language": "th"})
    assert html.status_code == 200 and '<html lang="th">' in html.text
    assert "Follow this link to sign in" not in html.text and "/auth/email-link/SAMPLE" in html.text
