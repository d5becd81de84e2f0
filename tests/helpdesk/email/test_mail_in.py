"""Inbound mail delivered over real SMTP to the running receiver, and the tickets that result."""

from __future__ import annotations

import smtplib
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select

from accounts.models import Customer
from aftercare.config import get_settings
from aftercare.db import Database
from helpdesk import service
from helpdesk.email.mail_in.attachments import attachments_dir
from helpdesk.email.models import (
    Attachment,
    InboundDisposition,
    InboundMessage,
    OutboxMessage,
    RejectedMail,
    RejectReason,
    Suppression,
    SuppressionScope,
)
from helpdesk.email.notifications import MAX_CONFIRMATIONS_PER_DAY
from helpdesk.models import Ticket, TicketChannel, TicketStatus
from helpdesk.schemas import MessageCreate, TicketUpdate
from tests.factories import staff_principal, unique_email
from tests.helpdesk.email import mail_samples as samples
from tests.helpdesk.email.conftest import running_receiver


def deliver(controller, raw: bytes, *, mail_from: str = "sender@example.com", lmtp: bool = False) -> None:
    client_class = smtplib.LMTP if lmtp else smtplib.SMTP
    with client_class(controller.hostname, controller.port, timeout=10) as client:
        client.sendmail(mail_from, ["support@help.example.com"], raw)


def tickets_of(session, email: str) -> list[Ticket]:
    session.expire_all()
    return list(
        session.scalars(
            select(Ticket)
            .join(Customer, Ticket.requester_id == Customer.id)
            .where(Customer.email == email)
            .order_by(Ticket.id)
        )
    )


def outbox_for(session, ticket_id: int) -> list[OutboxMessage]:
    return list(
        session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket_id).order_by(OutboxMessage.id))
    )


def test_plain_mail_becomes_an_email_ticket(receiver, session):
    sender = unique_email("mailer")
    deliver(
        receiver,
        samples.plain(
            f"Mia Mail <{sender}>",
            "Thermostat offline",
            "My thermostat says offline since the router update. What can I do?",
        ),
    )
    [ticket] = tickets_of(session, sender)
    assert (ticket.subject, ticket.channel, ticket.language) == ("Thermostat offline", TicketChannel.EMAIL, "en")
    assert ticket.messages[0].body.startswith("My thermostat says offline")
    assert ticket.messages[0].channel == TicketChannel.EMAIL
    assert ticket.requester.name == "Mia Mail"


def test_new_ticket_confirmation_threads_under_the_customer_mail(receiver, session):
    sender = unique_email("mailer")
    message_id = make_msgid(domain="client.example.org")
    deliver(
        receiver, samples.plain(sender, "Earbuds", "The left earbud is silent, please help.", message_id=message_id)
    )
    [ticket] = tickets_of(session, sender)
    [confirmation] = outbox_for(session, ticket.id)
    assert confirmation.headers["In-Reply-To"] == message_id
    assert confirmation.subject == f"Re: [#{ticket.id}] Earbuds"


def test_html_only_mail_becomes_readable_text(receiver, session):
    sender = unique_email("mailer")
    deliver(
        receiver,
        samples.html_only(
            sender, "Vacuum noise", "<p>My vacuum makes a <b>grinding</b> noise.</p><script>steal()</script>"
        ),
    )
    [ticket] = tickets_of(session, sender)
    assert ticket.messages[0].body == "My vacuum makes a grinding noise."


def test_attachments_are_stored_under_the_data_dir_with_our_names(receiver, session):
    sender = unique_email("mailer")
    deliver(
        receiver,
        samples.with_attachments(
            sender,
            "Photo of the dock",
            "The dock light blinks, photo attached.",
            [
                ("../../etc/dock photo.png", "image/png", samples.PNG),
                ("setup.exe", "application/x-msdownload", b"MZ..."),
            ],
        ),
    )
    [ticket] = tickets_of(session, sender)
    stored, refused = session.scalars(
        select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.id)
    ).all()
    assert (
        stored.filename == "dock photo.png" and stored.stored_name.endswith(".png") and ".." not in stored.stored_name
    )
    assert (attachments_dir(get_settings().data_dir) / stored.stored_name).read_bytes() == samples.PNG
    assert refused.stored_name is None and "not accepted" in refused.refused_reason
    assert "[Attachment not kept: setup.exe" in ticket.messages[0].body


