"""The breach pass as the worker runs it (``aftercare worker --once`` calls ``run_once``), at a frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from helpdesk.operations import admin as ops
from helpdesk.operations.models import SlaBreach, SlaTarget
from helpdesk.operations.schemas import SlaPolicyCreate
from tests.factories import create_ticket
from workers.queue import registered_jobs, run_once, use_database

JOB = "helpdesk.operations.tasks.record_sla_breaches"
START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_the_breach_job_is_registered_with_the_worker():
    assert JOB in registered_jobs()


def test_worker_once_records_a_missed_first_response(database, session, admin, clock, memory_queue):
    clock(START)
    ops.create_sla_policy(
        session, SlaPolicyCreate(name="Fast", first_response_minutes=60, resolution_minutes=180), admin
    )
    ticket = create_ticket(session)
    session.commit()

    # Two hours later: the first response (due after one) is missed, the resolution (three) not yet.
    clock(START + timedelta(hours=2))
    with use_database(database):
        summary = run_once(memory_queue, now=START + timedelta(hours=2), drain=False)

    assert "record_sla_breaches" in summary.executed
    targets = session.scalars(select(SlaBreach.target).where(SlaBreach.ticket_id == ticket.id)).all()
    assert targets == [SlaTarget.FIRST_RESPONSE]


def test_a_second_run_records_nothing_more(database, session, admin, clock, memory_queue):
    clock(START)
    ops.create_sla_policy(
        session, SlaPolicyCreate(name="Fast", first_response_minutes=60, resolution_minutes=180), admin
    )
    create_ticket(session)
    session.commit()
    clock(START + timedelta(hours=2))
    with use_database(database):
        run_once(memory_queue, now=START + timedelta(hours=2), drain=False)
        run_once(memory_queue, now=START + timedelta(hours=2, minutes=5), drain=False)
    assert session.scalar(select(func.count()).select_from(SlaBreach)) == 1
