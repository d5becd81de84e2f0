"""Collision detection: who else has a ticket open (heartbeats) and replies on a changed ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.service import Principal, principal_for_user
from aftercare.db import utcnow
from helpdesk import presence, service
from helpdesk.models import MessageKind
from helpdesk.schemas import MessageCreate
from tests.factories import create_staff, create_ticket


def test_another_agent_with_the_ticket_open_is_viewing(session):
    ticket = create_ticket(session)
    me, other = create_staff(session), create_staff(session, name="Agnieszka Nowak")
    presence.heartbeat(session, ticket.id, other.id, presence.PresenceState.VIEWING)
    found = presence.others_present(session, ticket.id, me.id)
    assert [(p.name, p.state) for p in found] == [("Agnieszka Nowak", presence.PresenceState.VIEWING)]


def test_the_agent_is_not_told_about_themself(session):
    ticket = create_ticket(session)
    me = create_staff(session)
    presence.heartbeat(session, ticket.id, me.id, presence.PresenceState.VIEWING)
    assert presence.others_present(session, ticket.id, me.id) == []


def test_a_typing_beat_shows_typing_until_the_viewing_beats_outlast_it(session):
    ticket = create_ticket(session)
    me, other = create_staff(session), create_staff(session)
    start = utcnow()
    presence.heartbeat(session, ticket.id, other.id, presence.PresenceState.TYPING, now=start)
    # The page's regular beat a moment later does not end the typing...
    presence.heartbeat(session, ticket.id, other.id, presence.PresenceState.VIEWING, now=start + timedelta(seconds=4))
    assert presence.others_present(session, ticket.id, me.id, now=start + timedelta(seconds=4))[0].state == "typing"
    # ...a pause longer than TYPING_TTL does.
    later = start + presence.TYPING_TTL + timedelta(seconds=1)
    presence.heartbeat(session, ticket.id, other.id, presence.PresenceState.VIEWING, now=later)
    assert presence.others_present(session, ticket.id, me.id, now=later)[0].state == "viewing"


def test_an_agent_silent_longer_than_the_ttl_has_left(session):
    ticket = create_ticket(session)
    me, other = create_staff(session), create_staff(session)
    then = utcnow() - presence.PRESENCE_TTL - timedelta(seconds=1)
    presence.heartbeat(session, ticket.id, other.id, presence.PresenceState.VIEWING, now=then)
    assert presence.others_present(session, ticket.id, me.id) == []


def test_stale_rows_are_pruned_by_the_next_heartbeat(session):
    ticket = create_ticket(session)
    me, other = create_staff(session), create_staff(session)
    then = utcnow() - presence.PRESENCE_TTL - timedelta(seconds=1)
    presence.heartbeat(session, ticket.id, other.id, presence.PresenceState.VIEWING, now=then)
    presence.heartbeat(session, ticket.id, me.id, presence.PresenceState.VIEWING)
    rows = session.scalars(
        select(presence.TicketPresence.user_id).where(presence.TicketPresence.ticket_id == ticket.id)
    ).all()
    assert rows == [me.id]


def test_heartbeats_upsert_one_row_per_agent_and_ticket(session):
    ticket = create_ticket(session)
    me = create_staff(session)
    for _ in range(3):
        presence.heartbeat(session, ticket.id, me.id, presence.PresenceState.VIEWING)
    count = len(
        session.scalars(select(presence.TicketPresence).where(presence.TicketPresence.ticket_id == ticket.id)).all()
    )
    assert count == 1


def test_a_customer_reply_after_the_seen_message_makes_a_reply_stale(session):
    ticket = create_ticket(session)
    agent = create_staff(session)
    seen = presence.latest_message_id(session, ticket.id)
    customer_reply = service.add_message(
        session, ticket, MessageCreate(body="Any news?"), Principal(customer=ticket.requester)
    )
    with pytest.raises(presence.StaleReply) as refused:
        presence.check_not_stale(session, ticket.id, seen, agent.id)
    assert refused.value.details == {"newer_message_ids": [customer_reply.id]}


def test_another_agents_note_after_the_seen_message_makes_a_reply_stale(session):
    ticket = create_ticket(session)
    agent, colleague = create_staff(session), create_staff(session)
    seen = presence.latest_message_id(session, ticket.id)
    note = service.add_message(
        session,
        ticket,
        MessageCreate(body="I called them", kind=MessageKind.INTERNAL_NOTE),
        principal_for_user(colleague),
    )
    assert [m.id for m in presence.newer_messages(session, ticket.id, seen, agent.id)] == [note.id]


def test_the_agents_own_messages_do_not_make_their_reply_stale(session):
    ticket = create_ticket(session)
    agent = create_staff(session)
    seen = presence.latest_message_id(session, ticket.id)
    service.add_message(
        session, ticket, MessageCreate(body="Note to self", kind=MessageKind.INTERNAL_NOTE), principal_for_user(agent)
    )
    presence.check_not_stale(session, ticket.id, seen, agent.id)


def test_without_a_seen_message_there_is_no_check(session):
    ticket = create_ticket(session)
    presence.check_not_stale(session, ticket.id, None, None)
