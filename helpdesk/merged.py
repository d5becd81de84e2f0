"""Where a merged ticket's traffic goes: the ticket it was merged into (``helpdesk.merge``).

Kept apart from ``helpdesk.merge`` so that the service and the mail intake can follow a merge
without importing the merge itself (which builds on the service).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from accounts.service import Principal
from aftercare.errors import Conflict
from helpdesk.models import Ticket

# A merge target cannot be merged when taken, but may be merged later itself: a short chain.
MAX_CHAIN = 20


def merge_target(session: Session, ticket: Ticket) -> Ticket:
    """The ticket that now holds ``ticket``'s conversation: itself, or the end of its merges."""
    seen = {ticket.id}
    while ticket.merged_into_id is not None and len(seen) <= MAX_CHAIN:
        following = session.get(Ticket, ticket.merged_into_id)
        if following is None or following.id in seen:
            break
        seen.add(following.id)
        ticket = following
    return ticket


def reply_target(session: Session, ticket: Ticket, principal: Principal) -> Ticket:
    """The ticket a new message on ``ticket`` belongs to.

    A customer writing on a merged ticket (the portal, the API, e-mail) reaches the ticket it was
    merged into, as they cannot know of the merge; an agent is told, so as to answer there.
    """
    if ticket.merged_into_id is None:
        return ticket
    if principal.is_staff:
        raise Conflict(
            f"ticket {ticket.id} was merged into #{ticket.merged_into_id}; write there, or undo the merge first"
        )
    return merge_target(session, ticket)
