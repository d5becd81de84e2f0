"""Signed ticket links ("follow your ticket") and who may read a ticket.

A link is ``[ticket id, requester id, link generation]`` signed with a timestamp. Links expire
``AFTERCARE_TICKET_LINK_MAX_AGE_DAYS`` after signing, and revoking a ticket's links bumps its
``link_generation``, which no earlier link carries. Links signed before links expired carry no time;
they count as issued when the upgrade ran (the ticket's ``untimed_links_issued_at``) and stop with
the first revocation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from accounts.service import Principal
from aftercare.config import Settings, get_settings
from aftercare.db import utcnow
from aftercare.errors import NotAuthenticated, NotFound
from helpdesk.models import Ticket

# The untimed links from before expiry; still read (see the module's doc), never made.
_TICKET_LINK_SALT = "aftercare.ticket-link"
_TIMED_TICKET_LINK_SALT = "aftercare.ticket-link.timed"


def can_read_ticket(principal: Principal, ticket: Ticket) -> bool:
    """Agents; the requester signed in; or the holder of a live link to this ticket."""
    if principal.is_staff:
        return True
    if principal.ticket_link_id is not None and principal.ticket_link_id == ticket.id:
        return True
    customer = principal.customer
    return customer is not None and principal.user is not None and ticket.requester_id == customer.id


class LinkState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    INVALID = "invalid"


class TicketLinkExpired(NotAuthenticated):
    code = "ticket_link_expired"


class TicketLinkRevoked(NotAuthenticated):
    code = "ticket_link_revoked"


@dataclass(frozen=True)
class TicketLinkCheck:
    """What a presented ticket link is worth. ``ticket`` is set whenever the link is one we signed
    for an existing ticket (also when expired or revoked: a new link can be sent to its requester)."""

    state: LinkState
    ticket: Ticket | None = None

    @property
    def principal(self) -> Principal | None:
        if self.state is not LinkState.VALID or self.ticket is None:
            return None
        return Principal(customer=self.ticket.requester, ticket_link_id=self.ticket.id)

    def raise_unless_valid(self) -> None:
        """The error for an expired or revoked link (an invalid one is simply no credential)."""
        if self.state is LinkState.EXPIRED:
            raise TicketLinkExpired("this ticket link has expired; ask for a new one at /tickets/link")
        if self.state is LinkState.REVOKED:
            raise TicketLinkRevoked("this ticket link has been revoked; ask for a new one at /tickets/link")


def ticket_link_max_age(settings: Settings | None = None) -> timedelta | None:
    days = (settings or get_settings()).ticket_link_max_age_days
    return timedelta(days=days) if days > 0 else None


def sign_ticket_link(secret_key: str, ticket: Ticket) -> str:
    payload = [ticket.id, ticket.requester_id, ticket.link_generation or 0]
    return URLSafeTimedSerializer(secret_key, salt=_TIMED_TICKET_LINK_SALT).dumps(payload)


def _ints(value: object, count: int) -> list[int] | None:
    if not isinstance(value, list) or len(value) != count:
        return None
    if not all(isinstance(part, int) and not isinstance(part, bool) for part in value):
        return None
    return value


def _linked_ticket(session: Session, ticket_id: int, requester_id: int) -> Ticket | None:
    ticket = session.get(Ticket, ticket_id)
    return ticket if ticket is not None and ticket.requester_id == requester_id else None


def check_ticket_link(
    session: Session, secret_key: str, token: str, *, max_age: timedelta | None, now: datetime | None = None
) -> TicketLinkCheck:
    """Whether ``token`` is a live link to a ticket; ``max_age`` None means links never expire."""
    now = now or utcnow()
    try:
        payload, signed_at = URLSafeTimedSerializer(secret_key, salt=_TIMED_TICKET_LINK_SALT).loads(
            token, return_timestamp=True
        )
    except (BadSignature, ValueError, TypeError):
        return _check_untimed_link(session, secret_key, token, max_age=max_age, now=now)
    parts = _ints(payload, 3)
    ticket = _linked_ticket(session, parts[0], parts[1]) if parts else None
    if ticket is None:
        return TicketLinkCheck(LinkState.INVALID)
    if parts[2] != ticket.link_generation:
        return TicketLinkCheck(LinkState.REVOKED, ticket)
    if max_age is not None and now - signed_at.astimezone(UTC) > max_age:
        return TicketLinkCheck(LinkState.EXPIRED, ticket)
    return TicketLinkCheck(LinkState.VALID, ticket)


def _check_untimed_link(
    session: Session, secret_key: str, token: str, *, max_age: timedelta | None, now: datetime
) -> TicketLinkCheck:
    try:
        payload = URLSafeSerializer(secret_key, salt=_TICKET_LINK_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return TicketLinkCheck(LinkState.INVALID)
    parts = _ints(payload, 2)
    ticket = _linked_ticket(session, parts[0], parts[1]) if parts else None
    if ticket is None:
        return TicketLinkCheck(LinkState.INVALID)
    if ticket.link_generation != 0:
        return TicketLinkCheck(LinkState.REVOKED, ticket)
    issued = ticket.untimed_links_issued_at
    # No upgrade time: the ticket is newer than untimed links, so this one was never ours to honour.
    if issued is None or (max_age is not None and now - issued > max_age):
        return TicketLinkCheck(LinkState.EXPIRED, ticket)
    return TicketLinkCheck(LinkState.VALID, ticket)


def verify_ticket_link(
    session: Session, secret_key: str, token: str, *, now: datetime | None = None
) -> Principal | None:
    """The principal a signed ticket link grants, or None when the link is forged, stale or revoked."""
    return check_ticket_link(session, secret_key, token, max_age=ticket_link_max_age(), now=now).principal


def can_revoke_ticket_links(principal: Principal, ticket: Ticket) -> bool:
    """Agents, and the ticket's requester (signed in, or holding a live link to it)."""
    if principal.is_staff:
        return True
    if principal.ticket_link_id == ticket.id:
        return True
    customer = principal.customer
    return principal.user is not None and customer is not None and customer.id == ticket.requester_id


def revoke_ticket_links(session: Session, ticket: Ticket, principal: Principal) -> None:
    """Every link to ``ticket`` issued so far stops working; links signed afterwards work."""
    if not can_revoke_ticket_links(principal, ticket):
        raise NotFound(f"no ticket {ticket.id}")
    ticket.link_generation = (ticket.link_generation or 0) + 1
    ticket.untimed_links_issued_at = None
    session.flush()
