"""Whether a ticket meets a rule's or policy's conditions (language, channel, priority, keywords,
the requester's product tags and customer segments).

What a customer bought and which segments they are in is aftersales' knowledge, a layer above the
help desk: aftersales registers a provider here at start-up (``aftersales.ticket_facts``, imported
by ``web.app`` and the CLI, as ``aftersales.owned_products`` is); without one those conditions
never hold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from helpdesk.models import Ticket


@dataclass(frozen=True)
class CustomerFacts:
    product_tags: frozenset[str] = frozenset()
    segment_ids: frozenset[int] = frozenset()


# (session, customer id) -> what the customer owns and which segments they are in.
CustomerFactsProvider = Callable[[Session, int], CustomerFacts]
_provider: CustomerFactsProvider | None = None


def provide_customer_facts(provider: CustomerFactsProvider | None) -> None:
    """Register who owns what and who is in which segment (aftersales does, at start-up); None removes it."""
    global _provider
    _provider = provider


@dataclass
class TicketFacts:
    """A new ticket as conditions see it; the customer's facts are looked up once, when first needed."""

    session: Session
    ticket: Ticket
    text: str
    _customer: CustomerFacts | None = field(default=None, repr=False)

    @classmethod
    def of(cls, session: Session, ticket: Ticket, body: str) -> TicketFacts:
        return cls(session, ticket, f"{ticket.subject}\n{body}".lower())

    @property
    def customer(self) -> CustomerFacts:
        if self._customer is None:
            found = _provider(self.session, self.ticket.requester_id) if _provider is not None else None
            self._customer = found or CustomerFacts()
        return self._customer


def matches(conditions: Mapping[str, Any], facts: TicketFacts) -> bool:
    """Every condition given holds (an empty document matches every ticket)."""
    ticket = facts.ticket
    if conditions.get("priority") and conditions["priority"] != ticket.priority:
        return False
    if conditions.get("language") and conditions["language"] != ticket.language:
        return False
    if conditions.get("channel") and conditions["channel"] != ticket.channel:
        return False
    keywords = conditions.get("keywords") or []
    # Substrings, not words: Thai is written without spaces between words.
    if keywords and not any(str(word).lower() in facts.text for word in keywords):
        return False
    if conditions.get("product_tag") and conditions["product_tag"] not in facts.customer.product_tags:
        return False
    segment = conditions.get("segment_id")
    return not (segment is not None and segment not in facts.customer.segment_ids)
