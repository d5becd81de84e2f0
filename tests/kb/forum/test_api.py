"""Forum API: the documented shapes, permissions and error paths (401/403/404/409/422/429)."""

from __future__ import annotations

import pytest

from aftercare.config import get_settings
from helpdesk import service as helpdesk_service
from helpdesk.models import MessageKind, TicketStatus
from helpdesk.schemas import MessageCreate
from tests.factories import create_ticket, token_for
from tests.kb.forum.factories import agent, member, newcomer


@pytest.fixture
def asker(session):
    return member(session)


@pytest.fixture
def asker_headers(session, asker):
    return token_for(session, asker.user)


@pytest.fixture
def agent_headers(session):
    return token_for(session, agent(session).user)


@pytest.fixture
def other_headers(session):
    return token_for(session, member(session).user)


def _thread(client, headers, **overrides):
    payload = {"title": "Thermostat offline after router change", "body": "The app says **offline**."}
    payload.update(overrides)
    response = client.post("/api/v1/forum/threads", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _reply(client, thread_id, headers, body="Hold the dial for ten seconds."):
    response = client.post(f"/api/v1/forum/threads/{thread_id}/replies", json={"body": body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_thread_returns_201_with_the_thread(client, asker_headers):
    thread = _thread(client, asker_headers, tags=["Nimbus", "wifi"])
    assert thread["status"] == "published" and thread["tags"] == ["nimbus", "wifi"]
    assert thread["language"] == "en" and thread["replies"] == []
    assert thread["body_html"] == "<p>The app says <strong>offline</strong>.</p>\n"


def test_get_thread_lists_replies_with_author_score_and_accepted(client, asker_headers, agent_headers):
    thread = _thread(client, asker_headers)
    reply = _reply(client, thread["id"], agent_headers)
    client.post(f"/api/v1/forum/replies/{reply['id']}/vote", json={"value": 1}, headers=asker_headers)
    client.post(f"/api/v1/forum/replies/{reply['id']}/accept", headers=asker_headers)
    body = client.get(f"/api/v1/forum/threads/{thread['id']}").json()
    [item] = body["replies"]
    assert {key: item[key] for key in ("id", "body", "score", "accepted")} == {
        "id": reply["id"],
        "body": "Hold the dial for ten seconds.",
        "score": 1,
        "accepted": True,
    }
    assert item["author"]["badges"] == ["agent"] and body["accepted_reply_id"] == reply["id"]


def test_anonymous_readers_list_threads(client, asker_headers):
    thread = _thread(client, asker_headers)
    listing = client.get("/api/v1/forum/threads", params={"page_size": 100}).json()
    assert thread["id"] in [item["id"] for item in listing["items"]]


def test_anonymous_cannot_post(client):
    response = client.post("/api/v1/forum/threads", json={"title": "Hi", "body": "Question"})
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_a_bad_token_is_401(client):
    response = client.get("/api/v1/forum/threads", headers={"Authorization": "Bearer ac_wrong"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "payload",
    [
        {"title": "", "body": "Question"},
        {"title": "Title", "body": "   "},
        {"title": "Title", "body": "Question", "categroy": "typo"},
        {"title": "Title", "body": "Question", "category": "no-such-category"},
    ],
)
def test_invalid_threads_are_422(client, asker_headers, payload):
    assert client.post("/api/v1/forum/threads", json=payload, headers=asker_headers).status_code == 422


def test_a_missing_thread_is_404(client, asker_headers):
    assert client.get("/api/v1/forum/threads/999999").status_code == 404
    response = client.post("/api/v1/forum/threads/999999/replies", json={"body": "Hi"}, headers=asker_headers)
    assert response.status_code == 404


def test_a_newcomers_thread_is_pending_and_hidden_from_others(client, session):
    headers = token_for(session, newcomer(session).user)
    thread = _thread(client, headers)
    assert thread["status"] == "pending_review"
    assert client.get(f"/api/v1/forum/threads/{thread['id']}").status_code == 404
    assert client.get(f"/api/v1/forum/threads/{thread['id']}", headers=headers).status_code == 200


def test_agents_approve_pending_threads(client, session, agent_headers):
    thread = _thread(client, token_for(session, newcomer(session).user))
    response = client.post(f"/api/v1/forum/threads/{thread['id']}/approve", headers=agent_headers)
    assert response.json()["status"] == "published"
    assert client.get(f"/api/v1/forum/threads/{thread['id']}").status_code == 200


def test_vote_change_and_retract(client, asker_headers, other_headers):
    thread = _thread(client, asker_headers)
    reply = _reply(client, thread["id"], other_headers)
    url = f"/api/v1/forum/replies/{reply['id']}/vote"
    assert client.post(url, json={"value": 1}, headers=asker_headers).json()["score"] == 1
    assert client.post(url, json={"value": -1}, headers=asker_headers).json()["score"] == -1
    retracted = client.post(url, json={"value": 0}, headers=asker_headers).json()
    assert (retracted["score"], retracted["my_vote"]) == (0, 0)


def test_a_vote_outside_plus_minus_one_is_422(client, asker_headers, other_headers):
    reply = _reply(client, _thread(client, asker_headers)["id"], other_headers)
    url = f"/api/v1/forum/replies/{reply['id']}/vote"
    response = client.post(url, json={"value": 2}, headers=asker_headers)
    assert response.status_code == 422 and "value" in response.json()["detail"]
    # The refused vote counted nothing: a valid one afterwards is the only vote.
    assert client.post(url, json={"value": 1}, headers=asker_headers).json()["score"] == 1


def test_voting_on_your_own_reply_is_403(client, asker_headers, other_headers):
    reply = _reply(client, _thread(client, asker_headers)["id"], other_headers)
    url = f"/api/v1/forum/replies/{reply['id']}/vote"
    response = client.post(url, json={"value": 1}, headers=other_headers)
    assert response.status_code == 403 and response.json()["detail"]
    # The author's own vote was not counted: the asker's is the only one.
    assert client.post(url, json={"value": 1}, headers=asker_headers).json()["score"] == 1


def test_only_the_asker_or_an_agent_accepts(client, asker_headers, other_headers, agent_headers, session):
    reply = _reply(client, _thread(client, asker_headers)["id"], other_headers)
    url = f"/api/v1/forum/replies/{reply['id']}/accept"
    third = token_for(session, member(session).user)
    assert client.post(url, headers=third).status_code == 403
    thread_url = f"/api/v1/forum/threads/{reply['thread_id']}"
    assert client.get(thread_url, headers=agent_headers).json()["accepted_reply_id"] is None
    accepted = client.post(url, headers=agent_headers)
    assert accepted.status_code == 200 and accepted.json()["accepted_reply_id"] == reply["id"]


def test_unaccept_by_delete_and_by_post(client, asker_headers, other_headers):
    reply = _reply(client, _thread(client, asker_headers)["id"], other_headers)
    url = f"/api/v1/forum/replies/{reply['id']}/accept"
    client.post(url, headers=asker_headers)
    assert client.delete(url, headers=asker_headers).json()["accepted_reply_id"] is None
    client.post(url, headers=asker_headers)
    response = client.post(f"/api/v1/forum/replies/{reply['id']}/unaccept", headers=asker_headers)
    assert response.json()["accepted_reply_id"] is None


def test_unaccepting_what_is_not_accepted_is_409(client, asker_headers, other_headers):
    reply = _reply(client, _thread(client, asker_headers)["id"], other_headers)
    assert client.delete(f"/api/v1/forum/replies/{reply['id']}/accept", headers=asker_headers).status_code == 409


def test_customers_cannot_hide(client, asker_headers, other_headers):
    thread = _thread(client, asker_headers)
    assert client.post(f"/api/v1/forum/threads/{thread['id']}/hide", headers=other_headers).status_code == 403
    assert client.post(f"/api/v1/forum/threads/{thread['id']}/hide").status_code == 401


def test_a_hidden_thread_is_404_for_readers_at_once(client, asker_headers, agent_headers):
    thread = _thread(client, asker_headers)
    response = client.post(f"/api/v1/forum/threads/{thread['id']}/hide", json={"note": "spam"}, headers=agent_headers)
    assert response.json()["status"] == "hidden"
    assert client.get(f"/api/v1/forum/threads/{thread['id']}").status_code == 404
    assert client.get(f"/api/v1/forum/threads/{thread['id']}", headers=asker_headers).status_code == 404
    assert client.get(f"/api/v1/forum/threads/{thread['id']}", headers=agent_headers).status_code == 200


def test_hiding_twice_is_409(client, asker_headers, agent_headers):
    thread = _thread(client, asker_headers)
    client.post(f"/api/v1/forum/threads/{thread['id']}/hide", headers=agent_headers)
    assert client.post(f"/api/v1/forum/threads/{thread['id']}/hide", headers=agent_headers).status_code == 409


def test_a_hidden_reply_disappears_from_the_thread(client, asker_headers, other_headers, agent_headers):
    thread = _thread(client, asker_headers)
    reply = _reply(client, thread["id"], other_headers)
    client.post(f"/api/v1/forum/replies/{reply['id']}/hide", headers=agent_headers)
    assert client.get(f"/api/v1/forum/threads/{thread['id']}").json()["replies"] == []


def test_replying_to_a_locked_thread_is_409(client, asker_headers, other_headers, agent_headers):
    thread = _thread(client, asker_headers)
    assert client.post(f"/api/v1/forum/threads/{thread['id']}/lock", headers=agent_headers).json()["locked"]
    response = client.post(f"/api/v1/forum/threads/{thread['id']}/replies", json={"body": "Hi"}, headers=other_headers)
    assert response.status_code == 409


def test_flagging_twice_is_409_and_the_flag_is_queued(client, asker_headers, other_headers, agent_headers):
    thread = _thread(client, asker_headers)
    url = f"/api/v1/forum/threads/{thread['id']}/flag"
    assert client.post(url, json={"reason": "spam"}, headers=other_headers).status_code == 201
    assert client.post(url, json={"reason": "abuse"}, headers=other_headers).status_code == 409
    queue = client.get("/api/v1/forum/moderation/queue", headers=agent_headers).json()
    assert [post["thread_id"] for post in queue["flagged"]] == [thread["id"]]


def test_an_unknown_flag_reason_is_422(client, asker_headers, other_headers):
    thread = _thread(client, asker_headers)
    response = client.post(
        f"/api/v1/forum/threads/{thread['id']}/flag", json={"reason": "boring"}, headers=other_headers
    )
    assert response.status_code == 422


def test_customers_cannot_read_the_moderation_queue(client, asker_headers):
    assert client.get("/api/v1/forum/moderation/queue", headers=asker_headers).status_code == 403


def test_edits_keep_history(client, asker_headers):
    thread = _thread(client, asker_headers, body="First version")
    client.patch(f"/api/v1/forum/threads/{thread['id']}", json={"body": "Second version"}, headers=asker_headers)
    history = client.get(f"/api/v1/forum/threads/{thread['id']}/history", headers=asker_headers).json()
    assert [item["previous_body"] for item in history] == ["First version"]


def test_others_cannot_edit_a_reply(client, asker_headers, other_headers):
    reply = _reply(client, _thread(client, asker_headers)["id"], other_headers)
    response = client.patch(f"/api/v1/forum/replies/{reply['id']}", json={"body": "Changed"}, headers=asker_headers)
    assert response.status_code == 403


def test_similar_threads_endpoint(client, asker_headers):
    thread = _thread(client, asker_headers, title="Zyxwv grinding vacuum")
    found = client.get("/api/v1/forum/similar", params={"title": "zyxwv noise"}).json()
    assert [item["id"] for item in found] == [thread["id"]]


def test_agents_turn_a_thread_into_a_ticket(client, asker_headers, agent_headers, asker):
    thread = _thread(client, asker_headers)
    response = client.post(f"/api/v1/forum/threads/{thread['id']}/ticket", headers=agent_headers)
    assert response.status_code == 201
    ticket = client.get(f"/api/v1/tickets/{response.json()['ticket_id']}", headers=agent_headers).json()
    assert ticket["requester"]["id"] == asker.customer.id and ticket["channel"] == "forum"
    assert client.post(f"/api/v1/forum/threads/{thread['id']}/ticket", headers=agent_headers).status_code == 409


def test_agents_promote_an_accepted_answer(client, asker_headers, other_headers, agent_headers):
    thread = _thread(client, asker_headers)
    promote = f"/api/v1/forum/threads/{thread['id']}/promote"
    assert client.post(promote, headers=agent_headers).status_code == 409
    reply = _reply(client, thread["id"], other_headers)
    client.post(f"/api/v1/forum/replies/{reply['id']}/accept", headers=asker_headers)
    response = client.post(promote, headers=agent_headers)
    assert response.status_code == 201
    article = client.get(f"/api/v1/articles/{response.json()['article_id']}", headers=agent_headers)
    assert article.status_code == 200 and article.json()["status"] == "draft"


def test_agents_publish_a_solved_ticket(client, session, agent_headers):
    moderator = agent(session)
    ticket = create_ticket(
        session,
        customer_name="Maria Santos",
        subject="Earbuds do not charge",
        body="Hello, I am Maria Santos. My earbuds do not charge.",
    )
    helpdesk_service.add_message(
        session,
        ticket,
        MessageCreate(
            body="Hi Maria, clean the contacts with a dry cloth.",
            kind=MessageKind.PUBLIC_REPLY,
            status=TicketStatus.SOLVED,
        ),
        moderator,
    )
    response = client.post(f"/api/v1/forum/from-ticket/{ticket.id}", headers=agent_headers)
    assert response.status_code == 201
    thread = response.json()
    assert "Maria" not in thread["body"] and "Maria" not in thread["replies"][0]["body"]
    assert thread["replies"][0]["accepted"] and thread["author"]["id"] is None
    assert client.post(f"/api/v1/forum/from-ticket/{ticket.id}", headers=agent_headers).status_code == 409


def test_customers_posting_too_fast_get_429(client, asker_headers):
    allowed = int(get_settings().forum_post_rate_limit.split("/")[0])
    thread = _thread(client, asker_headers)
    for n in range(allowed - 1):
        _reply(client, thread["id"], asker_headers, body=f"Bump {n}")
    response = client.post(
        f"/api/v1/forum/threads/{thread['id']}/replies", json={"body": "One too many"}, headers=asker_headers
    )
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1


def test_agents_are_not_rate_limited(client, asker_headers, agent_headers):
    thread = _thread(client, asker_headers)
    for n in range(int(get_settings().forum_post_rate_limit.split("/")[0]) + 1):
        _reply(client, thread["id"], agent_headers, body=f"Answer {n}")