def test_polish_iso_8859_2_mail(receiver, session):
    sender = unique_email("klient")
    deliver(receiver, samples.polish_iso_8859_2(sender))
    [ticket] = tickets_of(session, sender)
    assert ticket.subject == "Odkurzacz nie wraca do stacji" and ticket.language == "pl"
    assert "rozładowuje się na środku salonu" in ticket.messages[0].body


def test_thai_tis_620_mail(receiver, session):
    sender = unique_email("lukkha")
    deliver(receiver, samples.thai_tis_620(sender))
    [ticket] = tickets_of(session, sender)
    assert ticket.subject == "หูฟังเชื่อมต่อบลูทูธไม่ได้" and ticket.language == "th"


def test_reply_to_our_mail_threads_into_the_ticket_and_reopens_it(receiver, session):
    sender = unique_email("mailer")
    deliver(receiver, samples.plain(sender, "Wi-Fi drops", "The thermostat drops off the Wi-Fi every night."))
    [ticket] = tickets_of(session, sender)
    agent = staff_principal(session)
    service.add_message(
        session, ticket, MessageCreate(body="Which band does your router use?", status=TicketStatus.PENDING), agent
    )
    session.commit()
    our_reply = outbox_for(session, ticket.id)[-1]
    deliver(
        receiver,
        samples.plain(
            sender,
            f"Re: [#{ticket.id}] Wi-Fi drops",
            "It uses 2.4 GHz.\n\nW dniu pon., 1 sty 2024 o 10:00 Support <support@help.example.com> napisał(a):\n> Which band?",
            In_Reply_To=our_reply.message_id,
            References=our_reply.message_id,
        ),
    )
    [same] = tickets_of(session, sender)
    assert [m.body for m in same.messages][-1] == "It uses 2.4 GHz."
    assert same.status == TicketStatus.OPEN


def test_subject_reference_threads_only_for_the_requester(receiver, session):
    sender = unique_email("mailer")
    deliver(receiver, samples.plain(sender, "Schedule", "How do I set a night schedule?"))
    [ticket] = tickets_of(session, sender)
    deliver(receiver, samples.plain(sender, f"Re: [#{ticket.id}] Schedule", "Also, can it follow my phone?"))
    stranger = unique_email("stranger")
    deliver(receiver, samples.plain(stranger, f"[#{ticket.id}] Schedule", "I want to read this ticket."))
    assert len(tickets_of(session, sender)[0].messages) == 2
    assert len(tickets_of(session, stranger)) == 1


def test_reply_to_a_closed_ticket_opens_a_follow_up(receiver, session):
    sender = unique_email("mailer")
    deliver(receiver, samples.plain(sender, "Reset", "How do I reset it?"))
    [ticket] = tickets_of(session, sender)
    agent = staff_principal(session)
    service.update_ticket(session, ticket, TicketUpdate(status=TicketStatus.SOLVED), agent)
    service.update_ticket(session, ticket, TicketUpdate(status=TicketStatus.CLOSED), agent)
    session.commit()
    deliver(receiver, samples.plain(sender, f"Re: [#{ticket.id}] Reset", "It happened again."))
    assert len(tickets_of(session, sender)) == 2


def test_autoresponder_reply_is_recorded_and_never_answered(receiver, session):
    sender = unique_email("away")
    deliver(receiver, samples.plain(sender, "Broken", "It is broken."))
    [ticket] = tickets_of(session, sender)
    confirmation = outbox_for(session, ticket.id)[0]
    deliver(
        receiver,
        samples.plain(
            sender,
            "Automatic reply: Broken",
            "I am out of the office until Monday.",
            Auto_Submitted="auto-replied",
            In_Reply_To=confirmation.message_id,
        ),
    )
    [same] = tickets_of(session, sender)
    assert len(same.messages) == 1 and len(outbox_for(session, ticket.id)) == 1
    record = session.scalar(
        select(InboundMessage).where(
            InboundMessage.from_address == sender, InboundMessage.disposition == InboundDisposition.AUTO_REPLY
        )
    )
    assert record.ticket_id == ticket.id and record.auto_reason.startswith("Auto-Submitted")


def test_mail_through_a_group_address_becomes_a_ticket_but_is_never_answered(receiver, session):
    sender = unique_email("team")
    deliver(
        receiver,
        samples.plain(
            sender,
            "Printer offline",
            "Our office printer is offline again.",
            List_Id="<it-team.example.com>",
            Precedence="list",
        ),
    )
    [ticket] = tickets_of(session, sender)
    assert outbox_for(session, ticket.id) == []


