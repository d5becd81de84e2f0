"""The duplicate-suggestion hook (title word matching until the search engine replaces it)."""

from __future__ import annotations

from kb.forum import moderation
from kb.forum.similar import similar_threads
from tests.kb.forum.factories import agent, create_thread


def test_threads_sharing_title_words_are_suggested(session):
    match = create_thread(session, title="Aurora vacuum grinding noise on start")
    create_thread(session, title="Pulse earbuds will not pair")
    found = similar_threads(session, "Grinding noise from my vacuum", "")
    assert [thread.id for thread in found] == [match.id]


def test_more_shared_words_rank_first(session):
    one = create_thread(session, title="Strange noise zzqx")
    two = create_thread(session, title="Strange grinding noise zzqx")
    found = similar_threads(session, "strange grinding noise zzqx", "")
    assert [thread.id for thread in found][:2] == [two.id, one.id]


def test_hidden_threads_are_never_suggested(session):
    thread = create_thread(session, title="Qwertyuiop thermostat")
    moderation.hide_post(session, thread, agent(session))
    assert similar_threads(session, "qwertyuiop", "") == []


def test_short_words_alone_suggest_nothing(session):
    create_thread(session, title="It is on")
    assert similar_threads(session, "it is on", "") == []


def test_like_wildcards_in_the_title_are_taken_literally(session):
    create_thread(session, title="Battery at fifty percent")
    assert similar_threads(session, "%%%% ____", "") == []
