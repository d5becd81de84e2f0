"""The outbox's jobs: send queued mail now (nudged after a commit) and every minute; forget old e-mailed links.

Registered by the entry layer (``entry.jobs``); ``workers.queue`` explains the contract.
"""

from __future__ import annotations

from datetime import timedelta

from accounts.email_links import delete_old_links
from aftercare.config import get_settings
from helpdesk.email.delivery import DrainSummary, drain_outbox
from workers.queue import crontab, formerly, job, periodic, worker_database

# Jobs queued before the e-mail domain moved out of workers/ carry the old module name.
formerly("workers.tasks", __name__)

# One drain stops after this long so that a big backlog never starves the worker's other jobs;
# the next minute (or the next nudge) carries on where it stopped.
DRAIN_MAX_SECONDS = 50.0
# An e-mailed link (sign-in, password reset, invitation, deletion) holds the address it went to;
# once it cannot be used, keeping it only keeps personal data. A week's grace leaves "this link
# has expired" (rather than "unknown") for late clicks.
EXPIRED_LINKS_KEPT_FOR = timedelta(days=7)


@job(finishes_run_once_as="outbox")
def send_outbox_now() -> DrainSummary:
    """Nudged after a commit that queued mail: send what is due now."""
    return drain_outbox(worker_database(), settings=get_settings(), max_seconds=DRAIN_MAX_SECONDS)


# ``run_once`` drains the outbox itself, after the other periodic jobs have queued their mail.
@periodic(crontab(minute="*"), in_run_once=False)
def send_outbox() -> DrainSummary:
    """Every minute: send due mail, retry what failed earlier, take back rows of dead workers."""
    return drain_outbox(worker_database(), settings=get_settings(), max_seconds=DRAIN_MAX_SECONDS)


@periodic(crontab(minute="17", hour="3"))
def forget_expired_email_links() -> int:
    """Daily: delete e-mailed links that expired more than a week ago; returns how many went."""
    with worker_database().session(write=True) as session:
        return delete_old_links(session, older_than=EXPIRED_LINKS_KEPT_FOR)
