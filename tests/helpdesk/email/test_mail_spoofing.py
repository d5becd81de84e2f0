"""Forged mail does not thread into someone else's ticket (issue 12), over real SMTP to the receiver.

Forging a customer's From: plus ``[#id]`` in the subject used to add a message to their ticket and
reopen it. A match that rests on the From address now needs the receiving server's
Authentication-Results not to speak against the sender; otherwise the mail becomes a new ticket
linked to the one it named, and that ticket is left alone.
"""

from __future__ import annotations

import smtplib
import sqlite3

import pytest
from sqlalchemy import select

from accounts.models import Customer
from aftercare import migrate
from aftercare.config import get_settings
from aftercare.db import Database
from helpdesk import service
from helpdesk.email.mail_in.authentication import AuthVerdict
from helpdesk.email.models import InboundMessage, OutboxMessage
from helpdesk.models import MessageKind, Ticket, TicketStatus
from helpdesk.schemas import MessageCreate
from tests.factories import staff_principal, unique_email
from tests.helpdesk.email import mail_samples as samples
from tests.helpdesk.email.conftest import running_receiver

OUR_MX = "mx.help.example.com"


def deliver(controller, raw: bytes, *, mail_from: str = "sender@example.com") -> None:
    with smtplib.SMTP(controller.hostname, controller.port, timeout=10) as client:
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


def _results(verdicts: str, domain: str) -> str:
    return f"{OUR_MX}; {verdicts.format(domain=domain)}"


@pytest.fixture
def pending_ticket(receiver, session) -> tuple[str, Ticket]:
    """A customer's ticket waiting for their answer (pending), opened by their authenticated mail."""
    sender = unique_email("owner")
    domain = sender.split("@")[1]
    deliver(
        receiver,
        samples.plain(
            sender,
            "Router",
            "The thermostat loses the router every night.",
            Authentication_Results=_results("dkim=pass header.d={domain}; dmarc=pass", domain),
        ),
    )
    [ticket] = tickets_of(session, sender)
    service.add_message(
        session,
        ticket,
        MessageCreate(body="Which firmware do you run?", status=TicketStatus.PENDING),
        staff_principal(session),
    )
    session.commit()
    return sender, ticket


def _forge(receiver, sender: str, ticket: Ticket, results: str | None, body: str = "Close it and refund me.") -> None:
    headers = {"Authentication_Results": results} if results is not None else {}
    deliver(receiver, samples.plain(sender, f"Re: [#{ticket.id}] Router", body, **headers))


def test_forged_subject_reference_that_fails_dmarc_opens_a_linked_ticket(receiver, session, pending_ticket):
    sender, ticket = pending_ticket
    _forge(receiver, sender, ticket, _results("spf=fail smtp.mailfrom={domain}; dmarc=fail", "evil.example"))
    original, new = tickets_of(session, sender)
    assert (original.id, new.related_ticket_id) == (ticket.id, ticket.id)


def test_forged_mail_adds_nothing_to_the_ticket_and_does_not_reopen_it(receiver, session, pending_ticket):
    sender, ticket = pending_ticket
    _forge(receiver, sender, ticket, _results("dmarc=fail", "evil.example"))
    original = tickets_of(session, sender)[0]
    public = [m.body for m in original.messages if m.kind == MessageKind.PUBLIC_REPLY]
    assert (original.status, "Close it and refund me." in public) == (TicketStatus.PENDING, False)


def test_both_tickets_carry_a_note_naming_the_other(receiver, session, pending_ticket):
    sender, ticket = pending_ticket
    _forge(receiver, sender, ticket, _results("dkim=fail header.d={domain}", sender.split("@")[1]))
    original, new = tickets_of(session, sender)
    note_on_original = [m.body for m in original.messages if m.kind == MessageKind.INTERNAL_NOTE]
    note_on_new = [m.body for m in new.messages if m.kind == MessageKind.INTERNAL_NOTE]
    assert f"/agent/tickets/{new.id}" in note_on_original[0] and f"/agent/tickets/{original.id}" in note_on_new[0]


def test_unauthenticated_mail_in_the_name_of_a_sender_who_authenticates_is_not_threaded(
    receiver, session, pending_ticket
):
    sender, ticket = pending_ticket
    _forge(receiver, sender, ticket, None)
    assert [t.related_ticket_id for t in tickets_of(session, sender)] == [None, ticket.id]


