"""Confirmations that never reached the outbox (a crash between the commit and the subscriber, a
subscriber that failed) are found and sent late, once, threaded as they would have been.

The ``session`` fixture never commits while the test runs, so its tickets stand for ones whose
after-commit confirmation was lost; ``LATER`` is when the worker's job looks at them.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from aftercare.db import utcnow
from aftercare.events import subscribe, unsubscribe
from helpdesk.email.models import InboundDisposition, InboundMessage, OutboxMessage
from helpdesk.events import TicketCreated
from helpdesk.models import TicketChannel
from kb.feedback import tasks
from kb.feedback.subscribers import confirm_ticket, missed_confirmations
from tests.factories import create_ticket
from workers.queue import registered_jobs, use_database


def _later():
    # Past the two minutes a subscriber may still be running, well inside the day.
    return utcnow() + timedelta(minutes=10)


def _confirmations(session, ticket_id: int) -> list[OutboxMessage]:
    session.expire_all()
    return list(
        session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"ticket-confirmation:{ticket_id}"))
    )


def _intake(session, ticket, *, auto_reason: str | None = None) -> InboundMessage:
    record = InboundMessage(
        message_id="<customer-1@mail.example.com>",
        references="<older@mail.example.com>",
        from_address=ticket.requester.email,
        disposition=InboundDisposition.NEW_TICKET,
        auto_reason=auto_reason,
        ticket_id=ticket.id,
        size_bytes=512,
    )
    session.add(record)
    session.flush()
    return record


def test_a_ticket_whose_confirmation_was_lost_is_found(session):
    ticket = create_ticket(session)
    assert [event.ticket_id for event in missed_confirmations(session, now=_later())] == [ticket.id]


def test_a_ticket_the_subscriber_may_still_be_confirming_is_left_alone(session):
    create_ticket(session)
    assert missed_confirmations(session, now=utcnow() + timedelta(seconds=30)) == []


def test_a_ticket_older_than_a_day_is_not_confirmed_late(session):
    create_ticket(session)
    assert missed_confirmations(session, now=utcnow() + timedelta(days=1, minutes=1)) == []


def test_the_late_confirmation_goes_out_once(session, database):
    ticket = create_ticket(session)
    for event in missed_confirmations(session, now=_later()):
        confirm_ticket(event, database)
    [row] = _confirmations(session, ticket.id)
    assert row.to_address == ticket.requester.email
    assert missed_confirmations(session, now=_later()) == []


def test_bulk_mail_is_never_confirmed(session):
    ticket = create_ticket(session, channel=TicketChannel.EMAIL)
    _intake(session, ticket, auto_reason="Precedence: bulk")
    assert missed_confirmations(session, now=_later()) == []


def test_a_late_email_confirmation_threads_under_the_customers_message(session, database):
    ticket = create_ticket(session, channel=TicketChannel.EMAIL)
    _intake(session, ticket)
    [event] = missed_confirmations(session, now=_later())
    confirm_ticket(event, database)
    [row] = _confirmations(session, ticket.id)
    assert row.headers["In-Reply-To"] == "<customer-1@mail.example.com>"
    assert row.headers["References"] == "<older@mail.example.com> <customer-1@mail.example.com>"


def test_a_no_reply_address_is_not_confirmed_late_either(session):
    create_ticket(session, customer_email="no-reply@shop.example.com")
    assert missed_confirmations(session, now=_later()) == []


def test_the_workers_job_is_registered():
    assert "kb.feedback.tasks.confirm_missed_tickets" in registered_jobs()


def test_the_workers_job_confirms_a_ticket_a_stopped_process_left_unconfirmed(database, session):
    # As if the process stopped right after the commit: the subscriber never ran.
    unsubscribe(TicketCreated, confirm_ticket)
    try:
        ticket = create_ticket(session)
        ticket.created_at = utcnow() - timedelta(minutes=10)
        session.commit()
    finally:
        subscribe(TicketCreated, confirm_ticket)
    assert _confirmations(session, ticket.id) == []
    with use_database(database):
        assert tasks.confirm_missed_tickets() == 1
        assert tasks.confirm_missed_tickets() == 0
    assert len(_confirmations(session, ticket.id)) == 1
