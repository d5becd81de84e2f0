"""The inbox service: views and their counts, filters, keyset pages that neither skip nor repeat."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.service import Principal, principal_for_user
from aftercare.db import utcnow
from aftercare.errors import Forbidden, ValidationFailed
from helpdesk import inbox, service
from helpdesk.models import TicketStatus
from helpdesk.schemas import TicketUpdate
from tests.factories import create_customer_user, create_staff, create_ticket


@pytest.fixture
def agent(session):
    return principal_for_user(create_staff(session))


def _ids(page: inbox.InboxPage) -> list[int]:
    return [ticket.id for ticket in page.tickets]


def _spread_updates(session, tickets):
    """Distinct, known update times (oldest first) so that order is certain."""
    base = utcnow() - timedelta(days=1)
    for offset, ticket in enumerate(tickets):
        ticket.updated_at = base + timedelta(seconds=offset)
    session.flush()


# Six tickets, one per case the views tell apart; which views each belongs to is worked out by
# hand from what the views mean to an agent: "open", "mine" and "unassigned" are tickets waiting on
# the team (new or open); pending ones wait on the customer and have their own view; "all" is all.
VIEW_CASES = {
    "new, mine": (TicketStatus.NEW, "me", {"mine", "open", "all"}),
    "new, nobody's": (TicketStatus.NEW, None, {"unassigned", "open", "all"}),
    "pending, nobody's": (TicketStatus.PENDING, None, {"pending", "all"}),
    "pending, a colleague's": (TicketStatus.PENDING, "colleague", {"pending", "all"}),
    "solved, mine": (TicketStatus.SOLVED, "me", {"solved", "all"}),
    "closed, nobody's": (TicketStatus.CLOSED, None, {"all"}),
    # "At risk": waiting on the team with an SLA target in its at-risk stretch, or already missed.
    "open, nobody's, SLA at risk": (TicketStatus.OPEN, None, {"unassigned", "open", "at_risk", "all"}),
    "new, mine, SLA breached": (TicketStatus.NEW, "me", {"mine", "open", "at_risk", "all"}),
    "new, nobody's, SLA due later": (TicketStatus.NEW, None, {"unassigned", "open", "all"}),
}
# Where the SLA clock of a case stands, as (at risk from, due) relative to now; other cases have no policy.
SLA_CLOCKS = {
    "open, nobody's, SLA at risk": (timedelta(minutes=-10), timedelta(minutes=50)),
    "new, mine, SLA breached": (timedelta(hours=-2), timedelta(hours=-1)),
    "new, nobody's, SLA due later": (timedelta(hours=3), timedelta(hours=4)),
}
# Tallied from the table above.
EXPECTED_VIEW_COUNTS = {
    "mine": 2,
    "unassigned": 3,
    "open": 5,
    "pending": 2,
    "solved": 1,
    "all": 9,
    "at_risk": 2,
}


def _view_fixture(session, agent) -> dict[int, set[str]]:
    colleague = create_staff(session)
    views_of: dict[int, set[str]] = {}
    for label, (status, owner, views) in VIEW_CASES.items():
        ticket = create_ticket(session, subject=label)
        ticket.status = status
        ticket.assignee_id = {"me": agent.user.id, "colleague": colleague.id, None: None}[owner]
        if label in SLA_CLOCKS:
            at_risk_in, due_in = SLA_CLOCKS[label]
            ticket.sla_at_risk_at, ticket.sla_next_due_at = utcnow() + at_risk_in, utcnow() + due_in
        views_of[ticket.id] = views
    session.flush()
    return views_of


def test_view_counts_are_the_hand_counted_figures(session, agent):
    before = inbox.view_counts(session, agent)
    _view_fixture(session, agent)
    after = inbox.view_counts(session, agent)
    assert {view.value: after[view] - before[view] for view in inbox.InboxView} == EXPECTED_VIEW_COUNTS


@pytest.mark.parametrize("view", list(inbox.InboxView))
def test_each_view_lists_exactly_its_tickets(session, agent, view):
    views_of = _view_fixture(session, agent)
    listed = set(_ids(inbox.inbox_page(session, inbox.InboxQuery(view=view), agent, size=100)))
    assert {ticket_id for ticket_id in views_of if ticket_id in listed} == {
        ticket_id for ticket_id, views in views_of.items() if view.value in views
    }


def test_unassigned_view_leaves_out_assigned_tickets(session, agent):
    assigned = create_ticket(session)
    service.update_ticket(session, assigned, TicketUpdate(assignee_id=agent.user.id), agent)
    page = inbox.inbox_page(session, inbox.InboxQuery(view=inbox.InboxView.UNASSIGNED), agent, size=100)
    assert assigned.id not in _ids(page)


def test_keyset_pages_cover_every_ticket_once(session, agent):
    tickets = [create_ticket(session, subject=f"Paging check {n}") for n in range(7)]
    _spread_updates(session, tickets)
    query = inbox.InboxQuery(view=inbox.InboxView.ALL, text="Paging check")
    seen: list[int] = []
    page = inbox.inbox_page(session, query, agent, size=3)
    while True:
        seen.extend(_ids(page))
        if page.older is None:
            break
        page = inbox.inbox_page(session, query, agent, older_than=page.older, size=3)
    assert seen == [ticket.id for ticket in reversed(tickets)]


def test_newer_cursor_goes_back_a_page(session, agent):
    tickets = [create_ticket(session, subject=f"Back check {n}") for n in range(7)]
    _spread_updates(session, tickets)
    query = inbox.InboxQuery(view=inbox.InboxView.ALL, text="Back check")
    first = inbox.inbox_page(session, query, agent, size=3)
    second = inbox.inbox_page(session, query, agent, older_than=first.older, size=3)
    third = inbox.inbox_page(session, query, agent, older_than=second.older, size=3)
    assert _ids(inbox.inbox_page(session, query, agent, newer_than=third.newer, size=3)) == _ids(second)


def test_going_back_to_the_newest_end_shows_a_full_first_page(session, agent):
    tickets = [create_ticket(session, subject=f"Full check {n}") for n in range(5)]
    _spread_updates(session, tickets)
    query = inbox.InboxQuery(view=inbox.InboxView.ALL, text="Full check")
    first = inbox.inbox_page(session, query, agent, size=3)
    second = inbox.inbox_page(session, query, agent, older_than=first.older, size=3)
    back = inbox.inbox_page(session, query, agent, newer_than=second.newer, size=3)
    assert _ids(back) == _ids(first) and back.newer is None


def test_cursor_round_trips():
    cursor = inbox.Cursor(updated_at=utcnow(), id=42)
    assert inbox.Cursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize("value", ["", "abc", "1.2.3", "-5.1", "99999999999999999999.1"])
def test_bad_cursor_is_a_clear_error(value):
    with pytest.raises(ValidationFailed):
        inbox.Cursor.decode(value)


def test_text_search_matches_subject_case_insensitively(session, agent):
    ticket = create_ticket(session, subject="Grinding NOISE from the Aurora")
    create_ticket(session, subject="Something else entirely")
    page = inbox.inbox_page(session, inbox.InboxQuery(view=inbox.InboxView.ALL, text="grinding noise"), agent)
    assert _ids(page) == [ticket.id]


def test_text_search_treats_like_wildcards_as_text(session, agent):
    create_ticket(session, subject="Nothing special")
    page = inbox.inbox_page(session, inbox.InboxQuery(view=inbox.InboxView.ALL, text="%"), agent)
    assert all("%" in ticket.subject for ticket in page.tickets)


def test_text_search_finds_ticket_number(session, agent):
    ticket = create_ticket(session)
    page = inbox.inbox_page(session, inbox.InboxQuery(view=inbox.InboxView.ALL, text=f"#{ticket.id}"), agent)
    assert ticket.id in _ids(page)


def test_language_and_tag_filters(session, agent):
    polish = create_ticket(session, subject="Termostat", body="Termostat nie łączy się z siecią Wi-Fi od wczoraj.")
    service.update_ticket(session, polish, TicketUpdate(tags=["nimbus"]), agent)
    create_ticket(session)
    page = inbox.inbox_page(session, inbox.InboxQuery(view=inbox.InboxView.ALL, language="pl", tag="NIMBUS"), agent)
    assert _ids(page) == [polish.id]


def test_total_counts_all_matches_not_just_the_page(session, agent):
    for n in range(4):
        create_ticket(session, subject=f"Total check {n}")
    page = inbox.inbox_page(session, inbox.InboxQuery(view=inbox.InboxView.ALL, text="Total check"), agent, size=2)
    assert page.total == 4 and len(page.tickets) == 2


def test_customers_cannot_use_the_inbox(session):
    customer = principal_for_user(create_customer_user(session))
    with pytest.raises(Forbidden):
        inbox.inbox_page(session, inbox.InboxQuery(), customer)
    with pytest.raises(Forbidden):
        inbox.view_counts(session, Principal())


def test_customer_tickets_lists_the_others(session):
    first = create_ticket(session, customer_email="repeat@example.com")
    second = create_ticket(session, customer_email="repeat@example.com")
    others, total = inbox.customer_tickets(session, second)
    assert [ticket.id for ticket in others] == [first.id] and total == 1
