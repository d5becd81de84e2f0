"""Offset pagination: how many rows a query finds, and one page of them.

Lists across the app (tickets, articles, forum threads, the outbox, mail logs, purchases) answer
"these rows, and this many in all". This module is the one place that counts a query and cuts its
page, so the total always counts the same filter the page was drawn from. Lists walked by cursor
(the agent inbox) keep their keyset paging and use only ``count_rows`` for their total.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar, TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from aftercare.errors import ValidationFailed

T = TypeVar("T")
# A select's column types, so a cut query keeps the row type of the query it was cut from.
Columns = TypeVarTuple("Columns")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows in order, how many rows the whole list holds, and where the page sits."""

    items: list[T]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        """Whether rows follow this page."""
        return self.offset + len(self.items) < self.total


def page_offset(page: int, page_size: int, *, max_page_size: int) -> int:
    """The offset of a 1-based page number, once the page and its size are checked."""
    if page < 1:
        raise ValidationFailed("page must be 1 or more")
    if not 1 <= page_size <= max_page_size:
        raise ValidationFailed(f"page_size must be between 1 and {max_page_size}")
    return (page - 1) * page_size


def count_rows(session: Session, query: Select[*Columns]) -> int:
    """How many rows ``query`` finds (its ORDER BY dropped: it cannot change a count)."""
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def window(query: Select[*Columns], *, offset: int, limit: int) -> Select[*Columns]:
    """``query`` cut to ``limit`` rows after the first ``offset``; order ``query`` first, or the cut is arbitrary."""
    if limit < 1:
        raise ValidationFailed("limit must be 1 or more")
    if offset < 0:
        raise ValidationFailed("offset must be 0 or more")
    return query.limit(limit).offset(offset)


def paginate(session: Session, query: Select[T], *, offset: int = 0, limit: int) -> Page[T]:
    """One page of an ordered query of single entities (or values), with the count of all its rows."""
    page_query = window(query, offset=offset, limit=limit)
    total = count_rows(session, query)
    items = list(session.scalars(page_query))
    return Page(items=items, total=total, offset=offset, limit=limit)
