"""Accepted answer -> KB draft, thread -> ticket, solved ticket -> anonymised thread."""

from __future__ import annotations

import pytest

from accounts.service import Principal
from aftercare.db import utcnow
from aftercare.errors import Conflict, Forbidden, InvalidTransition
from helpdesk import service as helpdesk_service
from helpdesk.models import MessageKind, TicketChannel, TicketStatus
from helpdesk.schemas import MessageCreate
from kb import service as kb_service
from kb.forum import promotion, votes
from kb.forum.access import get_thread_for
from kb.forum.indexing import iter_indexable_threads
from kb.forum.models import PostStatus
from kb.models import ArticleStatus
from tests.factories import create_ticket
from tests.kb.forum.factories import agent, create_reply, create_thread, member


@pytest.fixture
def answered(session):
    asker = member(session)
    thread = create_thread(session, asker, title="Thermostat offline after router change", tags=["nimbus"])
    reply = create_reply(session, thread, body="Hold the dial for 10 seconds and join the new network.")
    votes.accept_reply(session, reply, asker)
    return thread


def test_an_accepted_answer_becomes_a_kb_draft(session, answered):
    article = promotion.promote_accepted_answer(session, answered, agent(session))
    article = kb_service.get_article(session, article.id)
    assert article.status == ArticleStatus.DRAFT and article.source_locale == answered.language
    assert article.source.title == answered.title
    assert "Hold the dial for 10 seconds" in article.source.body_markdown
    assert article.source.questions == [answered.title] and article.tags == ["nimbus"]
    assert answered.promoted_article_id == article.id


def test_promoting_twice_is_refused(session, answered):
    moderator = agent(session)
    promotion.promote_accepted_answer(session, answered, moderator)
    with pytest.raises(Conflict):
        promotion.promote_accepted_answer(session, answered, moderator)


def test_a_thread_without_accepted_answer_cannot_be_promoted(session):
    with pytest.raises(InvalidTransition):
        promotion.promote_accepted_answer(session, create_thread(session), agent(session))


def test_only_agents_promote(session, answered):
    with pytest.raises(Forbidden):
        promotion.promote_accepted_answer(session, answered, member(session))


def test_a_thread_becomes_a_ticket_for_its_asker(session):
    asker = member(session)
    thread = create_thread(session, asker, title="Vacuum grinding noise", body="It grinds when it starts.")
    ticket = promotion.thread_to_ticket(session, thread, agent(session))
    assert ticket.requester_id == asker.customer.id and ticket.channel == TicketChannel.FORUM
    assert ticket.subject == "Vacuum grinding noise"
    assert ticket.messages[0].body.startswith("It grinds when it starts.")
    assert f"/forum/t/{thread.id}" in ticket.messages[0].body and thread.ticket_id == ticket.id


def test_a_thread_becomes_a_ticket_only_once(session):
    thread, moderator = create_thread(session), agent(session)
    promotion.thread_to_ticket(session, thread, moderator)
    with pytest.raises(Conflict):
        promotion.thread_to_ticket(session, thread, moderator)


def test_a_thread_of_an_erased_customer_does_not_become_a_ticket(session):
    # Erasure leaves the customer row with a placeholder address nobody reads (privacy.erasure).
    asker = member(session)
    thread = create_thread(session, asker)
    asker.customer.erased_at = utcnow()
    session.flush()
    with pytest.raises(InvalidTransition):
        promotion.thread_to_ticket(session, thread, agent(session))


def test_only_agents_turn_threads_into_tickets(session):
    asker = member(session)
    with pytest.raises(Forbidden):
        promotion.thread_to_ticket(session, create_thread(session, asker), asker)


def _solved_ticket(session, moderator, **overrides):
    values = {
        "customer_email": "emma.jones@example.com",
        "customer_name": "Emma Jones",
        "subject": "Emma's thermostat is offline",
        "body": "Hi, this is Emma Jones. My thermostat is offline. Call me on +44 7700 900123 "
        "or write to emma.jones@example.com. Thanks, Emma",
    }
    values.update(overrides)
    ticket = create_ticket(session, **values)
    helpdesk_service.add_message(
        session,
        ticket,
        MessageCreate(
            body="Hi Emma, hold the dial for ten seconds and then join your Wi-Fi again from the app.",
            kind=MessageKind.PUBLIC_REPLY,
            status=TicketStatus.SOLVED,
        ),
        moderator,
    )
    return ticket


def test_a_solved_ticket_is_published_anonymised(session):
    moderator = agent(session)
    ticket = _solved_ticket(session, moderator)
    thread = promotion.publish_ticket(session, ticket.id, moderator)
    text = " ".join([thread.title, thread.body, *(reply.body for reply in thread.replies)])
    for private in ("Emma", "Jones", "emma.jones@example.com", "7700", "900123"):
        assert private not in text
    assert "hold the dial for ten seconds" in thread.replies[0].body
    assert thread.author_id is None and thread.source_ticket_id == ticket.id


def test_the_published_thread_has_the_agents_answer_accepted_and_is_searchable(session):
    moderator = agent(session)
    thread = promotion.publish_ticket(session, _solved_ticket(session, moderator).id, moderator)
    [record] = iter_indexable_threads(session, [thread.id])
    assert record.answer_accepted and "hold the dial" in record.answer_body
    assert thread.status == PostStatus.PUBLISHED and thread.replies[0].author_id == moderator.user.id


def test_an_open_ticket_cannot_be_published(session):
    with pytest.raises(InvalidTransition):
        promotion.publish_ticket(session, create_ticket(session).id, agent(session))


def test_a_ticket_is_published_only_once(session):
    moderator = agent(session)
    ticket = _solved_ticket(session, moderator)
    promotion.publish_ticket(session, ticket.id, moderator)
    with pytest.raises(Conflict):
        promotion.publish_ticket(session, ticket.id, moderator)


def test_only_agents_publish_tickets(session):
    moderator = agent(session)
    ticket = _solved_ticket(session, moderator)
    with pytest.raises(Forbidden):
        promotion.publish_ticket(session, ticket.id, member(session))


def test_anonymised_threads_are_readable_by_anyone(session):
    moderator = agent(session)
    thread = promotion.publish_ticket(session, _solved_ticket(session, moderator).id, moderator)
    assert get_thread_for(session, thread.id, Principal()) is thread


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Write to jan.kowalski+help@mail.example.pl please", "Write to [email] please"),
        ("Call +48 601 234 567 today", "Call [phone] today"),
        ("Call (555) 123-4567 today", "Call [phone] today"),
        ("Bought on 2024-01-15, order 12345", "Bought on 2024-01-15, order 12345"),
        ("Dzień dobry Piotrze, Piotr Kowalski here", "Dzień dobry [name], [name] here"),
        (
            "Link: https://x.example/tickets/3?access_token=abc.DEF-1",
            "Link: https://x.example/tickets/3?access_token=[removed]",
        ),
        ("สวัสดีครับคุณสมชาย", "สวัสดีครับคุณ[name]"),
    ],
)
def test_anonymise_removes_personal_details(text, expected):
    assert promotion.anonymise(text, ["Piotr Kowalski", "สมชาย แซ่ตั้ง"]) == expected
