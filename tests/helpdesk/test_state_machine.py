"""The ticket status state machine: legal moves, illegal ones refused, audit trail kept."""

from __future__ import annotations

import pytest

from accounts.service import Principal
from aftercare.errors import Forbidden, InvalidTransition
from helpdesk import service
from helpdesk.models import AuditField, MessageKind, TicketStatus
from helpdesk.schemas import MessageCreate, TicketUpdate
from tests.factories import create_ticket, staff_principal

LEGAL_PATHS = [
    [TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.OPEN, TicketStatus.SOLVED, TicketStatus.CLOSED],
    [TicketStatus.SOLVED, TicketStatus.OPEN, TicketStatus.SOLVED],
    [TicketStatus.PENDING, TicketStatus.SOLVED, TicketStatus.CLOSED],
]


@pytest.mark.parametrize("path", LEGAL_PATHS)
def test_legal_paths_are_followed(session, path):
    ticket = create_ticket(session)
    agent = staff_principal(session)
    for status in path:
        service.update_ticket(session, ticket, TicketUpdate(status=status), agent)
    assert ticket.status == path[-1]


@pytest.mark.parametrize(
    ("start_path", "illegal"),
    [
        ([], TicketStatus.CLOSED),
        ([TicketStatus.OPEN], TicketStatus.NEW),
        ([TicketStatus.OPEN], TicketStatus.CLOSED),
        ([TicketStatus.SOLVED, TicketStatus.CLOSED], TicketStatus.OPEN),
    ],
)
def test_illegal_transition_is_refused_and_changes_nothing(session, start_path, illegal):
    ticket = create_ticket(session)
    agent = staff_principal(session)
    for status in start_path:
        service.change_status(ticket, status, agent)
    before = ticket.status
    with pytest.raises(InvalidTransition):
        service.change_status(ticket, illegal, agent)
    assert ticket.status == before


def test_every_status_change_is_audited(session):
    ticket = create_ticket(session)
    agent = staff_principal(session)
    service.update_ticket(session, ticket, TicketUpdate(status=TicketStatus.OPEN), agent)
    service.update_ticket(session, ticket, TicketUpdate(status=TicketStatus.SOLVED), agent)
    status_events = [(e.old_value, e.new_value, e.actor_user_id) for e in ticket.events if e.field == AuditField.STATUS]
    assert status_events == [("new", "open", agent.user.id), ("open", "solved", agent.user.id)]


def test_solving_stamps_solved_at_and_reopening_clears_it(session):
    ticket = create_ticket(session)
    agent = staff_principal(session)
    service.change_status(ticket, TicketStatus.SOLVED, agent)
    assert ticket.solved_at is not None
    service.change_status(ticket, TicketStatus.OPEN, agent)
    assert ticket.solved_at is None


def test_customer_reply_reopens_a_pending_ticket(session):
    ticket = create_ticket(session)
    agent = staff_principal(session)
    service.change_status(ticket, TicketStatus.PENDING, agent)
    customer = Principal(customer=ticket.requester, ticket_link_id=ticket.id)
    service.add_message(session, ticket, MessageCreate(body="Still broken, sorry."), customer)
    assert ticket.status == TicketStatus.OPEN


def test_customer_cannot_put_ticket_on_pending(session):
    ticket = create_ticket(session)
    service.change_status(ticket, TicketStatus.OPEN, staff_principal(session))
    customer = Principal(customer=ticket.requester, ticket_link_id=ticket.id)
    with pytest.raises(Forbidden):
        service.change_status(ticket, TicketStatus.PENDING, customer)


def test_reply_to_closed_ticket_is_refused(session):
    ticket = create_ticket(session)
    agent = staff_principal(session)
    service.change_status(ticket, TicketStatus.SOLVED, agent)
    service.change_status(ticket, TicketStatus.CLOSED, agent)
    with pytest.raises(InvalidTransition):
        service.add_message(session, ticket, MessageCreate(body="hello?"), agent)


def test_assigning_a_new_ticket_opens_it(session):
    ticket = create_ticket(session)
    agent = staff_principal(session)
    service.update_ticket(session, ticket, TicketUpdate(assignee_id=agent.user.id), agent)
    assert (ticket.assignee_id, ticket.status) == (agent.user.id, TicketStatus.OPEN)


def test_customer_cannot_write_internal_note(session):
    ticket = create_ticket(session)
    customer = Principal(customer=ticket.requester, ticket_link_id=ticket.id)
    with pytest.raises(Forbidden):
        service.add_message(session, ticket, MessageCreate(body="x", kind=MessageKind.INTERNAL_NOTE), customer)


# ---- what the menus offer (helpdesk.transitions) ---------------------------------------------


def test_a_pending_ticket_offers_open_and_solved_but_not_closed(session):
    # The audit's case: "closed" was offered on a pending ticket and then refused.
    from helpdesk.transitions import next_statuses

    assert next_statuses(TicketStatus.PENDING, staff_principal(session)) == [TicketStatus.OPEN, TicketStatus.SOLVED]


def test_a_closed_ticket_offers_nothing(session):
    from helpdesk.transitions import next_statuses

    assert next_statuses(TicketStatus.CLOSED, staff_principal(session)) == []


@pytest.mark.parametrize("start", list(TicketStatus))
def test_every_offered_status_is_accepted_and_every_other_refused(session, start):
    from helpdesk.transitions import next_statuses

    agent = staff_principal(session)
    offered = next_statuses(start, agent)
    for target in TicketStatus:
        if target == start:
            continue
        ticket = create_ticket(session)
        ticket.status = start
        if target in offered:
            service.change_status(ticket, target, agent)
            assert ticket.status == target
        else:
            with pytest.raises(InvalidTransition):
                service.change_status(ticket, target, agent)


def test_a_customer_is_offered_only_what_customers_may_do(session):
    from helpdesk.transitions import next_statuses

    # A customer may reopen or mark solved, never put their own ticket on hold (pending).
    assert next_statuses(TicketStatus.OPEN, Principal()) == [TicketStatus.SOLVED]
    assert next_statuses(TicketStatus.SOLVED, Principal()) == [TicketStatus.OPEN, TicketStatus.CLOSED]


def test_check_reply_refuses_a_public_reply_on_a_closed_ticket(session):
    from helpdesk.transitions import check_reply

    ticket = create_ticket(session)
    ticket.status = TicketStatus.CLOSED
    agent = staff_principal(session)
    with pytest.raises(InvalidTransition):
        check_reply(ticket, MessageKind.PUBLIC_REPLY, None, agent)
    check_reply(ticket, MessageKind.INTERNAL_NOTE, None, agent)
