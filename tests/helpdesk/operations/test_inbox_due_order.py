"""The inbox sorted by SLA due time: soonest first, tickets with no target running last, keyset pages whole."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.service import principal_for_user
from aftercare.db import utcnow
from helpdesk import inbox
from tests.factories import create_staff, create_ticket


@pytest.fixture
def agent(session):
    return principal_for_user(create_staff(session))


def _tickets_due(session, hours: list[int | None]):
    """Tickets whose running target is due in these many hours (None: none running)."""
    now = utcnow()
    made = []
    for offset in hours:
        ticket = create_ticket(session, subject=f"due in {offset} h")
        ticket.sla_next_due_at = None if offset is None else now + timedelta(hours=offset)
        made.append(ticket)
    session.flush()
    return made


def test_soonest_due_first_and_untimed_last(session, agent):
    in_5, none, overdue, in_1 = _tickets_due(session, [5, None, -2, 1])
    page = inbox.inbox_page(
        session, inbox.InboxQuery(view=inbox.InboxView.ALL, sort=inbox.InboxSort.DUE), agent, size=100
    )
    mine = [t.id for t in page.tickets if t.id in {in_5.id, none.id, overdue.id, in_1.id}]
    assert mine == [overdue.id, in_1.id, in_5.id, none.id]


def test_pages_by_due_time_neither_skip_nor_repeat(session, agent):
    made = _tickets_due(session, [3, None, 1, None, 2, 4, -1])
    ours = {t.id for t in made}
    query = inbox.InboxQuery(view=inbox.InboxView.ALL, sort=inbox.InboxSort.DUE)
    seen: list[int] = []
    page = inbox.inbox_page(session, query, agent, size=2)
    while True:
        seen.extend(t.id for t in page.tickets)
        if page.older is None:
            break
        page = inbox.inbox_page(session, query, agent, older_than=page.older, size=2)
    assert len(seen) == len(set(seen))
    assert ours <= set(seen)
    # The timed ones in due order: -1, 1, 2, 3, 4 hours.
    assert [i for i in seen if i in ours][:5] == [made[6].id, made[2].id, made[4].id, made[0].id, made[5].id]