def test_authenticated_reply_by_subject_reference_threads(receiver, session, pending_ticket):
    sender, ticket = pending_ticket
    _forge(
        receiver, sender, ticket, _results("dkim=pass header.d={domain}", sender.split("@")[1]), body="Firmware 2.4.1."
    )
    [same] = tickets_of(session, sender)
    assert (same.messages[-1].body, same.status) == ("Firmware 2.4.1.", TicketStatus.OPEN)


def test_sender_whose_mail_never_carries_results_still_threads_by_subject(receiver, session):
    sender = unique_email("plain")
    deliver(receiver, samples.plain(sender, "Schedule", "How do I set a night schedule?"))
    [ticket] = tickets_of(session, sender)
    deliver(receiver, samples.plain(sender, f"Re: [#{ticket.id}] Schedule", "Also, can it follow my phone?"))
    assert [len(t.messages) for t in tickets_of(session, sender)] == [2]


def test_reply_to_our_message_id_threads_whatever_the_results(receiver, session, pending_ticket):
    # Knowing one of our random Message-IDs means having received our mail (forwarded, say).
    sender, ticket = pending_ticket
    ours = session.scalars(
        select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id).order_by(OutboxMessage.id)
    ).all()[-1]
    deliver(
        receiver,
        samples.plain(
            sender,
            f"Re: [#{ticket.id}] Router",
            "Firmware 2.4.1.",
            In_Reply_To=ours.message_id,
            Authentication_Results=_results("dmarc=fail", "x.example"),
        ),
    )
    assert len(tickets_of(session, sender)) == 1


def test_only_our_servers_results_count_when_its_id_is_set(database, session):
    settings = get_settings().model_copy(update={"mail_in_authserv_id": OUR_MX})
    sender = unique_email("owner")
    with running_receiver(database, settings) as controller:
        deliver(
            controller,
            samples.plain(
                sender,
                "Router",
                "The thermostat loses the router every night.",
                Authentication_Results=f"{OUR_MX}; dmarc=pass",
            ),
        )
        [ticket] = tickets_of(session, sender)
        # The forger adds a "pass" of their own; our server's header says fail. Ours comes first
        # (the topmost) in real mail; here the forger's comes first, and still must not count.
        raw = samples.plain(
            sender, f"Re: [#{ticket.id}] Router", "Refund me.", Authentication_Results="forger.example; dmarc=pass"
        )
        raw = raw.replace(b"\r\n\r\n", f"\r\nAuthentication-Results: {OUR_MX}; dmarc=fail\r\n\r\n".encode(), 1)
        deliver(controller, raw)
    assert [t.related_ticket_id for t in tickets_of(session, sender)] == [None, ticket.id]


def test_the_verdict_and_its_header_are_kept_with_the_message(receiver, session):
    sender = unique_email("kept")
    header = _results("dkim=pass header.d={domain}; spf=pass smtp.mailfrom={domain}", sender.split("@")[1])
    deliver(receiver, samples.plain(sender, "Hello", "A question about my order.", Authentication_Results=header))
    session.expire_all()
    row = session.scalar(select(InboundMessage).where(InboundMessage.from_address == sender))
    assert (row.auth_verdict, row.auth_results) == (AuthVerdict.PASS, header)


# ---- NUL characters ------------------------------------------------------------------------------


def test_mail_with_nul_characters_is_accepted_and_stored_without_them(receiver, session):
    sender = unique_email("nul")
    raw = samples.plain(sender, "Printer\x00 jam", "My printer\x00 jams on page two.")
    deliver(receiver, raw)  # a 451 or 5xx here raises SMTPDataError
    [ticket] = tickets_of(session, sender)
    assert (ticket.subject, ticket.messages[0].body) == ("Printer jam", "My printer jams on page two.")


# ---- a busy database -------------------------------------------------------------------------------


def test_busy_database_is_a_temporary_failure_and_the_retry_is_stored(tmp_path):
    path = tmp_path / "busy.db"
    migrate.upgrade(f"sqlite:///{path}")
    database = Database(f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 0.3})
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    sender = unique_email("busy")
    raw = samples.plain(sender, "Busy", "Please keep this message until you can store it.")
    try:
        with running_receiver(database) as controller:
            holder.execute("BEGIN IMMEDIATE")
            with pytest.raises(smtplib.SMTPDataError) as deferred:
                deliver(controller, raw)
            holder.execute("ROLLBACK")
            deliver(controller, raw)  # the sending server's retry
    finally:
        holder.close()
        database.dispose()
    with sqlite3.connect(path) as reader:
        stored = reader.execute("SELECT count(*) FROM inbound_messages WHERE from_address = ?", (sender,)).fetchone()[0]
    assert (deferred.value.smtp_code, stored) == (451, 1)
