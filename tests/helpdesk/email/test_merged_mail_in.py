"""Mail to a merged ticket lands on the ticket it was merged into (real SMTP through the receiver)."""

from __future__ import annotations

from sqlalchemy import select

from helpdesk import merge
from helpdesk.models import Message
from tests.factories import create_ticket, staff_principal, unique_email
from tests.helpdesk.email import mail_samples as samples
from tests.helpdesk.email.test_mail_in import deliver


def test_a_reply_naming_the_merged_ticket_lands_on_the_target(receiver, session):
    sender = unique_email("merged")
    source = create_ticket(session, customer_email=sender, subject="Schedule", body="How do I set a schedule?")
    target = create_ticket(session, customer_email=sender, subject="Schedule again", body="Still no schedule.")
    merge.merge_tickets(session, source, target, staff_principal(session))
    session.commit()

    deliver(receiver, samples.plain(sender, f"Re: [#{source.id}] Schedule", "It also forgets the time."))

    session.expire_all()
    landed = session.scalar(select(Message.ticket_id).where(Message.body.like("It also forgets the time%")))
    assert landed == target.id
