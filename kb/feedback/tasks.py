"""The knowledge base's periodic job: confirmations that never went out are sent late.

Registered by the entry layer (``entry.jobs``); ``workers.queue`` explains the contract. The logic
is ``kb.feedback.subscribers.missed_confirmations`` and the subscriber itself, tested there.
"""

from __future__ import annotations

import logging

from kb.feedback.subscribers import confirm_ticket, missed_confirmations
from workers.queue import crontab, periodic, worker_database

logger = logging.getLogger(__name__)


@periodic(crontab(minute="*/5"))
def confirm_missed_tickets() -> int:
    """Every five minutes: confirm new tickets whose confirmation a crash or a failure kept back."""
    database = worker_database()
    with database.session() as session:
        missed = missed_confirmations(session)
    confirmed = 0
    for event in missed:
        try:
            confirm_ticket(event, database)
            confirmed += 1
        except Exception:
            # One ticket's trouble (its customer row, a busy database) must not keep the rest back;
            # it is tried again at the next run while it is younger than a day.
            logger.exception("could not confirm ticket %s late", event.ticket_id)
    return confirmed
