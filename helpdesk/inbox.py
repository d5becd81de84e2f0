"""The agent inbox: views with counts, filters, and keyset pagination that stays fast with many tickets.

Pages are cut by the position of their last ticket in (updated_at, id) order, newest first, not
by an OFFSET: a deep page costs what page 1 costs (``python bench/bench_inbox.py`` times both at
100k tickets), and a ticket updated while someone pages can't make another one skip or repeat.
The index ``ix_tickets_updated_id`` serves the order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select, true
from sqlalchemy.orm import Session, selectinload

from accounts import guards
from accounts.service import Principal
from aftercare.db import UTCDateTime, utcnow
from aftercare.errors import ValidationFailed
from aftercare.pagination import count_rows, paginate
from helpdesk.models import Ticket, TicketStatus, TicketTag

MAX_PAGE_SIZE = 100
MAX_SEARCH_CHARS = 200
UNSOLVED = (TicketStatus.NEW, TicketStatus.OPEN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"^(\d{1,19})\.(\d{1,19})$")


class InboxView(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    OPEN = "open"
    PENDING = "pending"
    SOLVED = "solved"
    ALL = "all"
    # Unsolved tickets whose running SLA target is at risk or already missed (helpdesk.operations.sla).
    AT_RISK = "at_risk"


def _view_condition(view: InboxView, principal: Principal) -> ColumnElement[bool]:
    me = principal.user.id if principal.user is not None else -1
    conditions: dict[InboxView, ColumnElement[bool]] = {
        InboxView.MINE: and_(Ticket.assignee_id == me, Ticket.status.in_(UNSOLVED)),
        InboxView.UNASSIGNED: and_(Ticket.assignee_id.is_(None), Ticket.status.in_(UNSOLVED)),
        InboxView.OPEN: Ticket.status.in_(UNSOLVED),
        InboxView.PENDING: Ticket.status == TicketStatus.PENDING,
        InboxView.SOLVED: Ticket.status == TicketStatus.SOLVED,
        InboxView.ALL: true(),
        InboxView.AT_RISK: and_(Ticket.status.in_(UNSOLVED), Ticket.sla_at_risk_at <= utcnow()),
    }
    return conditions[view]


class InboxSort(StrEnum):
    # Newest change first.
    UPDATED = "updated"
    # Soonest SLA due time first (helpdesk.operations.sla); tickets with no target running last.
    DUE = "due"


# Where tickets with no SLA target running sort under InboxSort.DUE (after every real due time).
NO_DUE = datetime(9999, 1, 1, tzinfo=UTC)


def _sort_key(sort: InboxSort) -> ColumnElement[datetime]:
    if sort is InboxSort.DUE:
        return func.coalesce(Ticket.sla_next_due_at, literal(NO_DUE, UTCDateTime()))
    return Ticket.updated_at


@dataclass(frozen=True)
class InboxQuery:
    view: InboxView = InboxView.OPEN
    status: TicketStatus | None = None
    # "me", "none" or a user id, as in the JSON API.
    assignee: str | None = None
    language: str | None = None
    tag: str | None = None
    # Words of the subject, or a ticket number ("#123" or "123").
    text: str | None = None
    sort: InboxSort = InboxSort.UPDATED


@dataclass(frozen=True)
class Cursor:
    """A position in (updated_at, id) order, written as "<microseconds since 1970>.<id>" in URLs."""

    updated_at: datetime
    id: int

    def encode(self) -> str:
        micros = (self.updated_at - _EPOCH) // timedelta(microseconds=1)
        return f"{micros}.{self.id}"

    @classmethod
    def decode(cls, value: str) -> Cursor:
        match = _CURSOR.match(value.strip())
        if match is None:
            raise ValidationFailed("invalid page position; go back to the first page")
        try:
            updated_at = _EPOCH + timedelta(microseconds=int(match.group(1)))
        except OverflowError as error:
            raise ValidationFailed("invalid page position; go back to the first page") from error
        return cls(updated_at=updated_at, id=int(match.group(2)))

    @classmethod
    def of(cls, ticket: Ticket, sort: InboxSort = InboxSort.UPDATED) -> Cursor:
        """The ticket's position; under InboxSort.DUE ``updated_at`` holds its sort key, the due time."""
        if sort is InboxSort.DUE:
            return cls(updated_at=ticket.sla_next_due_at or NO_DUE, id=ticket.id)
        return cls(updated_at=ticket.updated_at, id=ticket.id)


