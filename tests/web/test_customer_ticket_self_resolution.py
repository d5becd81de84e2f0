"""The customer's ticket page offers articles in the ticket's language, and "This solved it" closes
the request: only for the requester, only by POST, and gracefully when it is already solved."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from helpdesk import service
from helpdesk.models import MessageKind, TicketStatus
from helpdesk.schemas import TicketUpdate
from helpdesk.ticket_links import sign_ticket_link
from kb.feedback.models import IntakeSuggestion, SolvedVia
from tests.factories import create_ticket, staff_principal
from tests.web.pages_support import csrf_from, sign_in
from tests.web.search_support import e5, keeper, publish_small_kb  # noqa: F401 - fixtures

POLISH_WIFI_TITLE = "Ponowne łączenie termostatu Nimbus z Wi-Fi"  # the translation publish_small_kb adds


@pytest.fixture
def kb(session):
    return publish_small_kb(session)


def _polish_ticket(session):
    ticket = create_ticket(
        session,
        subject="Termostat nie łączy się z Wi-Fi",
        body="Dzień dobry, od wczoraj termostat pokazuje offline w aplikacji i nie łączy się z routerem.",
    )
    # Committed, as the contact form's request is: the confirmation e-mail and the articles it
    # offers (the ones its "This solved it" links name) are queued after the commit.
    session.commit()
    return ticket


def _page_url(settings, ticket) -> str:
    return f"/tickets/{ticket.id}?access_token={sign_ticket_link(settings.secret_key, ticket)}"


def _solved_url(settings, ticket, article_id: int) -> str:
    return f"/tickets/{ticket.id}/solved/{article_id}?access_token={sign_ticket_link(settings.secret_key, ticket)}"


def _offers(session, ticket_id: int) -> list[IntakeSuggestion]:
    session.expire_all()
    return list(session.scalars(select(IntakeSuggestion).where(IntakeSuggestion.ticket_id == ticket_id)))


def test_ticket_page_offers_the_polish_translation_to_a_polish_ticket(client, session, settings, keeper, kb):
    wifi = kb[0]
    ticket = _polish_ticket(session)
    html = client.get(_page_url(settings, ticket)).text
    assert POLISH_WIFI_TITLE in html
    assert f'href="/articles/{wifi.slug}?lang=pl"' in html
    assert f'action="/tickets/{ticket.id}/solved/{wifi.id}?access_token=' in html


def test_this_solved_it_solves_the_ticket(client, session, settings, keeper, kb):
    wifi = kb[0]
    ticket = _polish_ticket(session)
    page = client.get(_page_url(settings, ticket)).text
    response = client.post(
        _solved_url(settings, ticket, wifi.id),
        data={"csrf_token": csrf_from(page), "via": "page"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and "solved=1" in response.headers["location"]
    session.refresh(ticket)
    assert ticket.status == TicketStatus.SOLVED


def test_this_solved_it_leaves_a_note_in_the_tickets_language(client, session, settings, keeper, kb):
    wifi = kb[0]
    ticket = _polish_ticket(session)
    page = client.get(_page_url(settings, ticket)).text
    client.post(_solved_url(settings, ticket, wifi.id), data={"csrf_token": csrf_from(page)})
    session.refresh(ticket)
    note = ticket.messages[-1]
    assert note.kind == MessageKind.PUBLIC_REPLY and note.author_customer_id == ticket.requester_id
    # The Polish catalogue's wording, with the Polish title the customer was shown.
    assert note.body == f"Rozwiązane przez klienta dzięki artykułowi „{POLISH_WIFI_TITLE}”."


def test_this_solved_it_records_which_article_and_language(client, session, settings, keeper, kb):
    wifi = kb[0]
    ticket = _polish_ticket(session)
    page = client.get(_page_url(settings, ticket)).text
    client.post(_solved_url(settings, ticket, wifi.id), data={"csrf_token": csrf_from(page), "via": "page"})
    [solved] = [row for row in _offers(session, ticket.id) if row.solved_at is not None]
    assert (solved.article_id, solved.locale, solved.language, solved.solved_via) == (
        wifi.id,
        "pl",
        "pl",
        SolvedVia.PAGE,
    )


def test_the_email_link_only_asks(client, session, settings, keeper, kb):
    wifi = kb[0]
    ticket = _polish_ticket(session)
    response = client.get(_solved_url(settings, ticket, wifi.id))
    assert response.status_code == 200
    assert re.search(
        rf'<form method="post" action="/tickets/{ticket.id}/solved/{wifi.id}\?access_token=', response.text
    )
    session.refresh(ticket)
    assert ticket.status == TicketStatus.NEW
    assert all(row.solved_at is None for row in _offers(session, ticket.id))
    assert len(ticket.messages) == 1


def test_the_email_links_button_records_the_email_channel(client, session, settings, keeper, kb):
    wifi = kb[0]
    ticket = _polish_ticket(session)
    page = client.get(_solved_url(settings, ticket, wifi.id)).text
    client.post(_solved_url(settings, ticket, wifi.id), data={"csrf_token": csrf_from(page), "via": "email"})
    [solved] = [row for row in _offers(session, ticket.id) if row.solved_at is not None]
    assert solved.solved_via == SolvedVia.EMAIL


def test_another_customers_ticket_is_not_found(client, session, settings, keeper, kb):
    wifi = kb[0]
    victim = _polish_ticket(session)
    intruder = create_ticket(session)
    page = client.get(_page_url(settings, intruder)).text
    foreign = f"/tickets/{victim.id}/solved/{wifi.id}?access_token={sign_ticket_link(settings.secret_key, intruder)}"
    assert client.post(foreign, data={"csrf_token": csrf_from(page)}).status_code == 404
    assert client.get(foreign).status_code == 404
    session.refresh(victim)
    assert victim.status == TicketStatus.NEW


def test_an_article_that_was_not_offered_is_not_found(client, session, settings, keeper, kb):
    ticket = _polish_ticket(session)
    page = client.get(_page_url(settings, ticket)).text
    offered = {row.article_id for row in _offers(session, ticket.id)}
    missing = max(article.id for article in kb) + 1000
    assert missing not in offered
    response = client.post(_solved_url(settings, ticket, missing), data={"csrf_token": csrf_from(page)})
    assert response.status_code == 404


def test_solving_needs_the_csrf_token(client, session, settings, keeper, kb):
    ticket = _polish_ticket(session)
    client.get(_page_url(settings, ticket))
    response = client.post(_solved_url(settings, ticket, kb[0].id), data={})
    assert response.status_code == 403
    session.refresh(ticket)
    assert ticket.status == TicketStatus.NEW


def test_a_ticket_solved_meanwhile_gets_a_clear_message(client, session, settings, keeper, kb):
    wifi = kb[0]
    ticket = _polish_ticket(session)
    page = client.get(_page_url(settings, ticket)).text
    service.update_ticket(session, ticket, TicketUpdate(status=TicketStatus.SOLVED), staff_principal(session))
    response = client.post(_solved_url(settings, ticket, wifi.id), data={"csrf_token": csrf_from(page)})
    assert response.status_code == 409
    assert "already solved or closed" in response.text


def test_an_agent_cannot_say_it_solved_the_customers_problem(client, session, settings, keeper, kb):
    ticket = _polish_ticket(session)
    sign_in(client, session)
    token = csrf_from(client.get("/agent/tickets").text)
    response = client.post(f"/tickets/{ticket.id}/solved/{kb[0].id}", data={"csrf_token": token})
    assert response.status_code == 403


def test_a_second_click_is_not_an_error(client, session, settings, keeper, kb):
    wifi = kb[0]
    ticket = _polish_ticket(session)
    page = client.get(_page_url(settings, ticket)).text
    client.post(_solved_url(settings, ticket, wifi.id), data={"csrf_token": csrf_from(page)})
    again = client.post(
        _solved_url(settings, ticket, wifi.id), data={"csrf_token": csrf_from(page)}, follow_redirects=False
    )
    assert again.status_code == 303
    session.refresh(ticket)
    assert len(ticket.messages) == 2  # the customer's message and one note
