"""The confirmation of a new ticket, with articles to try: the knowledge base's ``TicketCreated`` subscriber.

After the commit that created a ticket (any channel: web form, API, e-mail, forum, survey), this
queues the requester's confirmation e-mail with their signed link and up to three articles that
may answer them (``self_resolution.intake_suggestions``, stored so that the receipt page offers
the same ones). A ticket from e-mail is confirmed under the customer's message (the event carries
its Message-ID and References); bulk mail (``confirm`` False) is not answered. The search never
stops the confirmation: a failing one offers nothing.

The confirmation is queued after the commit, not in it: if the process stopped in between, or the
subscriber failed (a database still busy after its timeout), the ticket would have none. So
``missed_confirmations`` finds the tickets of the last day that have neither a confirmation nor a
reason to have none, and the worker's ``kb.feedback.tasks.confirm_missed_tickets`` confirms them
as this subscriber would have (the outbox's dedupe key keeps it to one confirmation per ticket).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from aftercare.db import Database, utcnow
from aftercare.events import subscribe
from helpdesk.email import notifications
from helpdesk.email.models import InboundDisposition, InboundMessage, OutboxMessage
from helpdesk.events import TicketCreated
from helpdesk.models import Ticket, TicketChannel
from kb.feedback.self_resolution import intake_suggestions

logger = logging.getLogger(__name__)

# The subscriber runs within moments of the commit; a ticket younger than this may still be in it.
MISSED_AFTER = timedelta(minutes=2)
# Older tickets are not confirmed late: a day on, the customer has the agent's answer or has asked again.
MISSED_WITHIN = timedelta(days=1)


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


def missed_confirmations(session: Session, *, now: datetime | None = None) -> list[TicketCreated]:
    """The ``TicketCreated`` events of the last day whose confirmation never got into the outbox.

    Left out: tickets that have one, bulk mail (never answered: its intake record names why), and
    tickets the confirmation's own rules turned down when they came in (a no-reply address, the
    day's limit for that address). A ticket from e-mail carries the customer's Message-ID and
    References again, so that the confirmation threads under their message.
    """
    now = now or utcnow()
    # The ticket's own outbox rows; only its confirmation carries this dedupe key prefix.
    confirmed = exists().where(
        OutboxMessage.ticket_id == Ticket.id,
        OutboxMessage.dedupe_key.startswith(notifications.CONFIRMATION_PREFIX),
    )
    bulk = exists().where(InboundMessage.ticket_id == Ticket.id, InboundMessage.auto_reason.is_not(None))
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.created_at > now - MISSED_WITHIN, Ticket.created_at <= now - MISSED_AFTER, ~confirmed, ~bulk)
        .order_by(Ticket.id)
    ).all()
    missed = []
    for ticket in tickets:
        if not notifications.may_confirm(session, ticket, ticket.created_at):
            continue
        in_reply_to, references = None, ()
        if ticket.channel == TicketChannel.EMAIL:
            intake = session.scalar(
                select(InboundMessage)
                .where(
                    InboundMessage.ticket_id == ticket.id, InboundMessage.disposition == InboundDisposition.NEW_TICKET
                )
                .order_by(InboundMessage.id)
                .limit(1)
            )
            if intake is not None:
                in_reply_to, references = intake.message_id, tuple(intake.references.split())
        missed.append(
            TicketCreated(
                ticket_id=ticket.id, channel=str(ticket.channel), in_reply_to=in_reply_to, references=references
            )
        )
    return missed


subscribe(TicketCreated, confirm_ticket)
