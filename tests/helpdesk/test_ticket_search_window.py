"""Full-text ticket search past its ranking window, and the bulk rebuild of its index (both databases)."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from accounts.service import principal_for_user
from helpdesk import service, ticket_search
from helpdesk.models import Message
from helpdesk.schemas import MessageCreate
from tests.factories import create_customer_user, create_staff, create_ticket


@pytest.fixture
def agent(session):
    return principal_for_user(create_staff(session))


@pytest.fixture
def window_of_three(monkeypatch):
    monkeypatch.setattr(ticket_search.query, "RANKED_WINDOW", 3)


def _search(session, principal, text):
    return ticket_search.search(session, ticket_search.SearchQuery(text=text), principal, size=100)


def test_more_matches_than_the_window_rank_the_newest_and_say_so(session, agent, window_of_three):
    tickets = [create_ticket(session, body=f"The ocarina squeaks, case {n}.") for n in range(5)]
    page = _search(session, agent, "ocarina")
    # Ticket ids grow with age order: the three created last are the newest.
    assert sorted(hit.ticket.id for hit in page.hits) == sorted(ticket.id for ticket in tickets[-3:])
    assert page.capped


def test_a_capped_total_counts_the_window(session, agent, window_of_three):
    for n in range(5):
        create_ticket(session, body=f"The ocarina squeaks, case {n}.")
    assert _search(session, agent, "ocarina").total == 3


def test_as_many_matches_as_the_window_are_not_capped(session, agent, window_of_three):
    for n in range(3):
        create_ticket(session, body=f"The ocarina squeaks, case {n}.")
    page = _search(session, agent, "ocarina")
    assert (page.total, page.capped) == (3, False)


def test_a_customer_finds_an_old_ticket_past_other_customers_newer_ones(session, window_of_three):
    user = create_customer_user(session)
    own = create_ticket(session, customer_email=user.email, body="My ocarina squeaks.")
    for n in range(5):
        create_ticket(session, body=f"The ocarina squeaks, case {n}.")
    assert [hit.ticket.id for hit in _search(session, principal_for_user(user), "ocarina").hits] == [own.id]


def test_the_bulk_rebuild_indexes_rows_written_by_sql(session, agent):
    ticket = create_ticket(session)
    # Written around the session, as a bulk import would: the flush listener never sees it.
    session.execute(
        insert(Message.__table__).values(ticket_id=ticket.id, kind="public_reply", body="Bassoon reed", channel="web")
    )
    ticket_search.reindex_all(session.connection())
    assert [hit.ticket.id for hit in _search(session, agent, "bassoon").hits] == [ticket.id]


def test_the_index_is_kept_by_its_triggers_again_after_a_bulk_rebuild(session, agent):
    ticket = create_ticket(session)
    ticket_search.reindex_all(session.connection())
    service.add_message(session, ticket, MessageCreate(body="Now the clavichord too"), agent)
    session.flush()
    assert [hit.ticket.id for hit in _search(session, agent, "clavichord").hits] == [ticket.id]


def test_the_bulk_rebuild_counts_every_ticket(session):
    create_ticket(session)
    create_ticket(session)
    assert ticket_search.reindex_all(session.connection()) == len(
        session.scalars(select(ticket_search.INDEX.c.ticket_id)).all()
    )
