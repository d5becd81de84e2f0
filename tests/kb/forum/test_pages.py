"""Forum pages: reading, asking with similar threads, htmx voting/replying/accepting, moderation, escaping."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accounts.service import principal_for_user, start_login_session
from helpdesk import service as helpdesk_service
from helpdesk.models import MessageKind, TicketStatus
from helpdesk.schemas import MessageCreate
from kb.forum import moderation
from kb.forum.models import ForumReply, ForumThread, ForumVote
from kb.forum.reading import view_count
from tests.factories import create_customer_user, create_staff, create_ticket
from tests.kb.forum.factories import (
    agent,
    create_category,
    create_reply,
    create_thread,
    newcomer,
    trust,
)

HTMX = {"HX-Request": "true"}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client, session, settings, user) -> str:
    """A real login session for ``user`` (the password form has its own tests); returns a CSRF token."""
    cookie = start_login_session(session, user, lifetime=timedelta(hours=1))
    client.cookies.set(settings.session_cookie_name, cookie)
    return csrf_from(client.get("/forum").text)


@pytest.fixture
def customer(session):
    user = create_customer_user(session)
    trust(session, user)
    return user


@pytest.fixture
def customer_client(client, session, settings, customer):
    client.csrf = sign_in(client, session, settings, customer)
    return client


@pytest.fixture
def agent_client(client, session, settings):
    client.csrf = sign_in(client, session, settings, create_staff(session))
    return client


def test_anyone_reads_the_forum_and_a_thread(client, session):
    thread = create_thread(session, title="Pulse earbuds crackle")
    create_reply(session, thread, body="Update the **firmware**.")
    assert "Pulse earbuds crackle" in client.get("/forum").text
    page = client.get(f"/forum/t/{thread.id}").text
    assert "<strong>firmware</strong>" in page and "Sign in to answer" in page


def test_a_category_page_lists_its_threads(client, session):
    category = create_category(session, "vacuums", "Vacuums")
    create_thread(session, title="Vacuum stuck on rug", category="vacuums")
    create_thread(session, title="Thermostat schedule question")
    page = client.get(f"/forum/c/{category.slug}").text
    assert "Vacuum stuck on rug" in page and "Thermostat schedule question" not in page


def test_reading_a_thread_counts_a_view(client, session):
    thread = create_thread(session)
    client.get(f"/forum/t/{thread.id}")
    assert view_count(session, thread.id) == 1


def test_user_text_is_escaped_and_markdown_sanitised(client, session):
    thread = create_thread(
        session, title="<script>alert(1)</script>", body='<img src=x onerror="alert(2)"> [x](javascript:alert(3))'
    )
    page = client.get(f"/forum/t/{thread.id}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and 'href="javascript:' not in page


def test_hidden_threads_are_gone_from_pages_at_once(client, session):
    thread = create_thread(session, title="Cheap pills here")
    moderation.hide_post(session, thread, agent(session))
    assert client.get(f"/forum/t/{thread.id}").status_code == 404
    assert "Cheap pills here" not in client.get("/forum").text


def test_hidden_replies_are_gone_from_the_page(client, session):
    thread = create_thread(session)
    reply = create_reply(session, thread, body="Visit my shop")
    moderation.hide_post(session, reply, agent(session))
    assert "Visit my shop" not in client.get(f"/forum/t/{thread.id}").text


def test_asking_needs_a_sign_in(client):
    response = client.get("/forum/new", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_member_asks_a_question(customer_client, session):
    response = customer_client.post(
        "/forum/new",
        data={
            "csrf_token": customer_client.csrf,
            "title": "Robot vacuum ignores schedule",
            "body": "It never starts at 9.",
            "tags": "aurora, schedule",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = customer_client.get(response.headers["location"]).text
    assert "Robot vacuum ignores schedule" in page and "aurora" in page


def test_asking_without_csrf_is_refused(customer_client, session):
    response = customer_client.post("/forum/new", data={"title": "Question nobody asked", "body": "Body"})
    assert response.status_code == 403
    assert session.scalar(select(func.count()).where(ForumThread.title == "Question nobody asked")) == 0


def test_an_invalid_question_keeps_what_was_typed(customer_client):
    response = customer_client.post(
        "/forum/new", data={"csrf_token": customer_client.csrf, "title": "", "body": "Kept body text"}
    )
    assert response.status_code == 422 and "Kept body text" in response.text


def test_similar_threads_appear_while_typing(customer_client, session):
    create_thread(session, title="Qzwx thermostat offline")
    response = customer_client.get("/forum/new", params={"title": "qzwx offline"}, headers=HTMX)
    assert response.status_code == 200 and "<html" not in response.text
    assert 'id="similar"' in response.text and "Qzwx thermostat offline" in response.text


def test_htmx_vote_returns_only_the_reply(customer_client, session):
    reply = create_reply(session, create_thread(session))
    response = customer_client.post(
        f"/forum/replies/{reply.id}/vote", data={"value": "1"}, headers={**HTMX, "X-CSRF-Token": customer_client.csrf}
    )
    assert response.status_code == 200 and "<html" not in response.text
    assert response.text.strip().startswith(f'<li id="reply-{reply.id}"')
    assert re.search(r'class="forum-score"[^>]*>1<', response.text)
    assert 'aria-pressed="true"' in response.text


def test_a_vote_without_htmx_redirects_back(customer_client, session):
    reply = create_reply(session, create_thread(session))
    response = customer_client.post(
        f"/forum/replies/{reply.id}/vote",
        data={"value": "-1", "csrf_token": customer_client.csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"].endswith(f"#reply-{reply.id}")
    assert session.scalars(select(ForumVote.value).where(ForumVote.reply_id == reply.id)).all() == [-1]


def test_htmx_reply_returns_the_replies_block(customer_client, session):
    thread = create_thread(session)
    response = customer_client.post(
        f"/forum/t/{thread.id}/replies",
        data={"body": "Try a different channel."},
        headers={**HTMX, "X-CSRF-Token": customer_client.csrf},
    )
    assert response.status_code == 200 and "<html" not in response.text
    assert response.text.strip().startswith('<section id="replies"') and "Try a different channel." in response.text


def test_an_empty_reply_shows_an_error_in_the_block(customer_client, session):
    thread = create_thread(session)
    response = customer_client.post(
        f"/forum/t/{thread.id}/replies", data={"body": "  "}, headers={**HTMX, "X-CSRF-Token": customer_client.csrf}
    )
    assert response.status_code == 422 and 'id="reply-error"' in response.text


def test_a_locked_thread_refuses_replies_with_a_message(customer_client, session):
    thread = create_thread(session)
    moderation.lock_thread(session, thread, agent(session))
    assert "Post answer" not in customer_client.get(f"/forum/t/{thread.id}").text
    response = customer_client.post(
        f"/forum/t/{thread.id}/replies", data={"body": "Me too"}, headers={**HTMX, "X-CSRF-Token": customer_client.csrf}
    )
    assert response.status_code == 409 and "locked" in response.text
    assert (
        session.scalar(select(func.count()).where(ForumReply.thread_id == thread.id, ForumReply.body == "Me too")) == 0
    )


def test_the_asker_accepts_with_htmx(customer_client, session, customer):
    thread = create_thread(session, principal_for_user(customer))
    reply = create_reply(session, thread)
    response = customer_client.post(
        f"/forum/replies/{reply.id}/accept", headers={**HTMX, "X-CSRF-Token": customer_client.csrf}
    )
    assert response.status_code == 200 and "Accepted answer" in response.text and "Unaccept" in response.text


def test_others_see_no_accept_button_and_are_refused(customer_client, session):
    thread = create_thread(session)
    reply = create_reply(session, thread)
    assert "Accept this answer" not in customer_client.get(f"/forum/t/{thread.id}").text
    response = customer_client.post(
        f"/forum/replies/{reply.id}/accept", headers={**HTMX, "X-CSRF-Token": customer_client.csrf}
    )
    assert response.status_code == 403


def test_flagging_shows_a_thank_you(customer_client, session):
    thread = create_thread(session)
    response = customer_client.post(
        f"/forum/t/{thread.id}/flag", data={"csrf_token": customer_client.csrf, "reason": "spam"}
    )
    assert response.status_code == 200 and "A moderator will look at this post" in response.text


def test_customers_cannot_open_the_moderation_queue(customer_client):
    assert customer_client.get("/forum/moderation").status_code == 403


def test_agents_approve_from_the_queue(agent_client, session):
    thread = create_thread(session, newcomer(session), title="First post from a newcomer")
    assert "First post from a newcomer" in agent_client.get("/forum/moderation").text
    response = agent_client.post(
        f"/forum/t/{thread.id}/moderate",
        data={"csrf_token": agent_client.csrf, "action": "approve", "next": "/forum/moderation"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/forum/moderation"
    session.refresh(thread)
    assert thread.status == "published"


def test_agents_hide_a_reply_with_htmx(agent_client, session):
    thread = create_thread(session)
    reply = create_reply(session, thread, body="Spam spam spam")
    response = agent_client.post(
        f"/forum/replies/{reply.id}/moderate",
        data={"action": "hide"},
        headers={**HTMX, "X-CSRF-Token": agent_client.csrf},
    )
    assert response.status_code == 200 and "Hidden by a moderator" in response.text


def test_the_author_edits_and_the_history_keeps_the_old_text(customer_client, session, customer):
    thread = create_thread(session, principal_for_user(customer), body="Original wording")
    response = customer_client.post(
        f"/forum/t/{thread.id}/edit",
        data={"csrf_token": customer_client.csrf, "title": thread.title, "body": "Better wording", "tags": ""},
        follow_redirects=False,
    )
    assert response.status_code == 303
    history = customer_client.get(f"/forum/t/{thread.id}/history").text
    assert "Better wording" in history and "Original wording" in history


def test_agents_preview_and_publish_a_solved_ticket(agent_client, session):
    ticket = create_ticket(
        session,
        customer_name="Ana Reyes",
        subject="Reset help",
        body="I am Ana Reyes, ana@example.com. How do I reset?",
    )
    helpdesk_service.add_message(
        session,
        ticket,
        MessageCreate(body="Hi Ana, hold the dial.", kind=MessageKind.PUBLIC_REPLY, status=TicketStatus.SOLVED),
        agent(session),
    )
    preview = agent_client.get(f"/forum/publish-ticket/{ticket.id}").text
    assert "Ana" not in preview.split("<main", 1)[1] and "[email]" in preview
    response = agent_client.post(
        f"/forum/publish-ticket/{ticket.id}", data={"csrf_token": agent_client.csrf}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/forum/t/")


@pytest.mark.parametrize("language", ["pl", "th"])
def test_forum_pages_follow_the_readers_language(client, session, language):
    thread = create_thread(session)
    create_reply(session, thread)
    for path in ("/forum", f"/forum/t/{thread.id}"):
        response = client.get(path, headers={"Accept-Language": language})
        assert response.status_code == 200 and f'<html lang="{language}"' in response.text


def test_others_cannot_open_the_edit_form(customer_client, session):
    thread = create_thread(session)
    assert customer_client.get(f"/forum/t/{thread.id}/edit").status_code == 403
