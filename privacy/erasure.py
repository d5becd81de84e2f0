"""Erasing a customer (GDPR Art. 17): the person is gone, the statistics stay.

``erase_customer`` keeps every row that a figure counts (the customer, their tickets with numbers,
dates, language, status, priority and tags, purchases, survey scores, outbox rows) and takes the
person out of them:

- Their own words are replaced whole (``privacy.scrubbing.ERASED``): their messages, ticket
  subjects, forum threads and replies with their earlier versions, survey comments, "Was this
  helpful?" reasons, their inbound mail (addresses, names, subject, text, headers).
- Words others wrote about them stay without their name, address or quoted lines: agents' replies
  and internal notes on their tickets, ticket history, notifications about their tickets, replies to
  their forum threads, threads published (anonymised) from their tickets, the audit trail's details.
- Mail: unsent outbox rows to them are cancelled and every row to them loses address and body;
  mail rejected from their address, their suppression rows and sign-in links are deleted; the
  address's SHA-256 is remembered (``helpdesk.email.suppression``) so that marketing and survey mail
  does not start again by itself. Attachment files are deleted after the commit (``CustomerErased``).
- Their account stays for the forum's counts (votes, posts) as a "Deleted user" that cannot sign in:
  address replaced, no password, sessions and API tokens deleted. Their forum threads that nobody
  else answered are hidden; every thread touched is re-read by the search index within seconds.
- The customer row keeps its id, language and creation date; ``erased_at`` is set and the address
  becomes ``erased-<id>@erased.invalid``. The audit trail records the erasure by id alone.

Erasing an erased customer again only finishes what may be left: files a crashed process did not
delete, and mail queued for them since (``already_erased``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from accounts.audit import AuditAction, AuditTarget, record_audit
from accounts.models import ApiToken, AuditEntry, Customer, LoginSession, User
from aftercare.db import utcnow
from aftercare.errors import NotFound
from aftercare.events import record
from aftersales.lifecycle_models import WinbackAnswer
from aftersales.models import SurveyInvitation, SurveyResponse
from helpdesk.email.models import Attachment, InboundMessage, OutboxMessage
from helpdesk.models import Message, Ticket, TicketEvent
from kb.feedback.models import ArticleFeedback
from kb.search.models import SearchLog
from privacy import erasure_mail as mail
from privacy.erasure_forum import erase_forum
from privacy.events import CustomerErased
from privacy.person import (
    ErasedPerson,
    erased_customer_address,
    erased_user_address,
    gather_person,
    own_message,
    replace_changed,
)
from privacy.scrubbing import ERASED, Scrubber

# The name an erased account goes by in the forum and wherever else a user's name is shown.
DELETED_USER_NAME = "Deleted user"


@dataclass(frozen=True)
class ErasureSummary:
    """What one erasure replaced or removed, by count (the person's data is not repeated)."""

    customer_id: int
    tickets: int
    messages: int
    forum_posts: int
    attachments: int
    emails_cancelled: int
    already_erased: bool
    # Outbox rows to them that lost address and body, sent or not.
    emails_scrubbed: int = 0
    inbound_emails: int = 0


def erase_customer(session: Session, customer_id: int, *, actor: User | None) -> ErasureSummary:
    """Erase the customer (see the module doc); flushes, the caller commits. NotFound if no such customer."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    if customer.erased_at is not None:
        return _finish_leftovers(session, customer)
    now = utcnow()
    person = gather_person(session, customer)
    messages = _erase_tickets(session, person)
    forum_posts = erase_forum(session, person, now)
    cancelled, scrubbed = mail.erase_outbox(session, person)
    inbound = mail.erase_inbound(session, person)
    attachments, files = mail.erase_attachments(session, person)
    mail.erase_other_mail(session, person)
    _erase_free_text(session, person)
    _erase_accounts(session, person)
    customer.email = person.placeholder
    customer.name = ""
    customer.consent_marketing = False
    customer.consent_surveys = False
    customer.erased_at = now
    session.flush()
    record_audit(session, AuditAction.CUSTOMER_ERASED, AuditTarget.CUSTOMER, customer.id, actor=actor)
    record(session, CustomerErased(customer_id=customer.id, attachment_ids=tuple(files)))
    return ErasureSummary(
        customer_id=customer.id,
        tickets=len(person.ticket_ids),
        messages=messages,
        forum_posts=forum_posts,
        attachments=attachments,
        emails_cancelled=cancelled,
        already_erased=False,
        emails_scrubbed=scrubbed,
        inbound_emails=inbound,
    )


# --- tickets -------------------------------------------------------------------------------------


def _erase_tickets(session: Session, person: ErasedPerson) -> int:
    """Subjects, messages and history of their tickets; returns how many messages changed."""
    if person.ticket_ids:
        # A bulk UPDATE that names updated_at keeps the ticket's dates (the ORM would stamp "now");
        # the new link generation ends every signed link to these tickets.
        session.execute(
            update(Ticket)
            .where(Ticket.id.in_(person.ticket_ids))
            .values(subject=ERASED, link_generation=Ticket.link_generation + 1, updated_at=Ticket.updated_at)
            .execution_options(synchronize_session="fetch")
        )
    own = set(person.message_ids)
    changed = 0
    messages = session.scalars(
        select(Message).where(or_(Message.ticket_id.in_(person.ticket_ids), Message.id.in_(person.message_ids)))
    )
    for message in messages:
        body = ERASED if message.id in own else person.scrubber.text(message.body)
        changed += replace_changed(message, body=body)
    for event in session.scalars(select(TicketEvent).where(TicketEvent.ticket_id.in_(person.ticket_ids))):
        replace_changed(
            event,
            old_value=person.scrubber.optional(event.old_value),
            new_value=person.scrubber.optional(event.new_value),
        )
    return changed


# --- the rest ------------------------------------------------------------------------------------


def _erase_free_text(session: Session, person: ErasedPerson) -> None:
    """Survey and win-back comments (the scores and reasons stay), "Was this helpful?" reasons, and the
    search log's copies of their words (the searches stay counted)."""
    their_invitations = select(SurveyInvitation.id).where(SurveyInvitation.customer_id == person.customer.id)
    session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.invitation_id.in_(their_invitations), SurveyResponse.comment != "")
        .values(comment="")
        .execution_options(synchronize_session="fetch")
    )
    # The win-back answer's reason stays counted; their own words go.
    session.execute(
        update(WinbackAnswer)
        .where(WinbackAnswer.customer_id == person.customer.id, WinbackAnswer.comment != "")
        .values(comment="")
        .execution_options(synchronize_session="fetch")
    )
    for feedback in session.scalars(select(ArticleFeedback).where(ArticleFeedback.customer_id == person.customer.id)):
        replace_changed(feedback, reason=None)
    # The log names no one: it is found by their tickets' text, and by their address or full name
    # typed into a search (a single given name would match everyone's searches for it).
    typed = [*person.addresses, *(name.lower() for name in person.scrubber.names if " " in name)]
    found = [SearchLog.normalized_query.in_(person.search_queries)]
    found += [func.lower(SearchLog.query).contains(text, autoescape=True) for text in typed]
    session.execute(
        update(SearchLog)
        .where(or_(*found))
        .values(query=ERASED, normalized_query=ERASED)
        .execution_options(synchronize_session=False)
    )


def _erase_accounts(session: Session, person: ErasedPerson) -> None:
    """Their accounts become "Deleted user" with no way in; the audit trail's details about them scrubbed."""
    if person.user_ids:
        for model in (ApiToken, LoginSession):
            session.execute(
                delete(model).where(model.user_id.in_(person.user_ids)).execution_options(synchronize_session=False)
            )
    for user in person.users:
        user.email = erased_user_address(user.id)
        user.name = DELETED_USER_NAME
        user.password_hash = None
        user.is_active = False
    about_them = or_(
        and_(AuditEntry.target_type == str(AuditTarget.CUSTOMER), AuditEntry.target_id == person.customer.id),
        and_(AuditEntry.target_type == str(AuditTarget.USER), AuditEntry.target_id.in_(person.user_ids)),
    )
    for entry in session.scalars(select(AuditEntry).where(about_them)):
        replace_changed(entry, details=person.scrubber.json(entry.details))


# --- an erased customer again --------------------------------------------------------------------


def _finish_leftovers(session: Session, customer: Customer) -> ErasureSummary:
    """Files a crashed process left on disk, and mail queued for them since the erasure."""
    user_ids = list(session.scalars(select(User.id).where(User.customer_id == customer.id)))
    placeholder = erased_customer_address(customer.id)
    own_messages = select(Message.id).where(own_message(customer.id, user_ids))
    own_inbound = select(InboundMessage.id).where(
        or_(InboundMessage.from_address == placeholder, InboundMessage.ticket_message_id.in_(own_messages))
    )
    files = list(
        session.scalars(
            select(Attachment.id).where(
                Attachment.stored_name.is_not(None),
                or_(Attachment.inbound_message_id.in_(own_inbound), Attachment.ticket_message_id.in_(own_messages)),
            )
        )
    )
    person = ErasedPerson(
        customer=customer,
        users=[],
        addresses=[],
        ticket_ids=[],
        message_ids=[],
        inbound_ids=[],
        search_queries=[],
        scrubber=Scrubber(names=[], addresses=[], own_texts=[]),
    )
    cancelled = 0
    for row in session.scalars(
        select(OutboxMessage).where(mail.to_them(person), OutboxMessage.status.in_(mail.UNSENT))
    ):
        cancelled += mail.cancel_and_empty(row, person)
    session.flush()
    if files:
        record(session, CustomerErased(customer_id=customer.id, attachment_ids=tuple(files)))
    return ErasureSummary(
        customer_id=customer.id,
        tickets=0,
        messages=0,
        forum_posts=0,
        attachments=len(files),
        emails_cancelled=cancelled,
        already_erased=True,
        emails_scrubbed=cancelled,
    )
