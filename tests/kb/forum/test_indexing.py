"""What search sees of the forum: visible threads with their best answer, and the change feed."""

from __future__ import annotations

from sqlalchemy import func, select

from kb.forum import moderation, votes
from kb.forum.indexing import iter_indexable_threads
from kb.models import SearchIndexChange
from tests.kb.forum.factories import agent, create_reply, create_thread, member, newcomer


def _one(session, thread):
    records = list(iter_indexable_threads(session, [thread.id]))
    return records[0] if records else None


def _changes(session, thread) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(SearchIndexChange)
            .where(SearchIndexChange.entity_type == "thread", SearchIndexChange.entity_id == thread.id)
        )
        or 0
    )


def test_a_thread_without_replies_has_no_answer(session):
    record = _one(session, create_thread(session, tags=["wifi"], title="Offline", body="Question text"))
    assert (
        record.title,
        record.question_body,
        record.answer_body,
        record.answer_accepted,
        record.answer_score,
        record.tags,
    ) == ("Offline", "Question text", None, False, 0, ["wifi"])


def test_the_accepted_answer_is_indexed(session):
    asker = member(session)
    thread = create_thread(session, asker)
    liked = create_reply(session, thread, body="Popular guess")
    votes.cast_vote(session, liked, 1, member(session))
    votes.cast_vote(session, liked, 1, member(session))
    accepted = create_reply(session, thread, body="What really worked")
    votes.accept_reply(session, accepted, asker)
    record = _one(session, thread)
    assert (record.answer_body, record.answer_accepted, record.answer_score) == ("What really worked", True, 0)


def test_without_acceptance_the_best_voted_reply_is_indexed(session):
    thread = create_thread(session)
    create_reply(session, thread, body="Meh")
    best = create_reply(session, thread, body="Best")
    votes.cast_vote(session, best, 1, member(session))
    record = _one(session, thread)
    assert (record.answer_body, record.answer_accepted, record.answer_score) == ("Best", False, 1)


def test_replies_without_a_positive_score_are_not_an_answer(session):
    thread = create_thread(session)
    reply = create_reply(session, thread)
    votes.cast_vote(session, reply, -1, member(session))
    assert _one(session, thread).answer_body is None


def test_a_hidden_thread_is_gone_from_search_at_once(session):
    thread = create_thread(session)
    moderation.hide_post(session, thread, agent(session))
    assert _one(session, thread) is None
    assert thread.id not in [record.thread_id for record in iter_indexable_threads(session)]


def test_a_hidden_accepted_answer_is_not_indexed(session):
    asker = member(session)
    thread = create_thread(session, asker)
    reply = create_reply(session, thread, body="Buy cheap pills")
    votes.accept_reply(session, reply, asker)
    moderation.hide_post(session, reply, agent(session))
    assert _one(session, thread).answer_body is None


def test_a_pending_thread_is_not_indexed(session):
    assert _one(session, create_thread(session, newcomer(session))) is None


def test_walking_the_whole_forum_yields_each_visible_thread_once(session):
    created = [create_thread(session) for _ in range(3)]
    ids = [record.thread_id for record in iter_indexable_threads(session)]
    assert len(ids) == len(set(ids)) and {thread.id for thread in created} <= set(ids)


def test_each_search_relevant_change_writes_a_change_row(session):
    asker, moderator = member(session), agent(session)
    thread = create_thread(session, asker)
    reply = create_reply(session, thread)
    before = _changes(session, thread)
    votes.cast_vote(session, reply, 1, member(session))
    votes.accept_reply(session, reply, asker)
    votes.unaccept_reply(session, reply, asker)
    moderation.hide_post(session, reply, moderator)
    moderation.restore_post(session, reply, moderator)
    moderation.hide_post(session, thread, moderator)
    moderation.restore_post(session, thread, moderator)
    assert _changes(session, thread) - before == 7
