"""The new-link e-mail (helpdesk.email.ticket_link_mail) is written in the ticket's language.

Checked on the queued outbox row, without trusting helpdesk.email.strings for the expected words: the
row and the HTML say which language they are in, the English sentences are gone, and the Polish
text has Polish letters.
"""

from __future__ import annotations

import re

from accounts.models import Role
from helpdesk.email.ticket_link_mail import send_new_ticket_link
from tests.conftest import env
from tests.factories import create_ticket
from tests.web.pages_support import sign_in

POLISH_LETTERS = re.compile("[ąćęłńóśźż]")
ENGLISH_SENTENCES = (
    "Here is a new link",
    "The link works for",
    "Earlier links to this request",
    "If you did not ask for a new link",
    "The support team",
)


def _polish_ticket(session):
    return create_ticket(
        session,
        customer_name="Zofia",
        language="pl",
        subject="Odkurzacz nie wraca do stacji ładującej",
        body="Dzień dobry, od tygodnia odkurzacz nie potrafi wrócić do stacji i staje na środku pokoju.",
    )


def test_new_link_email_to_a_polish_customer_is_in_polish(session):
    ticket = _polish_ticket(session)
    mail = send_new_ticket_link(session, ticket)
    assert mail is not None and mail.language == "pl"
    assert '<html lang="pl">' in mail.html_body
    for english in ENGLISH_SENTENCES:
        assert english not in mail.text_body and english not in mail.html_body
    assert "Your new link" not in mail.subject and POLISH_LETTERS.search(mail.subject)
    assert POLISH_LETTERS.search(mail.text_body)
    # What the customer needs is all there: the ticket's number, its subject and a working link.
    assert f"[#{ticket.id}]" in mail.subject and ticket.subject in mail.text_body
    assert re.search(rf"/tickets/{ticket.id}\?access_token=\S+", mail.text_body)


def test_new_link_email_says_a_one_day_lifetime_in_the_singular(session):
    with env(AFTERCARE_TICKET_LINK_MAX_AGE_DAYS="1"):
        mail = send_new_ticket_link(session, create_ticket(session))
    assert "1 day." in mail.text_body and "1 days" not in mail.text_body


def test_admins_preview_the_new_link_email_in_a_language(mail_client, session):
    sign_in(mail_client, session, role=Role.ADMIN)
    session.commit()
    page = mail_client.get("/admin/email", params={"language": "th"}).text
    html = mail_client.get("/admin/email/ticket_link.html", params={"language": "th"})
    assert html.status_code == 200 and '<html lang="th">' in html.text
    assert "Here is a new link" not in page and "Here is a new link" not in html.text
    assert "access_token=SAMPLE" in html.text
