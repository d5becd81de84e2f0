"""The ticket link an anonymous intake's requester gets: only in the confirmation e-mail."""

from __future__ import annotations

from sqlalchemy import select

from helpdesk.email.models import OutboxMessage


def emailed_link(session, ticket_id: int) -> str:
    """The signed "follow your ticket" address from the ticket's confirmation (the outbox row)."""
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"ticket-confirmation:{ticket_id}"))
    assert row is not None, f"no confirmation e-mail was queued for ticket {ticket_id}"
    url = row.text_body.split(f"/tickets/{ticket_id}?access_token=", 1)[1].split()[0]
    return f"/tickets/{ticket_id}?access_token={url}"


def emailed_token(session, ticket_id: int) -> str:
    return emailed_link(session, ticket_id).split("access_token=", 1)[1]
