"""Badges: "agent" from the role, "expert" from enough accepted answers; both derived, never stored."""

from __future__ import annotations

from kb.forum import moderation, votes
from kb.forum.badges import EXPERT_MIN_ACCEPTED_ANSWERS, Badge, badges_for
from tests.kb.forum.factories import agent, create_reply, create_thread, member


def _answer_and_accept(session, helper, count: int):
    replies = []
    for _ in range(count):
        asker = member(session)
        reply = create_reply(session, create_thread(session, asker), helper)
        votes.accept_reply(session, reply, asker)
        replies.append(reply)
    return replies


def test_agents_have_the_agent_badge(session):
    staff = agent(session)
    assert badges_for(session, [staff.user])[staff.user.id] == [Badge.AGENT]


def test_enough_accepted_answers_make_an_expert(session):
    helper = member(session)
    _answer_and_accept(session, helper, EXPERT_MIN_ACCEPTED_ANSWERS)
    assert badges_for(session, [helper.user])[helper.user.id] == [Badge.EXPERT]


def test_one_accepted_answer_fewer_is_no_expert(session):
    helper = member(session)
    _answer_and_accept(session, helper, EXPERT_MIN_ACCEPTED_ANSWERS - 1)
    assert badges_for(session, [helper.user])[helper.user.id] == []


def test_hidden_answers_do_not_count_towards_expert(session):
    helper = member(session)
    replies = _answer_and_accept(session, helper, EXPERT_MIN_ACCEPTED_ANSWERS)
    moderation.hide_post(session, replies[0], agent(session))
    assert badges_for(session, [helper.user])[helper.user.id] == []
