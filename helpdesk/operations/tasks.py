"""The SLA breach pass, every five minutes (registered by ``entry.jobs``; ``workers.queue`` explains the contract).

Idempotent (one breach row per ticket and target), so ``aftercare worker --once`` after a pause or
two workers at once record nothing twice.
"""

from __future__ import annotations

from helpdesk.operations.sla import mark_breaches
from workers.queue import crontab, periodic, worker_database


@periodic(crontab(minute="*/5"))
def record_sla_breaches() -> int:
    """Record targets missed since the last pass; returns how many."""
    with worker_database().session(write=True) as session:
        return mark_breaches(session)
