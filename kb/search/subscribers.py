"""Search's after-commit subscribers (``aftercare.events``); importing this module subscribes them.

- ``ArticleChanged`` / ``ForumPostChanged``: wake the running keeper, which reads the change feed
  at once rather than at its next poll (the feed, not the event, says what to re-read).
- ``TicketCreated``: the running keeper's thread computes the new ticket's suggestions, so that
  the agent's panel opens on stored ones (``suggestions.compute_on_keeper_thread``).
- ``PublicReplyAdded``: which inserted suggestions went out with an agent's public reply
  (``suggestions.record_reply_outcomes``), for replies sent from the page and through the API alike.
"""

from __future__ import annotations

from functools import partial

from aftercare.db import Database
from aftercare.events import subscribe
from helpdesk.events import PublicReplyAdded, TicketCreated
from kb.events import ArticleChanged, ForumPostChanged
from kb.search.keeper import running_keepers
from kb.search.suggestions import compute_on_keeper_thread, record_reply_outcomes


def wake_keeper(_event: ArticleChanged | ForumPostChanged, _database: Database) -> None:
    for keeper in running_keepers():
        keeper.wake()


def suggest_for_new_ticket(event: TicketCreated, _database: Database) -> None:
    # Only a keeper with a thread; elsewhere (a worker, a test) they are computed on first view.
    for keeper in running_keepers():
        keeper.submit(partial(compute_on_keeper_thread, event.ticket_id))


def record_suggestion_outcomes(event: PublicReplyAdded, database: Database) -> None:
    with database.session(write=True) as session:
        record_reply_outcomes(session, event.message_id)


subscribe(ArticleChanged, wake_keeper)
subscribe(ForumPostChanged, wake_keeper)
subscribe(TicketCreated, suggest_for_new_ticket)
subscribe(PublicReplyAdded, record_suggestion_outcomes)
