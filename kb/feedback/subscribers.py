"""The confirmation of a new ticket, with articles to try: the knowledge base's ``TicketCreated`` subscriber.

After the commit that created a ticket (any channel: web form, API, e-mail, forum, survey), this
queues the requester's confirmation e-mail with their signed link and up to three articles that
may answer them (``self_resolution.intake_suggestions``, stored so that the receipt page offers
the same ones). A ticket from e-mail is confirmed under the customer's message (the event carries
its Message-ID and References); bulk mail (``confirm`` False) is not answered. The search never
stops the confirmation: a failing one offers nothing.
"""

from __future__ import annotations

import logging

from aftercare.db import Database
from aftercare.events import subscribe
from helpdesk.email import notifications
from helpdesk.events import TicketCreated
from helpdesk.models import Ticket
from kb.feedback.self_resolution import intake_suggestions

logger = logging.getLogger(__name__)


def confirm_ticket(event: TicketCreated, database: Database) -> None:
    if not event.confirm:
        return
    with database.session(write=True) as session:
        ticket = session.get(Ticket, event.ticket_id)
        if ticket is None or not notifications.may_confirm(session, ticket, event.at):
            return
        try:
            offered = intake_suggestions(session, ticket)
        except Exception:
            # The confirmation (with the ticket's link) matters more than its suggestions.
            logger.exception("suggestions for ticket %s failed; confirming without them", ticket.id)
            offered = []
        notifications.send_ticket_confirmation(
            session,
            ticket,
            suggestions=offered,
            in_reply_to=event.in_reply_to,
            references=list(event.references),
            now=event.at,
        )


subscribe(TicketCreated, confirm_ticket)
