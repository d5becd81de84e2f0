"""Full-text ticket search: what it finds, for whom, how it highlights and pages (both databases)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from accounts.service import principal_for_user
from aftercare.db import utcnow
from aftercare.errors import ValidationFailed
from helpdesk import service, ticket_search
from helpdesk.models import Ticket, TicketStatus
from helpdesk.schemas import MessageCreate, TicketUpdate
from tests.factories import create_customer_user, create_staff, create_ticket


@pytest.fixture
def agent(session):
    return principal_for_user(create_staff(session))


def _found(session, principal, text, **facets) -> list[int]:
    page = ticket_search.search(session, ticket_search.SearchQuery(text=text, **facets), principal, size=100)
    return [hit.ticket.id for hit in page.hits]


def _solved(session, agent, **overrides):
    ticket = create_ticket(session, **overrides)
    service.update_ticket(session, ticket, TicketUpdate(status=TicketStatus.SOLVED), agent)
    session.flush()
    return ticket


def test_a_body_word_finds_a_solved_ticket(session, agent):
    ticket = _solved(session, agent, body="The dehumidifier rattles whenever the compressor starts.")
    assert ticket.id in _found(session, agent, "dehumidifier")


def test_requester_email_finds_the_ticket(session, agent):
    ticket = create_ticket(session, customer_email="wanda.quill@example.org")
    assert _found(session, agent, "wanda.quill@example.org") == [ticket.id]


def test_requester_name_finds_the_ticket(session, agent):
    ticket = create_ticket(session, customer_name="Zebulon Marchetti")
    assert ticket.id in _found(session, agent, "Marchetti")


def test_a_tag_finds_the_ticket(session, agent):
    ticket = create_ticket(session)
    service.update_ticket(session, ticket, TicketUpdate(tags=["warrantyclaim"]), agent)
    session.flush()
    assert _found(session, agent, "warrantyclaim") == [ticket.id]


@pytest.mark.parametrize("typed", ["#{}", "{}"])
def test_the_ticket_number_finds_the_ticket_first(session, agent, typed):
    ticket = create_ticket(session)
    assert _found(session, agent, typed.format(ticket.id))[0] == ticket.id


def test_an_internal_note_word_finds_the_ticket_for_agents(session, agent):
    ticket = create_ticket(session)
    service.add_message(session, ticket, MessageCreate(body="Escalated to quartermaster", kind="internal_note"), agent)
    session.flush()
    assert _found(session, agent, "quartermaster") == [ticket.id]


def test_a_customer_does_not_find_their_ticket_by_an_internal_note_word(session, agent):
    user = create_customer_user(session)
    customer = principal_for_user(user)
    ticket = create_ticket(session, customer_email=user.email)
    service.add_message(session, ticket, MessageCreate(body="Escalated to quartermaster", kind="internal_note"), agent)
    session.flush()
    assert _found(session, customer, "quartermaster") == []
    assert _found(session, customer, "thermostat") == [ticket.id]


def test_a_customer_finds_only_their_own_tickets(session):
    user = create_customer_user(session)
    own = create_ticket(session, customer_email=user.email, body="My percolator leaks.")
    create_ticket(session, body="My percolator leaks too.")
    assert _found(session, principal_for_user(user), "percolator") == [own.id]


def test_polish_finds_the_exact_word(session, agent):
    ticket = create_ticket(
        session, subject="Problem z ładowaniem", body="Odkurzacz nie chce się ładować od wczoraj.", language="pl"
    )
    assert ticket.id in _found(session, agent, "ładować")


def test_a_thai_word_finds_the_ticket(session, agent):
    # "The robot vacuum doesn't charge its battery at all", written as Thai is, with no spaces.
    ticket = create_ticket(session, subject="ชาร์จไม่เข้า", body="เครื่องดูดฝุ่นหุ่นยนต์ไม่ชาร์จแบตเตอรี่เลยครับ", language="th")
    assert ticket.id in _found(session, agent, "แบตเตอรี่")


def test_the_highlight_is_escaped(session, agent):
    create_ticket(session, body="Pasted from the app: <script>alert('xylophone')</script> then it froze.")
    [hit] = ticket_search.search(session, ticket_search.SearchQuery(text="xylophone"), agent).hits
    html = str(ticket_search.to_html(hit.snippet))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>xylophone</mark>" in html


def test_a_new_message_is_found_at_once(session, agent):
    ticket = create_ticket(session)
    assert _found(session, agent, "marmalade") == []
    service.add_message(session, ticket, MessageCreate(body="Is it the marmalade setting?"), agent)
    session.flush()
    assert _found(session, agent, "marmalade") == [ticket.id]


def test_a_changed_requester_name_is_found(session, agent):
    ticket = create_ticket(session)
    ticket.requester.name = "Ottoline Featherstonehaugh"
    session.flush()
    assert _found(session, agent, "Featherstonehaugh") == [ticket.id]


def test_every_word_must_match(session, agent):
    both = create_ticket(session, body="The kettle whistles and the toaster sparks.")
    create_ticket(session, body="The kettle whistles.")
    assert _found(session, agent, "kettle toaster") == [both.id]


def test_the_last_word_may_be_half_typed(session, agent):
    ticket = create_ticket(session, body="The humidistat reads wrong.")
    assert _found(session, agent, "humidis") == [ticket.id]


def test_facets_narrow_and_count_by_status(session, agent):
    solved = _solved(session, agent, body="The gramophone skips.")
    create_ticket(session, body="The gramophone hums.")
    page = ticket_search.search(
        session, ticket_search.SearchQuery(text="gramophone", status=TicketStatus.SOLVED), agent
    )
    assert [hit.ticket.id for hit in page.hits] == [solved.id]
    assert page.total == 1
    assert page.facets == {TicketStatus.SOLVED: 1, TicketStatus.NEW: 1}


def test_keyset_pages_cover_every_match_once(session, agent):
    tickets = [create_ticket(session, body=f"Harmonium fault number {n}.") for n in range(7)]
    base = utcnow() - timedelta(days=1)
    for offset, ticket in enumerate(tickets):
        ticket.updated_at = base + timedelta(seconds=offset)
    session.flush()
    seen: list[int] = []
    after = None
    while True:
        page = ticket_search.search(session, ticket_search.SearchQuery(text="harmonium"), agent, after=after, size=3)
        seen.extend(hit.ticket.id for hit in page.hits)
        if page.next is None:
            break
        after = ticket_search.SearchCursor.decode(page.next.encode())
    assert sorted(seen) == sorted(ticket.id for ticket in tickets)
    assert len(seen) == len(set(seen))


def test_a_bad_cursor_is_refused(session):
    with pytest.raises(ValidationFailed):
        ticket_search.SearchCursor.decode("0x1.8p+0~x")


def test_punctuation_alone_finds_nothing(session, agent):
    create_ticket(session)
    page = ticket_search.search(session, ticket_search.SearchQuery(text='"* - ( ) :'), agent)
    assert page.hits == [] and page.total == 0


def test_a_deleted_message_is_no_longer_found(session, agent):
    ticket = create_ticket(session)
    note = service.add_message(
        session, ticket, MessageCreate(body="Call back about the sousaphone", kind="internal_note"), agent
    )
    session.flush()
    session.delete(note)
    session.flush()
    assert _found(session, agent, "sousaphone") == []


def test_a_bulk_update_of_subjects_is_indexed(session, agent):
    ticket = create_ticket(session, subject="Kazoo buzzes")
    session.execute(update(Ticket).where(Ticket.id == ticket.id).values(subject="Redacted"))
    assert _found(session, agent, "kazoo") == []
