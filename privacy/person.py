"""Who is being erased: the customer, their accounts, addresses, tickets, own messages and mail,
and a ``Scrubber`` for the words others wrote about them, all gathered before anything is replaced.

Also the placeholders that take an erased person's place (``erased-<id>@erased.invalid``: the
``.invalid`` top-level domain can never receive mail).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from accounts.models import Customer, Role, User
from aftersales.models import SurveyInvitation, SurveyResponse
from helpdesk.email.models import InboundMessage
from helpdesk.models import Message, Ticket
from kb.feedback.models import ArticleFeedback
from kb.forum.models import ForumReply, ForumThread
from kb.search.service import normalize_query
from kb.search.suggestions import ticket_query
from privacy.scrubbing import Scrubber

ERASED_DOMAIN = "erased.invalid"


def erased_customer_address(customer_id: int) -> str:
    return f"erased-{customer_id}@{ERASED_DOMAIN}"


def erased_user_address(user_id: int) -> str:
    return f"erased-user-{user_id}@{ERASED_DOMAIN}"


def is_placeholder_address(email: str) -> bool:
    return email.lower().endswith(f"@{ERASED_DOMAIN}")


@dataclass(frozen=True)
class ErasedPerson:
    """Who is being erased, gathered before anything is replaced."""

    customer: Customer
    users: list[User]
    addresses: list[str]
    ticket_ids: list[int]
    # Messages they wrote, on their tickets or elsewhere.
    message_ids: list[int]
    inbound_ids: list[int]
    # Their tickets' text as the search log holds it (suggestions and the contact form search it).
    search_queries: list[str]
    scrubber: Scrubber

    @property
    def user_ids(self) -> list[int]:
        return [user.id for user in self.users]

    @property
    def placeholder(self) -> str:
        return erased_customer_address(self.customer.id)


def gather_person(session: Session, customer: Customer) -> ErasedPerson:
    users = list(
        session.scalars(
            select(User).where(
                or_(
                    User.customer_id == customer.id,
                    # An account of theirs not (yet) attached to the record; never a staff account.
                    and_(User.role == Role.CUSTOMER, User.email == customer.email),
                )
            )
        )
    )
    user_ids = [user.id for user in users]
    addresses = sorted(
        {
            address.lower()
            for address in [customer.email, *(user.email for user in users)]
            if not is_placeholder_address(address)
        }
    )
    tickets = list(session.scalars(select(Ticket).where(Ticket.requester_id == customer.id)))
    ticket_ids = [ticket.id for ticket in tickets]
    own_messages = session.execute(select(Message.id, Message.body).where(own_message(customer.id, user_ids))).all()
    message_ids = [row.id for row in own_messages]
    inbound = session.execute(
        select(InboundMessage.id, InboundMessage.from_name).where(
            or_(
                func.lower(InboundMessage.from_address).in_(addresses),
                func.lower(InboundMessage.envelope_from).in_(addresses),
                InboundMessage.ticket_message_id.in_(message_ids),
            )
        )
    ).all()
    own_texts: list[str | None] = [row.body for row in own_messages]
    own_texts += [ticket.subject for ticket in tickets]
    own_texts += _own_forum_texts(session, user_ids)
    own_texts += session.scalars(
        select(SurveyResponse.comment)
        .join(SurveyInvitation, SurveyInvitation.id == SurveyResponse.invitation_id)
        .where(SurveyInvitation.customer_id == customer.id)
    )
    own_texts += session.scalars(select(ArticleFeedback.reason).where(ArticleFeedback.customer_id == customer.id))
    names = [customer.name, *(user.name for user in users), *(row.from_name for row in inbound)]
    return ErasedPerson(
        customer=customer,
        users=users,
        addresses=addresses,
        ticket_ids=ticket_ids,
        message_ids=message_ids,
        inbound_ids=[row.id for row in inbound],
        search_queries=sorted({normalize_query(ticket_query(session, ticket)) for ticket in tickets} - {""}),
        scrubber=Scrubber(names=names, addresses=addresses, own_texts=own_texts),
    )


def own_message(customer_id: int, user_ids: Sequence[int]) -> ColumnElement[bool]:
    return or_(Message.author_customer_id == customer_id, Message.author_user_id.in_(user_ids))


def _own_forum_texts(session: Session, user_ids: Sequence[int]) -> list[str | None]:
    texts: list[str | None] = []
    for title, body in session.execute(
        select(ForumThread.title, ForumThread.body).where(ForumThread.author_id.in_(user_ids))
    ):
        texts += [title, body]
    texts += session.scalars(select(ForumReply.body).where(ForumReply.author_id.in_(user_ids)))
    return texts


def replace_changed(row: object, **values: object) -> bool:
    """Set the attributes that differ; whether any did (equal values are not counted as changes)."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed
