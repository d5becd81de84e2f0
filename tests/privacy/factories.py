"""One customer with data in every corner of Aftercare, for the export and erasure tests.

Their name, address and a phrase only they wrote are distinctive, so a scan of the whole database
can tell whether anything of them is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.email_links import issue_email_link
from accounts.models import Customer, Role, User
from accounts.service import create_user, issue_api_token, principal_for_user, start_login_session
from aftercare.db import utcnow
from aftersales.models import SurveyInvitation, SurveyKind
from aftersales.purchases import record_purchase
from aftersales.schemas import PurchaseCreate, SurveyAnswer
from aftersales.surveys import submit_answer
from helpdesk import service
from helpdesk.email.mail_in.intake import receive_mail
from helpdesk.email.models import (
    Attachment,
    EmailKind,
    OutboxMessage,
    OutboxStatus,
    SuppressionScope,
    SuppressionSource,
)
from helpdesk.email.outbox import enqueue_email
from helpdesk.email.suppression import add_suppression
from helpdesk.models import MessageKind, Ticket
from helpdesk.schemas import MessageCreate
from kb.feedback.models import ArticleFeedback
from kb.forum import votes
from kb.forum.models import ForumReply, ForumThread
from tests.factories import create_staff, create_ticket
from tests.helpdesk.email import mail_samples
from tests.kb.factories import create_article
from tests.kb.forum.factories import create_reply, create_thread, member, trust

NAME = "Philippa Quenneville"
SURNAME = "Quenneville"
EMAIL = "philippa.quenneville@example.org"
# Words nobody else would write: found anywhere after erasure, they leaked.
PHRASE = "the walnut dial glows aubergine"
SUBJECT = f"Since Monday {PHRASE}"
ATTACHMENT_NAME = "quenneville dial.png"


@dataclass
class Person:
    customer: Customer
    user: User
    ticket: Ticket
    thread: ForumThread
    reply: ForumReply
    other_thread: ForumThread
    attachment: Attachment
    queued: OutboxMessage
    sent: OutboxMessage
    login_session: str
    api_token: str


def build_person(session: Session, *, knowledge_base: bool = False) -> Person:
    """The customer: an account, a ticket by e-mail with an attachment, replies and notes, mail
    queued and sent, forum posts, a purchase, a survey answer, feedback, a suppression, a link.

    ``knowledge_base``: one published article, so that committing this makes the new ticket's
    confirmation search the knowledge base with the ticket's text (and log that search); it costs
    the search model's time, so only the tests that need it ask.
    """
    if knowledge_base:
        create_article(
            session,
            title="Reset the Nimbus dial light",
            status="published",
            body="Hold the dial for ten seconds until the ring light turns white, then set the colour again.",
            questions=["Why does the dial light change colour?"],
        )
    user = create_user(session, email=EMAIL, name=NAME, role=Role.CUSTOMER)
    customer = user.customer
    assert customer is not None
    principal = principal_for_user(user)
    login_session = start_login_session(session, user, lifetime=timedelta(days=1), user_agent="Firefox")
    api_token = issue_api_token(session, user, name=f"{NAME}'s laptop")
    issue_email_link(session, EMAIL, lifetime=timedelta(minutes=15))

    raw = mail_samples.with_attachments(
        f"{NAME} <{EMAIL}>",
        SUBJECT,
        f"Hello,\n\nsince Monday {PHRASE} and the heating stays off.\n\nRegards,\n{NAME}",
        [(ATTACHMENT_NAME, "image/png", mail_samples.PNG)],
    )
    result = receive_mail(session, raw, envelope_from=EMAIL, envelope_to=["support@help.example.com"])
    ticket = session.get(Ticket, result.ticket_id)
    assert ticket is not None and ticket.requester_id == customer.id
    attachment = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).one()

    agent = principal_for_user(create_staff(session))
    service.add_message(
        session,
        ticket,
        MessageCreate(body=f"Dear {NAME}, does the dial still glow when unplugged? We can also write to {EMAIL}."),
        agent,
    )
    service.add_message(
        session,
        ticket,
        MessageCreate(body=f"Called Ms {SURNAME}: she says {PHRASE} even at night.", kind=MessageKind.INTERNAL_NOTE),
        agent,
    )
    service.add_message(session, ticket, MessageCreate(body=f"Yes, unplugged {PHRASE} still."), principal)
    queued = session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == EMAIL, OutboxMessage.status == OutboxStatus.QUEUED)
    ).first()
    assert queued is not None
    sent = enqueue_email(
        session,
        to=EMAIL,
        subject=f"Your warranty, {NAME}",
        text=f"Dear {NAME},\n\nyour warranty runs until next year.\n",
        kind=EmailKind.TRANSACTIONAL,
        customer_id=customer.id,
    )
    assert sent is not None
    sent.status, sent.sent_at = OutboxStatus.SENT, utcnow()

    trust(session, user)
    thread = create_thread(session, principal, title=f"Why {PHRASE}?", body=f"Mine: {PHRASE} every evening.")
    asker = member(session)
    other_thread = create_thread(
        session, asker, title="Nimbus dial colour changes", body="The ring light changes colour at random."
    )
    reply = create_reply(session, other_thread, principal, body=f"Same here: {PHRASE}. A reset fixed it.")
    votes.accept_reply(session, reply, asker)

    record_purchase(
        session,
        PurchaseCreate(
            external_order_id="SHOP-1001",
            customer_email=EMAIL,
            customer_name=NAME,
            sku="NIMBUS-1",
            product_name="Nimbus thermostat",
            amount=Decimal("129.00"),
            currency="EUR",
            purchased_at=utcnow() - timedelta(days=30),
            marketing_consent=True,
        ),
    )
    invitation = SurveyInvitation(
        kind=SurveyKind.CSAT,
        customer_id=customer.id,
        ticket_id=ticket.id,
        language="en",
        closes_at=utcnow() + timedelta(days=7),
    )
    session.add(invitation)
    session.flush()
    submit_answer(session, invitation, SurveyAnswer(score=4, comment=f"Fixed, though {PHRASE} once more."))
    session.add(
        ArticleFeedback(
            article_id=1,
            locale="en",
            helpful=False,
            reason=f"It did not say why {PHRASE}.",
            visitor_key="f" * 64,
            customer_id=customer.id,
        )
    )
    add_suppression(session, EMAIL, SuppressionScope.SURVEY, source=SuppressionSource.UNSUBSCRIBE_LINK)
    session.flush()
    return Person(
        customer, user, ticket, thread, reply, other_thread, attachment, queued, sent, login_session, api_token
    )


def someone_else(session: Session) -> Ticket:
    """Another customer's ticket with a CSAT answer: the figures around the erased person."""
    ticket = create_ticket(session, customer_email="someone.else@example.com", customer_name="Sam Else", language="pl")
    invitation = SurveyInvitation(
        kind=SurveyKind.CSAT,
        customer_id=ticket.requester_id,
        ticket_id=ticket.id,
        language="pl",
        closes_at=utcnow() + timedelta(days=7),
    )
    session.add(invitation)
    session.flush()
    submit_answer(session, invitation, SurveyAnswer(score=5, comment="Bardzo dobrze"))
    return ticket
