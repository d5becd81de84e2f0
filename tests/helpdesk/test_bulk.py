"""Bulk actions: many tickets changed as single-ticket updates would be, refusals per ticket with a reason."""

from __future__ import annotations

import pytest

from aftercare.errors import ValidationFailed
from helpdesk import bulk, service
from helpdesk.models import AuditField, TicketPriority, TicketStatus
from helpdesk.schemas import TicketBulkUpdate, TicketUpdate
from tests.factories import create_staff, create_ticket, staff_principal


def closed_ticket(session, agent):
    ticket = create_ticket(session)
    service.update_ticket(session, ticket, TicketUpdate(status=TicketStatus.SOLVED), agent)
    service.update_ticket(session, ticket, TicketUpdate(status=TicketStatus.CLOSED), agent)
    return ticket


def test_assigning_many_tickets_assigns_each(session):
    agent = staff_principal(session)
    agnieszka = create_staff(session, name="Agnieszka")
    tickets = [create_ticket(session) for _ in range(3)]

    bulk.bulk_update(session, TicketBulkUpdate(ticket_ids=[t.id for t in tickets], assignee_id=agnieszka.id), agent)

    assert [t.assignee_id for t in tickets] == [agnieszka.id] * 3


def test_each_assigned_ticket_gets_its_own_audit_event(session):
    agent = staff_principal(session)
    agnieszka = create_staff(session)
    tickets = [create_ticket(session) for _ in range(2)]

    bulk.bulk_update(session, TicketBulkUpdate(ticket_ids=[t.id for t in tickets], assignee_id=agnieszka.id), agent)

    for ticket in tickets:
        assignments = [e for e in ticket.events if e.field == AuditField.ASSIGNEE]
        assert [(e.old_value, e.new_value) for e in assignments] == [(None, str(agnieszka.id))]


def test_null_assignee_unassigns(session):
    agent = staff_principal(session)
    ticket = create_ticket(session)
    service.update_ticket(session, ticket, TicketUpdate(assignee_id=agent.user.id), agent)

    bulk.bulk_update(session, TicketBulkUpdate(ticket_ids=[ticket.id], assignee_id=None), agent)

    assert ticket.assignee_id is None


def test_an_illegal_status_move_is_refused_for_that_ticket_only(session):
    agent = staff_principal(session)
    open_ticket = create_ticket(session)
    closed = closed_ticket(session, agent)

    summary = bulk.bulk_update(
        session, TicketBulkUpdate(ticket_ids=[open_ticket.id, closed.id], status=TicketStatus.PENDING), agent
    )

    assert (open_ticket.status, closed.status) == (TicketStatus.PENDING, TicketStatus.CLOSED)
    assert [r.ticket_id for r in summary.refused] == [closed.id]


def test_the_refusal_names_the_reason(session):
    agent = staff_principal(session)
    closed = closed_ticket(session, agent)

    summary = bulk.bulk_update(session, TicketBulkUpdate(ticket_ids=[closed.id], status=TicketStatus.OPEN), agent)

    assert "closed" in summary.refused[0].refused


def test_a_refused_ticket_keeps_its_other_fields_too(session):
    # All or nothing per ticket: the priority asked with a refused status is not applied either.
    agent = staff_principal(session)
    closed = closed_ticket(session, agent)

    bulk.bulk_update(
        session,
        TicketBulkUpdate(ticket_ids=[closed.id], status=TicketStatus.OPEN, priority=TicketPriority.URGENT),
        agent,
    )

    assert closed.priority == TicketPriority.NORMAL


def test_summary_lists_changed_fields_per_ticket(session):
    agent = staff_principal(session)
    ticket = create_ticket(session)

    summary = bulk.bulk_update(
        session,
        TicketBulkUpdate(ticket_ids=[ticket.id], priority=TicketPriority.HIGH, add_tags=["billing"]),
        agent,
    )

    assert summary.results[0].changed == ("priority", "tags")


def test_a_ticket_already_as_asked_is_unchanged_not_refused(session):
    agent = staff_principal(session)
    ticket = create_ticket(session)

    summary = bulk.bulk_update(session, TicketBulkUpdate(ticket_ids=[ticket.id], priority=TicketPriority.NORMAL), agent)

    assert ([r.ticket_id for r in summary.unchanged], summary.refused) == ([ticket.id], [])


def test_tags_are_added_and_removed_keeping_the_others(session):
    agent = staff_principal(session)
    ticket = create_ticket(session)
    service.update_ticket(session, ticket, TicketUpdate(tags=["wifi", "old"]), agent)

    bulk.bulk_update(
        session, TicketBulkUpdate(ticket_ids=[ticket.id], add_tags=["Billing"], remove_tags=["old"]), agent
    )

    assert sorted(ticket.tags) == ["billing", "wifi"]


def test_an_unknown_ticket_is_refused_as_not_found(session):
    agent = staff_principal(session)

    summary = bulk.bulk_update(session, TicketBulkUpdate(ticket_ids=[987654321], priority=TicketPriority.LOW), agent)

    assert "not found" in summary.refused[0].refused


def test_an_inactive_assignee_is_refused(session):
    agent = staff_principal(session)
    gone = create_staff(session)
    gone.is_active = False
    ticket = create_ticket(session)

    summary = bulk.bulk_update(session, TicketBulkUpdate(ticket_ids=[ticket.id], assignee_id=gone.id), agent)

    assert (ticket.assignee_id, [r.ticket_id for r in summary.refused]) == (None, [ticket.id])


def test_asking_for_no_change_is_a_clear_error(session):
    agent = staff_principal(session)
    ticket = create_ticket(session)

    with pytest.raises(ValidationFailed, match="choose a change"):
        bulk.bulk_update(session, TicketBulkUpdate(ticket_ids=[ticket.id]), agent)


def test_more_than_a_hundred_tickets_are_refused_by_the_schema():
    with pytest.raises(ValueError, match="at most 100"):
        TicketBulkUpdate(ticket_ids=list(range(1, 102)), priority=TicketPriority.LOW)
