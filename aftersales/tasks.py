"""Periodic after-sales jobs run by the worker's scheduler (``workers.queue``).

Each job opens its own unit of work and calls a service; the logic lives in the services and is
tested there. Every unit writes, so it opens with ``session(write=True)`` (on SQLite, the write
lock up front: see ``workers.queue``); broadcasts commit batch by batch so the lock is held
briefly. Every job is idempotent (dedupe keys and unique rows), so a second run, a run by
``aftercare worker --once`` after a pause, a retry after a busy database, or two workers at once
add nothing.
"""

from __future__ import annotations

import time

from aftersales import lapsed, lifecycle, programmes, segments, surveys
from aftersales.schemas import SchedulingSummary
from workers.queue import crontab, formerly, periodic, worker_database

# A broadcast run stops after this long so that other jobs get their turn; the next minute goes on.
BROADCAST_MAX_SECONDS = 50.0


# Before issue 13 this module was helpdesk.aftersales.tasks: jobs queued then still run.
formerly("helpdesk.aftersales.tasks", __name__)


@periodic(crontab(minute="7"))
def schedule_tip_steps() -> SchedulingSummary:
    """Hourly: enrol recent buyers and enqueue every due tip step (a day-0 welcome goes out within the hour)."""
    with worker_database().session(write=True) as session:
        return programmes.run_scheduling_pass(session)


@periodic(crontab(minute="*/15"))
def send_survey_invitations() -> dict[str, int]:
    """Every quarter hour: CSAT for tickets solved some hours ago, NPS for purchases of the right age."""
    with worker_database().session(write=True) as session:
        return surveys.run_survey_pass(session)


@periodic(crontab(minute="*/15"))
def send_lifecycle_messages() -> dict[str, int]:
    """Every quarter hour: confirmations, welcomes, payment and service reminders, win-backs that are due."""
    with worker_database().session(write=True) as session:
        return lifecycle.run_lifecycle_pass(session)


@periodic(crontab(minute="30", hour="2"))
def scan_lapsed_buyers() -> int:
    """Daily: recompute who is overdue from purchase history."""
    with worker_database().session(write=True) as session:
        return lapsed.scan(session)


@periodic(crontab(minute="*"))
def send_broadcasts() -> int:
    """Every minute: hand queued broadcasts to the outbox, one committed batch at a time."""
    database = worker_database()
    started = time.monotonic()
    handed = 0
    while time.monotonic() - started < BROADCAST_MAX_SECONDS:
        with database.session(write=True) as session:
            pending = segments.queued_broadcasts(session)
            if not pending:
                break
            handed += segments.send_broadcast_batch(session, pending[0])
    return handed
