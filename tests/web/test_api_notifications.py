"""Agents' notifications in the JSON API: list, mark read, preferences; each agent's own only."""

from __future__ import annotations

from accounts.service import principal_for_user
from helpdesk import service
from helpdesk.models import MessageKind
from helpdesk.schemas import MessageCreate
from tests.factories import create_customer_user, create_staff, create_ticket, token_for


def _mentioned(session, name: str):
    agent = create_staff(session, name=name)
    ticket = create_ticket(session)
    author = create_staff(session, name="Abel Author")
    service.add_message(
        session,
        ticket,
        MessageCreate(body=f"@{name.split()[0]} look", kind=MessageKind.INTERNAL_NOTE),
        principal_for_user(author),
    )
    session.commit()
    return agent, ticket, author


def test_unread_notifications_are_listed_with_their_count(client, session):
    agent, ticket, author = _mentioned(session, "Ula Unread")
    data = client.get("/api/v1/notifications", params={"unread": "true"}, headers=token_for(session, agent)).json()
    (item,) = data["items"]
    assert (item["kind"], item["ticket_id"], item["actor_name"], data["unread_count"]) == (
        "mentioned",
        ticket.id,
        "Abel Author",
        1,
    )


def test_marking_all_read_leaves_no_unread(client, session):
    agent, _, _ = _mentioned(session, "Rosa Read")
    headers = token_for(session, agent)
    marked = client.post("/api/v1/notifications/read", json={"all": True}, headers=headers).json()
    assert marked == {"marked": 1, "unread_count": 0}


def test_marking_read_needs_ids_or_all(client, session):
    agent = create_staff(session)
    response = client.post("/api/v1/notifications/read", json={}, headers=token_for(session, agent))
    assert response.status_code == 422


def test_another_agents_ids_mark_nothing(client, session):
    agent, _, _ = _mentioned(session, "Oskar Owner")
    theirs = client.get("/api/v1/notifications", headers=token_for(session, agent)).json()["items"][0]["id"]
    other = create_staff(session)
    marked = client.post("/api/v1/notifications/read", json={"ids": [theirs]}, headers=token_for(session, other))
    assert marked.json()["marked"] == 0


def test_customers_have_no_notifications(client, session):
    customer = create_customer_user(session)
    response = client.get("/api/v1/notifications", headers=token_for(session, customer))
    assert response.status_code == 403


def test_preferences_list_every_kind_with_defaults(client, session):
    agent = create_staff(session)
    data = client.get("/api/v1/notification-preferences", headers=token_for(session, agent)).json()
    assert {p["kind"]: (p["in_app"], p["email"]) for p in data}["new_ticket"] == (False, False)
    assert len(data) == 4


def test_put_preferences_changes_the_given_kinds_only(client, session):
    agent = create_staff(session)
    headers = token_for(session, agent)
    body = {"preferences": [{"kind": "new_ticket", "in_app": True, "email": True, "languages": ["en"]}]}
    data = client.put("/api/v1/notification-preferences", json=body, headers=headers).json()
    by_kind = {p["kind"]: p for p in data}
    assert by_kind["new_ticket"] == {"kind": "new_ticket", "in_app": True, "email": True, "languages": ["en"]}
    assert (by_kind["mentioned"]["in_app"], by_kind["mentioned"]["email"]) == (True, True)


def test_put_preferences_refuses_an_unknown_kind(client, session):
    agent = create_staff(session)
    body = {"preferences": [{"kind": "birthday", "in_app": True, "email": True}]}
    response = client.put("/api/v1/notification-preferences", json=body, headers=token_for(session, agent))
    assert response.status_code == 422
