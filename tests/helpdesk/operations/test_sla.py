"""SLA due times in business hours (weekend, holiday), the pause while pending, first response, breaches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from helpdesk import service
from helpdesk.models import TicketStatus
from helpdesk.operations import admin as ops
from helpdesk.operations import sla
from helpdesk.operations.models import SlaBreach, SlaTarget
from helpdesk.operations.schemas import BusinessHoursCreate, SlaPolicyCreate
from helpdesk.operations.sla_state import SlaBadge, sla_state
from helpdesk.schemas import MessageCreate, TicketUpdate
from tests.factories import create_ticket, staff_principal

WARSAW = ZoneInfo("Europe/Warsaw")


def warsaw(*args: int) -> datetime:
    return datetime(*args, tzinfo=WARSAW).astimezone(UTC)


@pytest.fixture
def office(session, admin):
    # Monday-Friday 09:00-17:00 Warsaw; Christmas Eve and Christmas Day closed.
    return ops.create_business_hours(
        session,
        BusinessHoursCreate(
            name="Warsaw office",
            timezone="Europe/Warsaw",
            intervals=[{"day": d, "start": "09:00", "end": "17:00"} for d in range(5)],
            holidays=["2026-12-24", "2026-12-25"],
        ),
        admin,
    )


@pytest.fixture
def policy(session, admin, office):
    return ops.create_sla_policy(
        session,
        SlaPolicyCreate(
            name="Standard", first_response_minutes=120, resolution_minutes=240, business_hours_id=office.id
        ),
        admin,
    )


def test_due_times_skip_the_weekend(session, policy, clock):
    clock(warsaw(2026, 12, 4, 16, 0))  # a Friday, one business hour left
    ticket = create_ticket(session)
    assert ticket.sla_policy_id == policy.id
    # 2 h: 1 on Friday, 1 on Monday from 09:00. 4 h: 1 on Friday, 3 on Monday.
    assert ticket.first_response_due_at == warsaw(2026, 12, 7, 10, 0)
    assert ticket.resolution_due_at == warsaw(2026, 12, 7, 12, 0)


def test_due_times_skip_holidays(session, policy, clock):
    clock(warsaw(2026, 12, 23, 16, 0))  # Wednesday before Christmas Eve
    ticket = create_ticket(session)
    # 1 h on Wednesday; Thursday and Friday are holidays, then the weekend; Monday the 28th.
    assert ticket.first_response_due_at == warsaw(2026, 12, 28, 10, 0)


def test_pending_pauses_the_resolution_clock(session, policy, clock):
    agent = staff_principal(session)
    clock(warsaw(2026, 12, 1, 10, 0))  # Tuesday: resolution due 14:00
    ticket = create_ticket(session)
    clock(warsaw(2026, 12, 1, 11, 0))  # 3 business hours left when it stops
    service.update_ticket(session, ticket, TicketUpdate(status=TicketStatus.PENDING), agent)
    assert ticket.sla_paused_at == warsaw(2026, 12, 1, 11, 0)

    clock(warsaw(2026, 12, 2, 10, 0))  # Wednesday: the customer answers
    service.update_ticket(session, ticket, TicketUpdate(status=TicketStatus.OPEN), agent)

    # The 3 hours left run from Wednesday 10:00.
    assert ticket.resolution_due_at == warsaw(2026, 12, 2, 13, 0)
    assert ticket.sla_paused_at is None


def test_a_paused_ticket_is_not_breached_while_it_waits(session, policy, clock):
    agent = staff_principal(session)
    clock(warsaw(2026, 12, 1, 10, 0))
    ticket = create_ticket(session)
    service.add_message(session, ticket, MessageCreate(body="Could you send a photo?"), agent)
    service.update_ticket(session, ticket, TicketUpdate(status=TicketStatus.PENDING), agent)

    a_week_later = warsaw(2026, 12, 8, 10, 0)
    assert sla_state(ticket, now=a_week_later).breached is False


def test_the_first_agent_reply_meets_the_first_response_target(session, policy, clock):
    clock(warsaw(2026, 12, 1, 10, 0))
    ticket = create_ticket(session)
    clock(warsaw(2026, 12, 1, 10, 30))
    service.add_message(session, ticket, MessageCreate(body="Looking into it."), staff_principal(session))

    assert ticket.first_responded_at == warsaw(2026, 12, 1, 10, 30)
    # The resolution target is the one running now.
    assert ticket.sla_next_due_at == ticket.resolution_due_at


def test_an_internal_note_is_not_a_first_response(session, policy, clock):
    clock(warsaw(2026, 12, 1, 10, 0))
    ticket = create_ticket(session)
    service.add_message(
        session, ticket, MessageCreate(body="Ask Bartek", kind="internal_note"), staff_principal(session)
    )
    assert ticket.first_responded_at is None


def test_badge_turns_at_risk_in_the_last_business_hour_then_breached(session, policy, clock):
    clock(warsaw(2026, 12, 1, 10, 0))  # first response due 12:00; at risk from 11:00 (max of 25 % and 1 h)
    ticket = create_ticket(session)
    assert sla_state(ticket, now=warsaw(2026, 12, 1, 10, 59)).badge == SlaBadge.DUE
    assert sla_state(ticket, now=warsaw(2026, 12, 1, 11, 0)).badge == SlaBadge.AT_RISK
    assert sla_state(ticket, now=warsaw(2026, 12, 1, 12, 1)).badge == SlaBadge.BREACHED


def test_no_policy_means_no_due_times(session, clock):
    clock(warsaw(2026, 12, 1, 10, 0))
    ticket = create_ticket(session)
    state = sla_state(ticket)
    assert (state.policy_id, state.first_response_due_at, state.breached) == (None, None, False)


def test_the_first_matching_policy_applies(session, admin, clock):
    clock(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    ops.create_sla_policy(
        session,
        SlaPolicyCreate(name="Polish", conditions={"language": "pl"}, first_response_minutes=30, resolution_minutes=60),
        admin,
    )
    everyone = ops.create_sla_policy(
        session, SlaPolicyCreate(name="Everyone", first_response_minutes=600, resolution_minutes=6000), admin
    )
    ticket = create_ticket(session, language="en")
    assert ticket.sla_policy_id == everyone.id
    # No business hours: around the clock.
    assert ticket.first_response_due_at == datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


def test_breach_pass_at_a_frozen_clock_records_each_miss_once(session, admin, clock):
    start = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    clock(start)
    ops.create_sla_policy(
        session, SlaPolicyCreate(name="Fast", first_response_minutes=60, resolution_minutes=180), admin
    )
    ticket = create_ticket(session)

    assert sla.mark_breaches(session, at=start + timedelta(minutes=59)) == 0
    assert sla.mark_breaches(session, at=start + timedelta(minutes=61)) == 1
    assert sla.mark_breaches(session, at=start + timedelta(minutes=62)) == 0
    assert sla.mark_breaches(session, at=start + timedelta(minutes=181)) == 1

    rows = session.query(SlaBreach).filter_by(ticket_id=ticket.id).order_by(SlaBreach.id).all()
    assert [(r.target, r.due_at) for r in rows] == [
        (SlaTarget.FIRST_RESPONSE, start + timedelta(minutes=60)),
        (SlaTarget.RESOLUTION, start + timedelta(minutes=180)),
    ]