@dataclass
class InboxPage:
    tickets: list[Ticket]
    total: int
    # Where the next older / newer page starts; None at either end.
    older: Cursor | None = None
    newer: Cursor | None = None
    counts: dict[InboxView, int] = field(default_factory=dict)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filters(query: InboxQuery, principal: Principal) -> list[ColumnElement[bool]]:
    conditions = [_view_condition(query.view, principal)]
    if query.status is not None:
        conditions.append(Ticket.status == query.status)
    if query.language:
        conditions.append(Ticket.language == query.language)
    if query.tag:
        conditions.append(Ticket.tag_rows.any(TicketTag.tag == query.tag.strip().lower()))
    if query.assignee:
        if query.assignee == "none":
            conditions.append(Ticket.assignee_id.is_(None))
        elif query.assignee == "me":
            conditions.append(Ticket.assignee_id == (principal.user.id if principal.user else -1))
        elif query.assignee.isdigit():
            conditions.append(Ticket.assignee_id == int(query.assignee))
        else:
            raise ValidationFailed("assignee must be 'me', 'none' or a user id")
    text = (query.text or "").strip()[:MAX_SEARCH_CHARS]
    if text:
        number = text.removeprefix("#")
        matches_subject = func.lower(Ticket.subject).like(f"%{_escape_like(text.lower())}%", escape="\\")
        if number.isdigit() and len(number) < 10:
            conditions.append(or_(Ticket.id == int(number), matches_subject))
        else:
            conditions.append(matches_subject)
    return conditions


def view_counts(session: Session, principal: Principal) -> dict[InboxView, int]:
    """How many tickets each view holds, in one pass over the tickets."""
    guards.require_staff(principal)
    columns = [
        func.coalesce(func.sum(case((_view_condition(view, principal), 1), else_=0)), 0).label(view.value)
        for view in InboxView
        if view is not InboxView.ALL
    ]
    row = session.execute(select(func.count().label("all"), *columns).select_from(Ticket)).one()
    return {view: int(getattr(row, view.value)) for view in InboxView}


def _page_query(conditions: list[ColumnElement[bool]]) -> Select[tuple[Ticket]]:
    return (
        select(Ticket)
        .where(*conditions)
        .options(selectinload(Ticket.tag_rows), selectinload(Ticket.requester), selectinload(Ticket.assignee))
    )


def _before(cursor: Cursor, sort: InboxSort = InboxSort.UPDATED) -> ColumnElement[bool]:
    """Further down the list than the cursor: older, or (by due time) due later."""
    key = _sort_key(sort)
    if sort is InboxSort.DUE:
        return or_(key > cursor.updated_at, and_(key == cursor.updated_at, Ticket.id > cursor.id))
    return or_(key < cursor.updated_at, and_(key == cursor.updated_at, Ticket.id < cursor.id))


def _after(cursor: Cursor, sort: InboxSort = InboxSort.UPDATED) -> ColumnElement[bool]:
    """Further up the list than the cursor."""
    key = _sort_key(sort)
    if sort is InboxSort.DUE:
        return or_(key < cursor.updated_at, and_(key == cursor.updated_at, Ticket.id < cursor.id))
    return or_(key > cursor.updated_at, and_(key == cursor.updated_at, Ticket.id > cursor.id))


def _list_order(sort: InboxSort, *, reverse: bool = False) -> tuple[ColumnElement[Any], ...]:
    """The list's order (newest first, or soonest due first), or its reverse to walk back up."""
    key = _sort_key(sort)
    ascending = (sort is InboxSort.DUE) != reverse
    return (key.asc(), Ticket.id.asc()) if ascending else (key.desc(), Ticket.id.desc())


def inbox_page(
    session: Session,
    query: InboxQuery,
    principal: Principal,
    *,
    older_than: Cursor | None = None,
    newer_than: Cursor | None = None,
    size: int = 25,
) -> InboxPage:
    """One page of the inbox, newest first: the first page, or the page older / newer than a cursor."""
    guards.require_staff(principal)
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"page size must be between 1 and {MAX_PAGE_SIZE}")
    conditions = _filters(query, principal)
    total = count_rows(session, select(Ticket.id).where(*conditions))
    sort = query.sort
    if newer_than is not None:
        # Walk towards the newest, then turn the rows around for display.
        rows = list(
            session.scalars(
                _page_query([*conditions, _after(newer_than, sort)])
                .order_by(*_list_order(sort, reverse=True))
                .limit(size + 1)
            )
        )
        if len(rows) <= size:
            # Back at the newest end: show a full first page rather than a short one.
            return inbox_page(session, query, principal, size=size)
        has_newer = True
        tickets = list(reversed(rows[:size]))
        has_older = True
    else:
        extra = [_before(older_than, sort)] if older_than is not None else []
        rows = list(session.scalars(_page_query([*conditions, *extra]).order_by(*_list_order(sort)).limit(size + 1)))
        has_older = len(rows) > size
        tickets = rows[:size]
        has_newer = older_than is not None and _exists(session, [*conditions, _after(older_than, sort)])
    if not tickets:
        return InboxPage(tickets=[], total=total)
    return InboxPage(
        tickets=tickets,
        total=total,
        older=Cursor.of(tickets[-1], sort) if has_older else None,
        newer=Cursor.of(tickets[0], sort) if has_newer else None,
    )


def _exists(session: Session, conditions: list[ColumnElement[bool]]) -> bool:
    return session.scalar(select(Ticket.id).where(*conditions).limit(1)) is not None


def customer_tickets(session: Session, ticket: Ticket, *, limit: int = 10) -> tuple[list[Ticket], int]:
    """The requester's other tickets, newest first, and how many there are in all."""
    others = select(Ticket).where(Ticket.requester_id == ticket.requester_id, Ticket.id != ticket.id)
    found = paginate(session, others.order_by(Ticket.updated_at.desc(), Ticket.id.desc()), limit=limit)
    return found.items, found.total
