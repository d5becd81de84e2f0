"""aftercare.pagination: a query's page and its total, on a real table (tickets)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from aftercare.errors import ValidationFailed
from aftercare.pagination import count_rows, page_offset, paginate
from helpdesk.models import Ticket
from tests.factories import create_ticket


@pytest.fixture
def ticket_ids(session) -> list[int]:
    """Five tickets; ids grow in creation order, so ordering by id gives creation order."""
    return [create_ticket(session).id for _ in range(5)]


def _oldest_first(ids: list[int]):
    # Limited to this test's tickets, so rows other tests may leave behind cannot shift a page.
    return select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id)


def test_total_counts_every_row_not_only_the_page(session, ticket_ids):
    page = paginate(session, _oldest_first(ticket_ids), limit=2)

    assert page.total == 5


def test_page_holds_the_rows_after_the_offset_in_query_order(session, ticket_ids):
    page = paginate(session, _oldest_first(ticket_ids), offset=2, limit=2)

    # Third and fourth ticket created: two skipped, two taken.
    assert [ticket.id for ticket in page.items] == ticket_ids[2:4]


def test_page_holds_at_most_limit_rows(session, ticket_ids):
    page = paginate(session, _oldest_first(ticket_ids), limit=3)

    assert len(page.items) == 3


def test_last_page_holds_what_is_left_and_says_nothing_follows(session, ticket_ids):
    page = paginate(session, _oldest_first(ticket_ids), offset=4, limit=2)

    # Five tickets, four skipped: one left.
    assert [ticket.id for ticket in page.items] == ticket_ids[4:]
    assert page.has_more is False


def test_a_page_before_the_end_says_more_follow(session, ticket_ids):
    page = paginate(session, _oldest_first(ticket_ids), offset=0, limit=2)

    assert page.has_more is True


def test_page_past_the_end_is_empty_and_keeps_the_total(session, ticket_ids):
    page = paginate(session, _oldest_first(ticket_ids), offset=10, limit=2)

    assert page.items == []
    assert page.total == 5


def test_eager_loading_does_not_change_the_count(session, ticket_ids):
    query = _oldest_first(ticket_ids).options(selectinload(Ticket.tag_rows), selectinload(Ticket.requester))

    assert count_rows(session, query) == 5


@pytest.mark.parametrize("limit", [0, -1])
def test_a_limit_below_one_is_refused(session, ticket_ids, limit):
    with pytest.raises(ValidationFailed, match="limit must be 1 or more"):
        paginate(session, _oldest_first(ticket_ids), limit=limit)


def test_a_negative_offset_is_refused(session, ticket_ids):
    with pytest.raises(ValidationFailed, match="offset must be 0 or more"):
        paginate(session, _oldest_first(ticket_ids), offset=-1, limit=2)


def test_page_number_becomes_the_rows_before_it():
    # Pages 1 and 2 hold 25 rows each, so page 3 starts after 50.
    assert page_offset(3, 25, max_page_size=100) == 50


def test_page_zero_is_refused():
    with pytest.raises(ValidationFailed, match="page must be 1 or more"):
        page_offset(0, 25, max_page_size=100)


def test_page_size_above_the_maximum_is_refused():
    with pytest.raises(ValidationFailed, match="page_size must be between 1 and 100"):
        page_offset(1, 101, max_page_size=100)
