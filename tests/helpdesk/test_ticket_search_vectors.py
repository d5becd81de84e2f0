"""PostgreSQL's narrow ``ticket_search_vectors`` table, kept by its trigger on ``ticket_search``.

The search tests (both databases) show what a search finds; these show the table itself is in
step with the tickets, so a stale or missing row cannot hide behind a search that happens to work.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text

from accounts.service import principal_for_user
from helpdesk import service, ticket_search
from helpdesk.models import MessageKind, Ticket
from helpdesk.schemas import MessageCreate
from tests.factories import create_staff, create_ticket


@pytest.fixture(autouse=True)
def _postgresql_only(session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the narrow vector table is PostgreSQL's")


def _matches(session, ticket_id: int, column: str, word: str) -> bool:
    return session.scalar(
        text(f"SELECT {column} @@ to_tsquery('simple', :word) FROM ticket_search_vectors WHERE ticket_id = :id"),
        {"word": word, "id": ticket_id},
    )


def test_a_new_ticket_has_one_vector_row(session):
    ticket = create_ticket(session)
    session.flush()
    rows = session.scalars(text("SELECT ticket_id FROM ticket_search_vectors WHERE ticket_id = :id"), {"id": ticket.id})
    assert rows.all() == [ticket.id]


def test_a_new_message_is_in_the_vector_at_once(session):
    ticket = create_ticket(session)
    service.add_message(
        session, ticket, MessageCreate(body="The harpsichord hums"), principal_for_user(create_staff(session))
    )
    session.flush()
    assert _matches(session, ticket.id, "document", "harpsichord")


def test_an_internal_note_is_kept_out_of_the_public_vector(session):
    ticket = create_ticket(session)
    note = MessageCreate(body="Sitar supplier delayed", kind=MessageKind.INTERNAL_NOTE)
    service.add_message(session, ticket, note, principal_for_user(create_staff(session)))
    session.flush()
    assert (
        _matches(session, ticket.id, "document", "sitar"),
        _matches(session, ticket.id, "public_document", "sitar"),
    ) == (
        True,
        False,
    )


def test_a_deleted_ticket_takes_its_vectors_with_it(session):
    ticket = create_ticket(session)
    session.flush()
    session.execute(delete(Ticket).where(Ticket.id == ticket.id))
    assert (
        session.scalar(text("SELECT count(*) FROM ticket_search_vectors WHERE ticket_id = :id"), {"id": ticket.id}) == 0
    )


def test_the_bulk_rebuild_writes_every_tickets_vectors_and_its_index(session):
    create_ticket(session)
    create_ticket(session)
    ticket_search.reindex_all(session.connection())
    vectors = session.scalar(text("SELECT count(*) FROM ticket_search_vectors"))
    index = session.scalar(
        text("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_ticket_search_vectors_document'")
    )
    assert (vectors, index) == (len(session.scalars(select(Ticket.id)).all()), 1)
