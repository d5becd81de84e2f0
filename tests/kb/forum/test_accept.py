"""Accepted answers: only the asker or an agent accepts; one per thread; un-accepting."""

from __future__ import annotations

import pytest

from aftercare.errors import Forbidden, InvalidTransition
from kb.forum import moderation, votes
from tests.kb.forum.factories import agent, create_reply, create_thread, member


@pytest.fixture
def asker(session):
    return member(session)


@pytest.fixture
def thread(session, asker):
    return create_thread(session, asker)


def test_the_asker_accepts_a_reply(session, asker, thread):
    reply = create_reply(session, thread)
    votes.accept_reply(session, reply, asker)
    assert thread.accepted_reply_id == reply.id


def test_an_agent_accepts_a_reply(session, thread):
    reply = create_reply(session, thread)
    votes.accept_reply(session, reply, agent(session))
    assert thread.accepted_reply_id == reply.id


def test_another_member_cannot_accept(session, thread):
    reply = create_reply(session, thread)
    with pytest.raises(Forbidden):
        votes.accept_reply(session, reply, member(session))


def test_accepting_another_reply_replaces_the_first(session, asker, thread):
    first, second = create_reply(session, thread), create_reply(session, thread)
    votes.accept_reply(session, first, asker)
    votes.accept_reply(session, second, asker)
    assert thread.accepted_reply_id == second.id


def test_unaccept_removes_the_accepted_answer(session, asker, thread):
    reply = create_reply(session, thread)
    votes.accept_reply(session, reply, asker)
    votes.unaccept_reply(session, reply, asker)
    session.expire(thread)
    assert thread.accepted_reply_id is None


def test_unaccept_without_an_accepted_answer_is_refused(session, asker, thread):
    reply = create_reply(session, thread)
    with pytest.raises(InvalidTransition):
        votes.unaccept_reply(session, reply, asker)


def test_another_member_cannot_unaccept(session, asker, thread):
    reply = create_reply(session, thread)
    votes.accept_reply(session, reply, asker)
    with pytest.raises(Forbidden):
        votes.unaccept_reply(session, reply, member(session))


def test_a_hidden_reply_cannot_be_accepted(session, asker, thread):
    reply = create_reply(session, thread)
    moderation.hide_post(session, reply, agent(session))
    with pytest.raises(InvalidTransition):
        votes.accept_reply(session, reply, asker)
