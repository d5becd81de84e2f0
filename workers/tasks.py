"""The jobs of this package, and the list of every module whose jobs the worker runs.

A domain with jobs adds its module to ``TASK_MODULES`` and decorates functions there with
``workers.queue.job`` / ``workers.queue.periodic`` (see ``workers.queue`` for the contract).
"""

from __future__ import annotations

from aftercare.config import get_settings
from workers.delivery import DrainSummary, drain_outbox
from workers.queue import crontab, job, periodic, worker_database

TASK_MODULES: tuple[str, ...] = ("workers.tasks", "aftersales.tasks")

# One drain stops after this long so that a big backlog never starves the worker's other jobs;
# the next minute (or the next nudge) carries on where it stopped.
DRAIN_MAX_SECONDS = 50.0


@job()
def send_outbox_now() -> DrainSummary:
    """Nudged after a commit that queued mail: send what is due now."""
    return drain_outbox(worker_database(), settings=get_settings(), max_seconds=DRAIN_MAX_SECONDS)


# ``run_once`` drains the outbox itself, after the other periodic jobs have queued their mail.
@periodic(crontab(minute="*"), in_run_once=False)
def send_outbox() -> DrainSummary:
    """Every minute: send due mail, retry what failed earlier, take back rows of dead workers."""
    return drain_outbox(worker_database(), settings=get_settings(), max_seconds=DRAIN_MAX_SECONDS)
