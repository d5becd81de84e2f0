"""The ticket search index's upkeep: one ``ticket_search`` row per ticket, kept with every change.

The row holds the ticket's searchable text as words separated by spaces (see ``tokens``): the
number, subject, requester's name and e-mail, tags, public messages and internal notes. It is
rewritten in the same transaction as the change, from the flush (an ORM listener below), so a
search sees a new message at once and a rollback takes the index back with the rest. Code that
writes tickets with bulk SQL calls :func:`reindex` itself.

Each database indexes that row its own way, by triggers the migrations own: FTS5's ``ticket_fts``
on SQLite (54b7d6707896), the ``ticket_search_vectors`` tsvectors on PostgreSQL (15d2f75e0007).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Integer, bindparam, column, delete, event, insert, inspect, select, table
from sqlalchemy import text as sql
from sqlalchemy.engine import Result
from sqlalchemy.orm import ORMExecuteState, Session

from accounts.models import Customer
from helpdesk.models import Message, MessageKind, Ticket, TicketTag
from helpdesk.ticket_search.tokens import field_text, pg_config

REINDEX_BATCH = 500
# FTS5's columns, in the table's order (see the migration); bm25 weighs them in this order.
FTS_COLUMNS = ("number", "subject", "people", "tags", "public_text", "internal_text")

INDEX = table(
    "ticket_search",
    column("ticket_id", Integer),
    column("config"),
    *(column(name) for name in FTS_COLUMNS),
)
# Read back and run again by reindex_all, which drops them for the bulk load.
_PG_BULK_INDEXES = ("ix_ticket_search_vectors_document",)
_SQLITE_BULK_TRIGGERS = ("ticket_search_ai", "ticket_search_ad")


def _documents(connection: Connection, ticket_ids: Sequence[int]) -> list[dict[str, Any]]:
    bodies: dict[tuple[int, bool], list[str]] = {}
    for ticket_id, kind, body in connection.execute(
        select(Message.ticket_id, Message.kind, Message.body)
        .where(Message.ticket_id.in_(ticket_ids))
        # By ticket first, so that the index on ticket_id serves the order too (by id alone,
        # SQLite may walk every message in id order instead).
        .order_by(Message.ticket_id, Message.id)
    ):
        bodies.setdefault((ticket_id, kind == MessageKind.INTERNAL_NOTE), []).append(body)
    tags: dict[int, list[str]] = {}
    for ticket_id, tag in connection.execute(
        select(TicketTag.ticket_id, TicketTag.tag).where(TicketTag.ticket_id.in_(ticket_ids))
    ):
        tags.setdefault(ticket_id, []).append(tag)
    rows = connection.execute(
        select(Ticket.id, Ticket.subject, Ticket.language, Customer.name, Customer.email)
        .join(Customer, Customer.id == Ticket.requester_id)
        .where(Ticket.id.in_(ticket_ids))
    )
    return [
        {
            "ticket_id": ticket_id,
            "config": pg_config(language),
            "number": str(ticket_id),
            "subject": field_text([subject]),
            "people": field_text([name or "", email]),
            "tags": field_text(tags.get(ticket_id, [])),
            "public_text": field_text(bodies.get((ticket_id, False), [])),
            "internal_text": field_text(bodies.get((ticket_id, True), [])),
        }
        for ticket_id, subject, language, name, email in rows
    ]


def reindex(connection: Connection, ticket_ids: Iterable[int]) -> None:
    """Rewrite the index rows of these tickets from the tables (a deleted ticket loses its row)."""
    ids = sorted(set(ticket_ids))
    for start in range(0, len(ids), REINDEX_BATCH):
        batch = ids[start : start + REINDEX_BATCH]
        documents = _documents(connection, batch)
        connection.execute(delete(INDEX).where(INDEX.c.ticket_id.in_(batch)))
        if documents:
            connection.execute(insert(INDEX), documents)


def reindex_all(connection: Connection, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild every ticket's row (after bulk SQL that bypassed the session); returns how many.

    In bulk: the database's own index is built once at the end (FTS5 'rebuild'; PostgreSQL's GIN
    index dropped and created again) instead of row by row, which at 100k tickets is the
    difference between minutes and most of an hour. ``progress(done, total)`` after each batch."""
    ids = list(connection.scalars(select(Ticket.id).order_by(Ticket.id)))
    postgres = connection.dialect.name == "postgresql"
    # The definitions are read back rather than repeated here: the migrations own them.
    if postgres:
        found = sql("SELECT indexdef FROM pg_indexes WHERE indexname IN :names")
        names, drop = _PG_BULK_INDEXES, "DROP INDEX IF EXISTS {}"
    else:
        found = sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN :names")
        names, drop = _SQLITE_BULK_TRIGGERS, "DROP TRIGGER IF EXISTS {}"
    saved = list(connection.scalars(found.bindparams(bindparam("names", list(names), expanding=True))))
    for name in names:
        connection.execute(sql(drop.format(name)))
    connection.execute(delete(INDEX))
    for start in range(0, len(ids), REINDEX_BATCH * 4):
        documents = _documents(connection, ids[start : start + REINDEX_BATCH * 4])
        if documents:
            connection.execute(insert(INDEX), documents)
        if progress is not None:
            progress(min(start + REINDEX_BATCH * 4, len(ids)), len(ids))
    if postgres:
        connection.execute(sql("SET LOCAL maintenance_work_mem = '256MB'"))
    else:
        connection.execute(sql("INSERT INTO ticket_fts(ticket_fts) VALUES ('rebuild')"))
        connection.execute(sql("INSERT INTO ticket_fts(ticket_fts) VALUES ('optimize')"))
    for statement in saved:
        connection.exec_driver_sql(statement)
    return len(ids)


