"""The outbox API: what ``enqueue_email`` queues, declines, deduplicates, and when it nudges a worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from aftercare.db import utcnow
from aftercare.errors import ValidationFailed
from helpdesk.email.models import (
    EmailKind,
    OutboxMessage,
    OutboxStatus,
    SuppressionScope,
    SuppressionSource,
    SuppressReason,
)
from helpdesk.email.suppression import add_suppression
from tests.conftest import env
from tests.factories import create_ticket, unique_email
from tests.helpdesk.email.factories import customer, email


def _rows(session, **filters) -> int:
    query = select(func.count(OutboxMessage.id))
    for name, value in filters.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return session.scalar(query)


def test_enqueue_writes_a_queued_row_with_our_message_id(session):
    row = email(session)
    assert row.status == OutboxStatus.QUEUED
    assert row.message_id.startswith("<") and row.message_id.endswith(">")


def test_same_dedupe_key_returns_the_same_row(session):
    first = email(session, dedupe_key="tip:1:2")
    second = email(session, dedupe_key="tip:1:2", subject="a different subject")
    assert second.id == first.id
    assert _rows(session, dedupe_key="tip:1:2") == 1


def test_marketing_without_consent_is_declined_and_recorded(session):
    person = customer(session, marketing=False)
    assert email(session, to=person.email, customer_id=person.id, kind=EmailKind.MARKETING) is None
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == person.email))
    assert (row.status, row.suppressed_reason) == (OutboxStatus.SUPPRESSED, SuppressReason.NO_CONSENT)


def test_marketing_to_an_address_without_customer_record_is_declined(session):
    assert email(session, to=unique_email("stranger"), kind=EmailKind.MARKETING) is None


def test_survey_needs_survey_consent(session):
    person = customer(session, surveys=False)
    assert email(session, to=person.email, customer_id=person.id, kind=EmailKind.SURVEY) is None


def test_suppressed_address_gets_no_marketing(session):
    person = customer(session)
    add_suppression(session, person.email, SuppressionScope.MARKETING, source=SuppressionSource.ADMIN)
    assert email(session, to=person.email, customer_id=person.id, kind=EmailKind.MARKETING) is None


def test_marketing_suppression_does_not_stop_transactional_mail(session):
    person = customer(session)
    add_suppression(session, person.email, SuppressionScope.MARKETING, source=SuppressionSource.ADMIN)
    assert email(session, to=person.email, customer_id=person.id) is not None


def test_suppression_of_all_mail_stops_transactional_mail_that_is_not_a_ticket_reply(session):
    person = customer(session)
    add_suppression(session, person.email, SuppressionScope.ALL, source=SuppressionSource.HARD_BOUNCE)
    assert email(session, to=person.email) is None


def test_reply_about_their_own_ticket_reaches_a_suppressed_requester(session):
    ticket = create_ticket(session)
    add_suppression(session, ticket.requester.email, SuppressionScope.ALL, source=SuppressionSource.ADMIN)
    assert email(session, to=ticket.requester.email, ticket_id=ticket.id) is not None


def test_a_reply_on_an_erased_customers_ticket_is_not_sent_to_the_placeholder(session):
    # Erasure leaves "erased-<id>@erased.invalid" on the customer; ".invalid" never resolves (RFC 2606).
    ticket = create_ticket(session)
    ticket.requester.email = f"erased-{ticket.requester.id}@erased.invalid"
    session.flush()
    assert email(session, to=ticket.requester.email, ticket_id=ticket.id) is None


def test_frequency_cap_declines_the_marketing_mail_over_the_weekly_cap(session):
    person = customer(session)
    with env(AFTERCARE_EMAIL_FREQUENCY_CAP_PER_WEEK="2"):
        sent = [email(session, to=person.email, customer_id=person.id, kind=EmailKind.MARKETING) for _ in range(3)]
    assert [row is not None for row in sent] == [True, True, False]
    assert _rows(session, customer_id=person.id, suppressed_reason=SuppressReason.FREQUENCY_CAP) == 1


def test_frequency_cap_counts_only_the_last_seven_days(session):
    person = customer(session)
    long_ago = utcnow() - timedelta(days=8)
    with env(AFTERCARE_EMAIL_FREQUENCY_CAP_PER_WEEK="1"):
        email(session, to=person.email, customer_id=person.id, kind=EmailKind.MARKETING, now=long_ago)
        assert email(session, to=person.email, customer_id=person.id, kind=EmailKind.MARKETING) is not None


def test_declined_key_is_revived_once_consent_is_given(session):
    person = customer(session, marketing=False)
    assert email(session, to=person.email, customer_id=person.id, kind=EmailKind.MARKETING, dedupe_key="k1") is None
    person.consent_marketing = True
    revived = email(session, to=person.email, customer_id=person.id, kind=EmailKind.MARKETING, dedupe_key="k1")
    assert revived is not None and revived.status == OutboxStatus.QUEUED
    assert _rows(session, dedupe_key="k1") == 1


def test_marketing_carries_one_click_unsubscribe_headers(session):
    person = customer(session)
    row = email(session, to=person.email, customer_id=person.id, kind=EmailKind.MARKETING)
    assert row.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = row.headers["List-Unsubscribe"].split(", ")
    assert https.startswith("<http") and "/unsubscribe/" in https and mailto.startswith("<mailto:")


def test_transactional_mail_has_no_unsubscribe_headers(session):
    assert "List-Unsubscribe" not in email(session).headers


def test_caller_cannot_override_the_outbox_headers(session):
    with pytest.raises(ValidationFailed):
        email(session, headers={"Message-ID": "<forged@example.com>"})


def test_header_values_with_line_breaks_are_refused(session):
    with pytest.raises(ValidationFailed):
        email(session, headers={"X-Note": "a\r\nBcc: victim@example.com"})


def test_line_breaks_in_the_subject_never_start_a_header(session):
    assert email(session, subject="Hello\r\nBcc: victim@example.com").subject == "Hello Bcc: victim@example.com"


def test_a_list_of_addresses_is_refused(session):
    with pytest.raises(ValidationFailed):
        email(session, to="a@example.com, b@example.com")


def test_send_after_delays_the_first_attempt(session):
    later = utcnow() + timedelta(days=2)
    assert email(session, send_after=later).next_attempt_at == later


def test_worker_is_nudged_once_after_commit(database, memory_queue):
    with database.session() as session:
        email(session)
        email(session)
        assert memory_queue.pending_count() == 0
    assert [type(task).__name__ for task in memory_queue.pending()] == ["send_outbox_now"]


def test_rolled_back_enqueue_nudges_nobody(database, memory_queue):
    with pytest.raises(RuntimeError), database.session() as session:
        email(session)
        raise RuntimeError("the caller's transaction fails")
    assert memory_queue.pending_count() == 0