def test_confirmations_to_one_address_are_capped_per_day(receiver, session):
    sender = unique_email("chatty")
    for number in range(MAX_CONFIRMATIONS_PER_DAY + 2):
        deliver(receiver, samples.plain(sender, f"Question {number}", "Another question about my thermostat."))
    tickets = tickets_of(session, sender)
    assert len(tickets) == MAX_CONFIRMATIONS_PER_DAY + 2
    assert sum(len(outbox_for(session, ticket.id)) for ticket in tickets) == MAX_CONFIRMATIONS_PER_DAY


def test_bounce_from_the_null_sender_opens_no_ticket(receiver, session):
    deliver(receiver, samples.plain("someone@example.net", "Delivery failure", "could not deliver"), mail_from="")
    assert tickets_of(session, "someone@example.net") == []


def test_hard_bounce_of_our_mail_suppresses_the_address(receiver, session):
    sender = unique_email("gone")
    deliver(receiver, samples.plain(sender, "Question", "Does it work with Alexa?"))
    [ticket] = tickets_of(session, sender)
    confirmation = outbox_for(session, ticket.id)[0]
    deliver(receiver, samples.delivery_report(confirmation.message_id, sender), mail_from="")
    scopes = session.scalars(select(Suppression.scope).where(Suppression.email == sender)).all()
    assert scopes == [SuppressionScope.ALL]


def test_forged_bounce_about_mail_we_never_sent_suppresses_nobody(receiver, session):
    victim = unique_email("victim")
    deliver(receiver, samples.delivery_report("<not-ours@elsewhere.example>", victim), mail_from="")
    assert session.scalar(select(func.count(Suppression.id)).where(Suppression.email == victim)) == 0


def test_redelivery_of_the_same_message_makes_one_ticket(receiver, session):
    sender = unique_email("mailer")
    raw = samples.plain(sender, "Twice", "The sending server retried this.")
    deliver(receiver, raw)
    deliver(receiver, raw)
    assert len(tickets_of(session, sender)) == 1


def test_oversized_mail_is_refused_and_kept_for_the_admin(database, session):
    settings = get_settings().model_copy(update={"mail_in_max_bytes": 2000})
    sender = unique_email("big")
    with running_receiver(database, settings) as controller, pytest.raises(smtplib.SMTPDataError) as refused:
        deliver(controller, samples.plain(sender, "Huge", "x" * 3000))
    assert refused.value.smtp_code == 552
    row = session.scalar(select(RejectedMail).where(RejectedMail.from_header == sender))
    assert row.reason == RejectReason.TOO_LARGE and row.subject == "Huge" and row.size_bytes > 2000


def test_malformed_mail_is_refused_and_kept_raw(receiver, session):
    raw = b"Subject: who sent this?\r\nX-Id: malformed-test\r\n\r\nno sender at all\r\n"
    with pytest.raises(smtplib.SMTPDataError) as refused:
        deliver(receiver, raw)
    assert refused.value.smtp_code == 550
    row = session.scalar(select(RejectedMail).where(RejectedMail.subject == "who sent this?"))
    assert row.reason == RejectReason.MALFORMED and b"no sender at all" in row.raw


def test_sender_over_the_rate_limit_is_told_to_retry_later(database, session):
    settings = get_settings().model_copy(update={"mail_in_rate_limit": "2/hour"})
    sender = unique_email("flood")
    with running_receiver(database, settings) as controller:
        for number in range(2):
            deliver(controller, samples.plain(sender, f"Message {number}", "Hello there, a question."))
        with pytest.raises(smtplib.SMTPDataError) as deferred:
            deliver(controller, samples.plain(sender, "Message 3", "Hello there, a question."))
    assert deferred.value.smtp_code == 450
    assert len(tickets_of(session, sender)) == 2


def test_answers_451_when_the_message_cannot_be_stored(tmp_path):
    broken = Database(f"sqlite:///{tmp_path / 'no-schema.db'}")
    try:
        with running_receiver(broken) as controller, pytest.raises(smtplib.SMTPDataError) as deferred:
            deliver(controller, samples.plain(unique_email("mailer"), "Hello", "Nobody can store this now."))
    finally:
        broken.dispose()
    assert deferred.value.smtp_code == 451


def test_lmtp_delivery(database, session):
    sender = unique_email("lmtp")
    with running_receiver(database, lmtp=True) as controller:
        deliver(controller, samples.plain(sender, "Via LMTP", "Delivered by the local mail server."), lmtp=True)
    assert len(tickets_of(session, sender)) == 1
