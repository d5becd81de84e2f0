"""The privacy domain's periodic job: daily retention (``privacy.retention``).

Registered by the entry layer (``entry.jobs``); ``workers.queue`` explains the contract. With
``AFTERCARE_RETENTION_DAYS_CLOSED_TICKETS`` unset the job does nothing. Each batch is its own unit of
work with the write lock (SQLite) taken up front, committed before the next, so the lock is held
briefly; erasing twice erases nothing more (erased customers are not due), so a second run, or two
workers at once, add nothing.
"""

from __future__ import annotations

import logging
import time

from aftercare.config import get_settings
from privacy.retention import DEFAULT_BATCH, run_retention
from workers.queue import crontab, periodic, worker_database

logger = logging.getLogger(__name__)

# A run stops starting new batches after this long so that other jobs get their turn; whoever is
# left is erased by the next day's run.
RETENTION_MAX_SECONDS = 300.0


@periodic(crontab(minute="40", hour="3"))
def erase_expired_customers() -> int:
    """Daily: erase the customers the retention setting says are due; returns how many were erased."""
    days = get_settings().retention_days_closed_tickets
    if days is None:
        return 0
    database = worker_database()
    started = time.monotonic()
    erased = 0
    while time.monotonic() - started < RETENTION_MAX_SECONDS:
        with database.session(write=True) as session:
            run = run_retention(session, days=days, batch=DEFAULT_BATCH)
        erased += len(run.erased)
        # A short batch was the last one; a batch with failures would find the same customers again.
        if len(run.erased) < DEFAULT_BATCH:
            break
    if erased:
        logger.info("retention: erased %s customer(s) inactive for over %s days", erased, days)
    return erased
