"""The receipt an anonymous intake gets still offers articles, and "This solved it" works from it.

Only the articles and the ticket's number and status: the thread stays behind the e-mailed link.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from helpdesk.models import Ticket, TicketStatus
from kb.feedback.models import IntakeSuggestion, SolvedVia
from tests.web.pages_support import csrf_from
from tests.web.search_support import e5, keeper, publish_small_kb  # noqa: F401 - fixtures

POLISH_WIFI_TITLE = "Ponowne łączenie termostatu Nimbus z Wi-Fi"  # the translation publish_small_kb adds
POLISH_FORM = {
    "customer_email": "lena@example.com",
    "customer_name": "Lena",
    "subject": "Termostat nie łączy się z Wi-Fi",
    "body": "Dzień dobry, od wczoraj termostat pokazuje offline w aplikacji i nie łączy się z routerem.",
}


@pytest.fixture
def kb(session):
    return publish_small_kb(session)


def _receipt(client) -> str:
    token = csrf_from(client.get("/contact").text)
    response = client.post("/contact", data={"csrf_token": token, **POLISH_FORM}, follow_redirects=False)
    return response.headers["location"]


def _ticket(session) -> Ticket:
    session.expire_all()
    return session.scalar(select(Ticket).where(Ticket.subject == POLISH_FORM["subject"]).order_by(Ticket.id.desc()))


def test_receipt_offers_the_articles_in_the_tickets_language(client, session, keeper, kb):
    page = client.get(_receipt(client)).text
    wifi = kb[0]
    assert POLISH_WIFI_TITLE in page and f'href="/articles/{wifi.slug}?lang=pl"' in page


def test_receipt_is_in_the_readers_language(client, session, keeper, kb):
    page = client.get(_receipt(client), headers={"Accept-Language": "pl"}).text
    assert "Dziękujemy, otrzymaliśmy Twoje zgłoszenie." in page
    assert "Link do śledzenia zgłoszenia wysłaliśmy na adres lena@example.com." in page


def test_this_solved_it_from_the_receipt_solves_the_ticket(client, session, keeper, kb):
    wifi = kb[0]
    receipt_url = _receipt(client)
    page = client.get(receipt_url).text
    receipt = receipt_url.split("receipt=", 1)[1]
    assert re.search(rf'<form method="post" action="/contact/sent/solved/{wifi.id}"', page)
    response = client.post(
        f"/contact/sent/solved/{wifi.id}",
        data={"csrf_token": csrf_from(page), "receipt": receipt},
        follow_redirects=False,
    )
    assert response.status_code == 303 and "solved=1" in response.headers["location"]
    ticket = _ticket(session)
    [row] = session.scalars(
        select(IntakeSuggestion).where(IntakeSuggestion.ticket_id == ticket.id, IntakeSuggestion.solved_at.is_not(None))
    ).all()
    assert (ticket.status, row.article_id, row.solved_via) == (TicketStatus.SOLVED, wifi.id, SolvedVia.PAGE)


def test_receipt_for_one_ticket_solves_no_other(client, session, keeper, kb):
    wifi = kb[0]
    page = client.get(_receipt(client)).text
    response = client.post(
        f"/contact/sent/solved/{wifi.id}",
        data={"csrf_token": csrf_from(page), "receipt": "[1,1].forged"},
        follow_redirects=False,
    )
    assert response.status_code == 404
    assert _ticket(session).status == TicketStatus.NEW


def test_receipt_does_not_show_the_thread(client, session, keeper, kb):
    page = client.get(_receipt(client)).text
    assert POLISH_FORM["body"] not in page and 'class="thread"' not in page
