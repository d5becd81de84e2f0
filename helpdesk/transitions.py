"""Which status changes a person may make to a ticket now: what the menus offer.

The rules themselves are the state machine in ``helpdesk.service`` (``ALLOWED_TRANSITIONS``,
``CUSTOMER_TRANSITIONS``), which also refuses an illegal change; this module only reads them, so
that a page offers exactly the moves the service would accept and no more (an agent who picked
"closed" on a pending ticket used to lose the reply they had typed to a 409).
"""

from __future__ import annotations

from accounts.service import Principal
from aftercare.errors import InvalidTransition
from helpdesk.models import MessageKind, Ticket, TicketStatus
from helpdesk.service import ALLOWED_TRANSITIONS, CUSTOMER_TRANSITIONS


def next_statuses(current: TicketStatus | str, principal: Principal) -> list[TicketStatus]:
    """The statuses ``principal`` may move a ticket from ``current`` to, in the statuses' own order."""
    allowed = ALLOWED_TRANSITIONS[TicketStatus(current)]
    if not principal.is_staff:
        allowed = allowed & CUSTOMER_TRANSITIONS
    return [status for status in TicketStatus if status in allowed]


def can_reply_publicly(ticket: Ticket) -> bool:
    """A closed ticket takes internal notes only (a customer writing again gets a new ticket)."""
    return TicketStatus(ticket.status) != TicketStatus.CLOSED


def check_reply(ticket: Ticket, kind: MessageKind, status: TicketStatus | None, principal: Principal) -> None:
    """Raise ``InvalidTransition`` for a reply the service would refuse, before anything is written."""
    if kind == MessageKind.PUBLIC_REPLY and not can_reply_publicly(ticket):
        raise InvalidTransition(f"ticket {ticket.id} is closed; only internal notes can be added")
    if status is None or status == ticket.status:
        return
    if status not in next_statuses(ticket.status, principal):
        allowed = ", ".join(next_statuses(ticket.status, principal)) or "none (closed is final)"
        raise InvalidTransition(f"a {ticket.status} ticket cannot become {status}; it can become: {allowed}")
