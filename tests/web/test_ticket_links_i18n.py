"""The ticket-link pages in the reader's language: the expired and revoked link pages and the form's errors.

The language comes from the browser (Accept-Language) or the switcher's cookie, like every page.
Thai and Polish are checked without trusting the catalogue under test: the page says which
language it is in, its heading is in Thai script, and the English sentences are gone.
"""

from __future__ import annotations

import re

from helpdesk.ticket_links import revoke_ticket_links
from tests.factories import create_ticket, staff_principal
from tests.web.pages_support import csrf_from
from tests.web.test_ticket_links import _link_signed_days_ago, _page

THAI = re.compile(r"[\u0e00-\u0e7f]")


def _heading(html: str) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1)


def test_expired_link_page_is_in_thai_for_a_thai_browser(client, session, settings):
    ticket = create_ticket(session)
    stale = _link_signed_days_ago(settings, ticket, 31)
    response = client.get(_page(ticket, stale), headers={"Accept-Language": "th-TH,th;q=0.9"})
    html = response.text
    assert response.status_code == 200 and 'name="link"' in html  # the expired-link page, with its button
    assert '<html lang="th"' in html and THAI.search(_heading(html))
    for english in (
        "This link has expired",
        "Links to follow a request work for a limited time",
        "We can e-mail a new link",
        "E-mail me a new link",
        "Have an account?",
    ):
        assert english not in html


def test_revoked_link_page_follows_the_language_cookie(client, session, settings):
    ticket = create_ticket(session)
    old_link = _link_signed_days_ago(settings, ticket, 1)
    revoke_ticket_links(session, ticket, staff_principal(session))
    client.cookies.set("aftercare_lang", "th")
    html = client.get(_page(ticket, old_link), headers={"Accept-Language": "en"}).text
    assert 'name="link"' in html and ticket.subject not in html  # the revoked-link page, not the ticket
    assert '<html lang="th"' in html and THAI.search(_heading(html))
    assert "This link no longer works" not in html and "were revoked" not in html


def test_new_link_form_errors_are_in_polish(client, session):
    page = client.get("/tickets/link", headers={"Accept-Language": "pl"})
    response = client.post(
        "/tickets/link",
        headers={"Accept-Language": "pl"},
        data={
            "csrf_token": csrf_from(page.text),
            "ticket": "abc",
            "email": "nobody",
        },
    )
    assert response.status_code == 422 and '<html lang="pl"' in response.text
    errors = re.findall(r'<p class="field-error"[^>]*>(.*?)</p>', response.text)
    assert len(errors) == 2
    assert not any("Enter the" in error for error in errors)
    # Polish has letters English does not; both errors are whole Polish sentences.
    assert all(re.search("[ąćęłńóśźż]", error) for error in errors)


def test_sent_page_after_asking_for_a_link_is_in_indonesian(client, session):
    page = client.get("/tickets/link", headers={"Accept-Language": "id"})
    response = client.post(
        "/tickets/link",
        headers={"Accept-Language": "id"},
        data={
            "csrf_token": csrf_from(page.text),
            "ticket": "1",
            "email": "nobody@example.com",
        },
    )
    assert response.status_code == 200 and '<html lang="id"' in response.text
    assert "Check your e-mail" not in response.text and "It can take a few minutes" not in response.text
