"""Collision detection on the agent's ticket page: the presence box and replies on a changed ticket."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from accounts.service import Principal, principal_for_user
from helpdesk import presence, service
from helpdesk.models import Message, MessageKind
from helpdesk.schemas import MessageCreate
from tests.factories import create_staff, create_ticket, token_for
from tests.web.pages_support import csrf_from, sign_in


def _seen_id(html: str) -> str:
    match = re.search(r'name="seen_message_id" value="(\d+)"', html)
    assert match, "the reply form carries no seen_message_id"
    return match.group(1)


def _message_count(session, ticket_id: int) -> int:
    return session.scalar(select(func.count(Message.id)).where(Message.ticket_id == ticket_id))


def test_the_presence_box_names_another_agent_viewing(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    other = create_staff(session, name="Agnieszka Nowak")
    presence.heartbeat(session, ticket.id, other.id, presence.PresenceState.VIEWING)
    token = csrf_from(client.get(f"/agent/tickets/{ticket.id}").text)
    response = client.post(
        f"/agent/tickets/{ticket.id}/presence", data={"state": "viewing"}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 200 and "Agnieszka Nowak is viewing" in response.text


def test_a_typing_heartbeat_is_seen_by_the_other_agent(client, session):
    me = sign_in(client, session)
    ticket = create_ticket(session)
    other = create_staff(session)
    token = csrf_from(client.get(f"/agent/tickets/{ticket.id}").text)
    client.post(f"/agent/tickets/{ticket.id}/presence", data={"state": "typing"}, headers={"X-CSRF-Token": token})
    (seen,) = presence.others_present(session, ticket.id, other.id)
    assert (seen.user_id, seen.state) == (me.id, presence.PresenceState.TYPING)


def test_a_heartbeat_without_the_csrf_token_is_refused(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    response = client.post(f"/agent/tickets/{ticket.id}/presence", data={"state": "viewing"})
    assert response.status_code == 403


def test_an_unknown_presence_state_is_a_clear_422(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    token = csrf_from(client.get(f"/agent/tickets/{ticket.id}").text)
    response = client.post(
        f"/agent/tickets/{ticket.id}/presence", data={"state": "dancing"}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 422 and "state must be one of" in response.text


def test_the_reply_form_carries_the_newest_message_seen(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    html = client.get(f"/agent/tickets/{ticket.id}").text
    assert _seen_id(html) == str(ticket.messages[-1].id)


def test_a_reply_on_a_changed_ticket_is_not_sent(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    html = client.get(f"/agent/tickets/{ticket.id}").text
    service.add_message(session, ticket, MessageCreate(body="Hello? Anyone?"), Principal(customer=ticket.requester))
    before = _message_count(session, ticket.id)
    response = client.post(
        f"/agent/tickets/{ticket.id}/messages",
        data={"csrf_token": csrf_from(html), "body": "Please restart it.", "seen_message_id": _seen_id(html)},
    )
    assert response.status_code == 409 and _message_count(session, ticket.id) == before


def test_the_refused_reply_is_kept_with_the_new_message_highlighted(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    html = client.get(f"/agent/tickets/{ticket.id}").text
    newer = service.add_message(session, ticket, MessageCreate(body="Hello?"), Principal(customer=ticket.requester))
    page = client.post(
        f"/agent/tickets/{ticket.id}/messages",
        data={"csrf_token": csrf_from(html), "body": "Please <restart> it.", "seen_message_id": _seen_id(html)},
    ).text
    assert "Please &lt;restart&gt; it.</textarea>" in page
    assert re.search(rf'class="message [^"]*new-since"\s+id="message-{newer.id}"', page)
    assert "Send anyway" in page and _seen_id(page) == str(newer.id)


def test_send_anyway_from_the_refusal_page_sends_the_reply(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    html = client.get(f"/agent/tickets/{ticket.id}").text
    service.add_message(session, ticket, MessageCreate(body="Hello?"), Principal(customer=ticket.requester))
    form = {"csrf_token": csrf_from(html), "body": "Please restart it."}
    refusal = client.post(f"/agent/tickets/{ticket.id}/messages", data={**form, "seen_message_id": _seen_id(html)})
    response = client.post(
        f"/agent/tickets/{ticket.id}/messages",
        data={**form, "seen_message_id": _seen_id(refusal.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_a_reply_without_a_seen_message_is_not_checked(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    html = client.get(f"/agent/tickets/{ticket.id}").text
    service.add_message(session, ticket, MessageCreate(body="Hello?"), Principal(customer=ticket.requester))
    response = client.post(
        f"/agent/tickets/{ticket.id}/messages",
        data={"csrf_token": csrf_from(html), "body": "Please restart it."},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_a_note_shows_mentions_marked_and_the_rest_escaped(client, session):
    agent = sign_in(client, session)
    ticket = create_ticket(session)
    named = create_staff(session, name="Agnieszka Nowak")
    service.add_message(
        session,
        ticket,
        MessageCreate(body="<b>@Agnieszka</b> please", kind=MessageKind.INTERNAL_NOTE),
        principal_for_user(agent),
    )
    html = client.get(f"/agent/tickets/{ticket.id}").text
    assert (
        f'&lt;b&gt;<span class="mention" data-user-id="{named.id}" title="Agnieszka Nowak">@Agnieszka</span>'
        "&lt;/b&gt; please"
    ) in html


def test_the_api_answers_409_with_the_newer_message_ids(client, session):
    agent = create_staff(session)
    ticket = create_ticket(session)
    seen = ticket.messages[-1].id
    newer = service.add_message(session, ticket, MessageCreate(body="Hi?"), Principal(customer=ticket.requester))
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/messages",
        json={"body": "Restart it", "seen_message_id": seen},
        headers=token_for(session, agent),
    )
    assert response.status_code == 409
    assert response.json()["details"] == {"newer_message_ids": [newer.id]}


def test_the_api_sends_a_reply_written_on_the_newest_message(client, session):
    agent = create_staff(session)
    ticket = create_ticket(session)
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/messages",
        json={"body": "Restart it", "seen_message_id": ticket.messages[-1].id},
        headers=token_for(session, agent),
    )
    assert response.status_code == 201
