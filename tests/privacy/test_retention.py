"""Retention: who is due for erasure after a quiet period, the run that erases them, the daily job and its setting."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from accounts.models import Customer
from aftercare.config import Settings
from aftercare.db import utcnow
from aftersales.models import Purchase, SurveyInvitation, SurveyKind, SurveyResponse
from helpdesk.models import Message, MessageKind, Ticket, TicketEvent, TicketStatus
from privacy import tasks
from privacy.erasure import erase_customer
from privacy.retention import count_due, customers_due_for_erasure, run_retention
from tests.aftersales import factories as sales
from tests.conftest import env
from tests.factories import create_customer_user, create_ticket, unique_email
from tests.kb.forum.factories import trust
from workers.queue import registered_jobs, use_database

DAYS = 365
# Well past the retention period, so that "quiet since then" is due whatever the test's own timing.
LONG_AGO = utcnow() - timedelta(days=DAYS + 35)
# Well inside it.
LAST_WEEK = utcnow() - timedelta(days=7)


def _quiet_since(session, customer_id: int, when) -> None:
    """Move the customer's record and everything on their tickets back to ``when``."""
    their_tickets = select(Ticket.id).where(Ticket.requester_id == customer_id)
    session.execute(update(Customer).where(Customer.id == customer_id).values(created_at=when))
    session.execute(update(Ticket).where(Ticket.requester_id == customer_id).values(created_at=when, updated_at=when))
    session.execute(update(Message).where(Message.ticket_id.in_(their_tickets)).values(created_at=when))
    session.execute(update(TicketEvent).where(TicketEvent.ticket_id.in_(their_tickets)).values(created_at=when))
    session.expire_all()


def _customer_with_ticket(session, status: TicketStatus = TicketStatus.CLOSED) -> tuple[Customer, Ticket]:
    ticket = create_ticket(session, customer_email=unique_email("quiet"))
    ticket.status = status
    session.flush()
    return ticket.requester, ticket


def _old_closed_customer(session) -> Customer:
    customer, _ = _customer_with_ticket(session)
    _quiet_since(session, customer.id, LONG_AGO)
    return customer


def _due_ids(session) -> set[int]:
    return {customer.id for customer in customers_due_for_erasure(session, days=DAYS)}


# ---- who is due ------------------------------------------------------------------------------


def test_a_customer_whose_closed_ticket_went_quiet_long_ago_is_due(session):
    customer = _old_closed_customer(session)
    assert customer.id in _due_ids(session)


def test_a_solved_ticket_counts_as_closed(session):
    customer, _ = _customer_with_ticket(session, TicketStatus.SOLVED)
    _quiet_since(session, customer.id, LONG_AGO)
    assert customer.id in _due_ids(session)


def test_a_customer_with_a_ticket_still_pending_is_not_due_however_old(session):
    customer, _ = _customer_with_ticket(session, TicketStatus.PENDING)
    _quiet_since(session, customer.id, LONG_AGO)
    assert customer.id not in _due_ids(session)


def test_one_open_ticket_among_closed_ones_keeps_the_customer(session):
    customer = _old_closed_customer(session)
    create_ticket(session, customer_email=customer.email)
    _quiet_since(session, customer.id, LONG_AGO)
    assert customer.id not in _due_ids(session)


def test_a_reply_last_week_on_an_old_closed_ticket_keeps_the_customer(session):
    customer = _old_closed_customer(session)
    ticket = session.scalar(select(Ticket).where(Ticket.requester_id == customer.id))
    session.add(Message(ticket=ticket, kind=MessageKind.PUBLIC_REPLY, body="Any news?", created_at=LAST_WEEK))
    session.flush()
    assert customer.id not in _due_ids(session)


def test_a_purchase_last_week_keeps_the_customer(session):
    customer = _old_closed_customer(session)
    session.add(
        Purchase(
            external_order_id="ORDER-RETENTION-1",
            customer_id=customer.id,
            product_id=sales.product(session).id,
            quantity=1,
            amount=Decimal("129.00"),
            currency="EUR",
            purchased_at=LAST_WEEK,
        )
    )
    session.flush()
    assert customer.id not in _due_ids(session)


