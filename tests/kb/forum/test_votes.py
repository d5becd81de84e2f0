"""Votes: one per member per reply, changeable, retractable; the score is the sum of vote rows."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from accounts.service import Principal
from aftercare.errors import Forbidden, InvalidTransition, NotAuthenticated
from kb.forum import votes
from kb.forum.indexing import reply_scores
from kb.forum.models import ForumVote
from tests.kb.forum.factories import create_reply, create_thread, member, newcomer


@pytest.fixture
def reply(session):
    return create_reply(session, create_thread(session))


def test_upvote_counts_once_per_member(session, reply):
    voter = member(session)
    votes.cast_vote(session, reply, 1, voter)
    votes.cast_vote(session, reply, 1, voter)
    assert reply_scores(session, [reply.id])[reply.id] == 1
    assert session.scalar(select(func.count()).select_from(ForumVote).where(ForumVote.reply_id == reply.id)) == 1


def test_votes_of_several_members_add_up(session, reply):
    for value in (1, 1, -1, 1):
        votes.cast_vote(session, reply, value, member(session))
    assert reply_scores(session, [reply.id])[reply.id] == 2


def test_changing_a_vote_replaces_it(session, reply):
    voter = member(session)
    votes.cast_vote(session, reply, 1, voter)
    assert votes.cast_vote(session, reply, -1, voter) == -1


def test_zero_retracts_the_vote(session, reply):
    voter = member(session)
    votes.cast_vote(session, reply, -1, voter)
    assert votes.cast_vote(session, reply, 0, voter) == 0
    assert session.get(ForumVote, (reply.id, voter.user.id)) is None


def test_retracting_without_a_vote_is_harmless(session, reply):
    assert votes.cast_vote(session, reply, 0, member(session)) == 0


def test_members_cannot_vote_on_their_own_reply(session):
    author = member(session)
    reply = create_reply(session, create_thread(session), author)
    with pytest.raises(Forbidden):
        votes.cast_vote(session, reply, 1, author)


def test_anonymous_cannot_vote(session, reply):
    with pytest.raises(NotAuthenticated):
        votes.cast_vote(session, reply, 1, Principal())


def test_a_reply_waiting_for_review_cannot_be_voted_on(session):
    pending = create_reply(session, create_thread(session), newcomer(session))
    with pytest.raises(InvalidTransition):
        votes.cast_vote(session, pending, 1, member(session))