def _changed(obj: object, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "after_flush")
def _keep_index(session: Session, _context: object) -> None:
    """Reindex the tickets whose searchable text this flush changed, in the same transaction."""
    ticket_ids: set[int] = set()
    customer_ids: set[int] = set()
    for obj in chain(session.new, session.deleted):
        if isinstance(obj, Ticket):
            ticket_ids.add(obj.id)
        elif isinstance(obj, Message | TicketTag):
            ticket_ids.add(obj.ticket_id)
    for obj in session.dirty:
        if isinstance(obj, Ticket) and _changed(obj, "subject", "language", "requester_id"):
            ticket_ids.add(obj.id)
        elif isinstance(obj, Message) and _changed(obj, "body", "kind", "ticket_id"):
            ticket_ids.add(obj.ticket_id)
        elif isinstance(obj, Customer) and _changed(obj, "name", "email"):
            customer_ids.add(obj.id)
    if customer_ids:
        ticket_ids.update(session.connection().scalars(select(Ticket.id).where(Ticket.requester_id.in_(customer_ids))))
    ticket_ids.discard(None)  # a message flushed without its ticket
    if ticket_ids:
        reindex(session.connection(), ticket_ids)


@event.listens_for(Session, "do_orm_execute")
def _keep_index_in_bulk(state: ORMExecuteState) -> Result[Any] | None:
    """The same for a bulk UPDATE or DELETE through the session (erasure rewrites subjects so)."""
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return None
    entity = state.bind_mapper.class_
    affected = {
        Ticket: select(Ticket.id),
        Message: select(Message.ticket_id),
        Customer: select(Ticket.id).join(Customer, Customer.id == Ticket.requester_id),
    }.get(entity)
    if affected is None:
        return None
    where = state.statement.whereclause
    # Which tickets, asked before the statement runs: after a DELETE the rows are gone.
    ticket_ids = set(state.session.connection().scalars(affected.where(where) if where is not None else affected))
    result = state.invoke_statement()
    reindex(state.session.connection(), ticket_ids)
    return result