def test_a_survey_answer_last_week_keeps_the_customer(session):
    customer = _old_closed_customer(session)
    invitation = SurveyInvitation(
        kind=SurveyKind.CSAT, customer_id=customer.id, language="en", created_at=LONG_AGO, closes_at=LAST_WEEK
    )
    session.add(SurveyResponse(invitation=invitation, score=5, created_at=LAST_WEEK, updated_at=LAST_WEEK))
    session.flush()
    assert customer.id not in _due_ids(session)


def test_a_forum_post_last_week_keeps_the_customer(session):
    user = create_customer_user(session)
    ticket = create_ticket(session, customer_email=user.email)
    ticket.status = TicketStatus.CLOSED
    session.flush()
    _quiet_since(session, ticket.requester_id, LONG_AGO)
    trust(session, user)  # a published forum thread, written now
    assert ticket.requester_id not in _due_ids(session)


def test_a_customer_created_last_week_is_not_due(session):
    customer, _ = _customer_with_ticket(session)
    _quiet_since(session, customer.id, LAST_WEEK)
    assert customer.id not in _due_ids(session)


def test_an_erased_customer_is_not_counted_again(session):
    customer = _old_closed_customer(session)
    before = count_due(session, days=DAYS)
    erase_customer(session, customer.id, actor=None)
    assert count_due(session, days=DAYS) == before - 1 and customer.id not in _due_ids(session)


def test_the_count_agrees_with_the_list(session):
    _old_closed_customer(session)
    _old_closed_customer(session)
    assert count_due(session, days=DAYS) == len(_due_ids(session))


def test_the_list_stops_at_its_limit(session):
    _old_closed_customer(session)
    _old_closed_customer(session)
    assert len(customers_due_for_erasure(session, days=DAYS, limit=1)) == 1


# ---- the run ---------------------------------------------------------------------------------


def test_a_run_erases_the_due_customers_and_no_one_else(session):
    due = _old_closed_customer(session)
    waiting, _ = _customer_with_ticket(session, TicketStatus.OPEN)
    _quiet_since(session, waiting.id, LONG_AGO)
    run = run_retention(session, days=DAYS)
    session.refresh(due)
    session.refresh(waiting)
    assert due.id in {summary.customer_id for summary in run.erased}
    assert due.erased_at is not None and waiting.erased_at is None


def test_a_second_run_erases_nothing_more(session):
    _old_closed_customer(session)
    run_retention(session, days=DAYS)
    assert run_retention(session, days=DAYS).erased == []


# ---- the daily job ---------------------------------------------------------------------------


def test_the_job_is_registered_with_the_worker():
    assert "privacy.tasks.erase_expired_customers" in registered_jobs()


def test_the_job_erases_due_customers_when_the_setting_is_on(database, session):
    customer = _old_closed_customer(session)
    session.commit()
    with env(AFTERCARE_RETENTION_DAYS_CLOSED_TICKETS=str(DAYS)), use_database(database):
        assert tasks.erase_expired_customers() >= 1
    session.refresh(customer)
    assert customer.erased_at is not None


def test_the_job_does_nothing_when_the_setting_is_off(database, session):
    customer = _old_closed_customer(session)
    session.commit()
    with env(AFTERCARE_RETENTION_DAYS_CLOSED_TICKETS=""), use_database(database):
        assert tasks.erase_expired_customers() == 0
    session.refresh(customer)
    assert customer.erased_at is None


# ---- the setting -----------------------------------------------------------------------------


def test_retention_is_off_by_default(monkeypatch):
    monkeypatch.delenv("AFTERCARE_RETENTION_DAYS_CLOSED_TICKETS", raising=False)
    assert Settings().retention_days_closed_tickets is None


def test_the_setting_reads_a_number_of_days(monkeypatch):
    monkeypatch.setenv("AFTERCARE_RETENTION_DAYS_CLOSED_TICKETS", "730")
    assert Settings().retention_days_closed_tickets == 730


@pytest.mark.parametrize("value", ["0", "-30", "two years", "1.5"])
def test_a_bad_setting_is_refused_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("AFTERCARE_RETENTION_DAYS_CLOSED_TICKETS", value)
    with pytest.raises(ValidationError, match="AFTERCARE_RETENTION_DAYS_CLOSED_TICKETS"):
        Settings()
