"""The outbox's jobs: send queued mail now (nudged after a commit) and every minute.

Registered by the entry layer (``entry.jobs``); ``workers.queue`` explains the contract.
"""

from __future__ import annotations

from aftercare.config import get_settings
from helpdesk.email.delivery import DrainSummary, drain_outbox
from workers.queue import crontab, formerly, job, periodic, worker_database

# Jobs queued before the e-mail domain moved out of workers/ carry the old module name.
formerly("workers.tasks", __name__)

# One drain stops after this long so that a big backlog never starves the worker's other jobs;
# the next minute (or the next nudge) carries on where it stopped.
DRAIN_MAX_SECONDS = 50.0


@job(finishes_run_once_as="outbox")
def send_outbox_now() -> DrainSummary:
    """Nudged after a commit that queued mail: send what is due now."""
    return drain_outbox(worker_database(), settings=get_settings(), max_seconds=DRAIN_MAX_SECONDS)


# ``run_once`` drains the outbox itself, after the other periodic jobs have queued their mail.
@periodic(crontab(minute="*"), in_run_once=False)
def send_outbox() -> DrainSummary:
    """Every minute: send due mail, retry what failed earlier, take back rows of dead workers."""
    return drain_outbox(worker_database(), settings=get_settings(), max_seconds=DRAIN_MAX_SECONDS)
