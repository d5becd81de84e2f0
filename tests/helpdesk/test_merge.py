"""Merging tickets: messages and attachments move, the source closes with a link, the customer is
told once, refusals, where later replies go, and undo putting back exactly what moved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accounts.service import Principal
from aftercare.db import utcnow
from aftercare.errors import Conflict, ValidationFailed
from helpdesk import merge, service
from helpdesk.email.models import Attachment, OutboxMessage
from helpdesk.models import AuditField, Message, TicketStatus
from helpdesk.schemas import MessageCreate, TicketUpdate
from tests.factories import create_ticket, staff_principal, unique_email


@pytest.fixture
def agent(session):
    return staff_principal(session)


def pair(session, **target_overrides):
    """A source and a target of one requester (unless overridden), the target opened later."""
    email = unique_email("twice")
    source = create_ticket(session, customer_email=email, subject="Thermostat offline", body="It shows offline.")
    target = create_ticket(
        session, **{"customer_email": email, "subject": "Still offline", "body": "Any news?", **target_overrides}
    )
    return source, target


def attach(session, ticket):
    attachment = Attachment(ticket_id=ticket.id, filename="photo.jpg", content_type="image/jpeg", size_bytes=10)
    session.add(attachment)
    session.flush()
    return attachment


def merge_mails(session, source) -> int:
    key = f"{merge.MERGED_PREFIX}{source.id}:%"
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.dedupe_key.like(key)))


def bodies(session, ticket) -> list[str]:
    return list(
        session.scalars(
            select(Message.body).where(Message.ticket_id == ticket.id).order_by(Message.created_at, Message.id)
        )
    )


def test_merge_moves_the_messages_to_the_target(session, agent):
    source, target = pair(session)

    merge.merge_tickets(session, source, target, agent)

    assert sorted(bodies(session, target)) == ["Any news?", "It shows offline."]


def test_the_target_shows_the_moved_messages_in_time_order(session, agent):
    source, target = pair(session)
    # The source's message was written first, whatever the ids say.
    target.messages[0].created_at = utcnow() + timedelta(minutes=5)
    session.flush()

    merge.merge_tickets(session, source, target, agent)

    assert [m.body for m in service.get_ticket(session, target.id).messages] == ["It shows offline.", "Any news?"]


def test_merge_moves_the_attachments(session, agent):
    source, target = pair(session)
    attachment = attach(session, source)

    merge.merge_tickets(session, source, target, agent)

    assert session.get(Attachment, attachment.id).ticket_id == target.id


def test_merge_closes_the_source_with_a_link_to_the_target(session, agent):
    source, target = pair(session)

    merge.merge_tickets(session, source, target, agent)

    assert (source.status, source.merged_into_id) == (TicketStatus.CLOSED, target.id)


def test_merge_is_in_the_audit_trail_of_both(session, agent):
    source, target = pair(session)

    merge.merge_tickets(session, source, target, agent)

    assert [e.new_value for e in source.events if e.field == AuditField.MERGE] == [f"into:{target.id}"]
    assert [e.new_value for e in target.events if e.field == AuditField.MERGE] == [f"from:{source.id}"]


def test_the_customer_is_mailed_once_in_the_tickets_language(session, agent):
    source, target = pair(session)
    source.language = "pl"

    merge.merge_tickets(session, source, target, agent)

    mail = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"{merge.MERGED_PREFIX}%")))
    assert (merge_mails(session, source), mail.language, mail.to_address) == (1, "pl", source.requester.email)


def test_merging_again_after_undo_does_not_mail_again(session, agent):
    source, target = pair(session)
    merge.merge_tickets(session, source, target, agent)
    merge.unmerge(session, source, agent)

    merge.merge_tickets(session, source, target, agent)

    assert merge_mails(session, source) == 1


def test_a_ticket_cannot_be_merged_into_itself(session, agent):
    ticket = create_ticket(session)

    with pytest.raises(ValidationFailed, match="itself"):
        merge.merge_tickets(session, ticket, ticket, agent)


def test_a_ticket_cannot_be_merged_into_a_merged_ticket(session, agent):
    source, target = pair(session)
    third = create_ticket(session, customer_email=source.requester.email)
    merge.merge_tickets(session, target, third, agent)

    with pytest.raises(Conflict, match="merged into"):
        merge.merge_tickets(session, source, target, agent)


def test_a_merged_ticket_cannot_be_merged_again(session, agent):
    source, target = pair(session)
    third = create_ticket(session, customer_email=source.requester.email)
    merge.merge_tickets(session, source, target, agent)

    with pytest.raises(Conflict, match="already merged"):
        merge.merge_tickets(session, source, third, agent)


def test_tickets_of_two_requesters_need_force(session, agent):
    source, target = pair(session, customer_email=unique_email("someone-else"))

    with pytest.raises(Conflict, match="different requesters"):
        merge.merge_tickets(session, source, target, agent)


def test_tickets_of_two_requesters_merge_with_force(session, agent):
    source, target = pair(session, customer_email=unique_email("someone-else"))

    merge.merge_tickets(session, source, target, agent, force=True)

    assert source.merged_into_id == target.id


def test_a_closed_target_is_refused(session, agent):
    source, target = pair(session)
    service.update_ticket(session, target, TicketUpdate(status=TicketStatus.SOLVED), agent)
    service.update_ticket(session, target, TicketUpdate(status=TicketStatus.CLOSED), agent)

    with pytest.raises(Conflict, match="closed"):
        merge.merge_tickets(session, source, target, agent)


def test_an_agent_cannot_write_on_a_merged_ticket(session, agent):
    source, target = pair(session)
    merge.merge_tickets(session, source, target, agent)

    with pytest.raises(Conflict, match="merged into"):
        service.add_message(session, source, MessageCreate(body="Hello?"), agent)


def test_a_customer_reply_on_the_merged_ticket_lands_on_the_target(session, agent):
    source, target = pair(session)
    merge.merge_tickets(session, source, target, agent)
    customer = Principal(customer=source.requester, ticket_link_id=source.id)

    message = service.add_message(session, source, MessageCreate(body="One more thing"), customer)

    assert message.ticket_id == target.id


def test_undo_moves_back_exactly_the_moved_messages(session, agent):
    source, target = pair(session)
    merge.merge_tickets(session, source, target, agent)
    service.add_message(session, target, MessageCreate(body="Answer after the merge"), agent)

    merge.unmerge(session, source, agent)

    assert (bodies(session, source), bodies(session, target)) == (
        ["It shows offline."],
        ["Any news?", "Answer after the merge"],
    )


def test_undo_moves_back_the_attachments(session, agent):
    source, target = pair(session)
    attachment = attach(session, source)
    merge.merge_tickets(session, source, target, agent)

    merge.unmerge(session, source, agent)

    assert session.get(Attachment, attachment.id).ticket_id == source.id


def test_undo_gives_the_source_its_status_again(session, agent):
    source, target = pair(session)
    service.update_ticket(session, source, TicketUpdate(status=TicketStatus.PENDING), agent)
    merge.merge_tickets(session, source, target, agent)

    merge.unmerge(session, source, agent)

    assert (source.status, source.merged_into_id, source.closed_at) == (TicketStatus.PENDING, None, None)


def test_undo_of_a_ticket_not_merged_is_refused(session, agent):
    ticket = create_ticket(session)

    with pytest.raises(Conflict, match="not merged"):
        merge.unmerge(session, ticket, agent)
