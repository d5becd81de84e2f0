"""E-mailing a ticket's requester a new signed link (theirs expired, or the ticket's links were revoked).

The link goes only to the address the ticket belongs to, so whoever asks for it learns nothing and
gains nothing: the pages that ask answer the same whether or not a ticket matched. At most one such
e-mail per ticket and link generation an hour (the dedupe key), so the form cannot flood a mailbox.
It is written in the ticket's language, like the confirmation that carried the first link.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from aftercare.config import get_settings
from aftercare.db import utcnow
from helpdesk.email.models import EmailKind, OutboxMessage
from helpdesk.email.notifications import is_automated_address, ticket_link
from helpdesk.email.outbox import enqueue_email
from helpdesk.email.rendering import greeting, render_email
from helpdesk.models import Ticket


def send_new_ticket_link(session: Session, ticket: Ticket, *, now: datetime | None = None) -> OutboxMessage | None:
    """Queue the e-mail (in the caller's transaction); None when it will not go out."""
    settings = get_settings()
    now = now or utcnow()
    customer = ticket.requester
    if is_automated_address(customer.email):
        return None
    # The ticket's language, as in the confirmation; the customer's own for a ticket without one.
    language = ticket.language or customer.language
    rendered = render_email(
        "ticket_link",
        language,
        {
            "ticket": ticket,
            "greeting": greeting(language, customer.name),
            "link": ticket_link(settings, ticket),
            "days": settings.ticket_link_max_age_days,
        },
    )
    return enqueue_email(
        session,
        to=customer.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        kind=EmailKind.TRANSACTIONAL,
        dedupe_key=f"ticket-link:{ticket.id}:{ticket.link_generation}:{now:%Y%m%d%H}",
        customer_id=customer.id,
        ticket_id=ticket.id,
        headers={"Auto-Submitted": "auto-replied"},
        language=rendered.language,
        now=now,
    )
