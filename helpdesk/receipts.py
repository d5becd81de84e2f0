"""Intake receipts: what the person who filled in the contact form may see of the ticket it made.

Someone who opened a ticket without showing that they own its address (no signed-in customer of
that address) gets a receipt, not the ticket: its number, its status, the articles offered for
what they wrote, and "This solved it" for those articles. The thread and the signed link to it go
only by e-mail to the address given (``helpdesk.service`` doc), so that typing someone else's
address reads nothing of theirs.

The receipt is a signed, timed token naming the ticket and its requester, under its own salt:
a ticket link (``accounts.sign_ticket_link``) can not be made from it, nor it from one.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from helpdesk.models import Ticket

_RECEIPT_SALT = "aftercare.intake-receipt"
# The page right after sending the form, and its reloads; the e-mailed link is for later.
RECEIPT_MAX_AGE_SECONDS = 24 * 3600


def sign_receipt(secret_key: str, ticket: Ticket) -> str:
    return URLSafeTimedSerializer(secret_key, salt=_RECEIPT_SALT).dumps([ticket.id, ticket.requester_id])


def ticket_for_receipt(session: Session, secret_key: str, token: str) -> Ticket | None:
    """The ticket a receipt names, or None when it is forged, expired or names a changed ticket."""
    try:
        ticket_id, requester_id = URLSafeTimedSerializer(secret_key, salt=_RECEIPT_SALT).loads(
            token, max_age=RECEIPT_MAX_AGE_SECONDS
        )
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(ticket_id, int) or not isinstance(requester_id, int):
        return None
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.requester_id != requester_id:
        return None
    return ticket
