"""Asking, replying and editing: language detection, tags, categories, edit history, views."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accounts.service import Principal
from aftercare.errors import Conflict, Forbidden, NotAuthenticated, ValidationFailed
from kb.forum import moderation, threads
from kb.forum.models import ForumThreadView
from kb.forum.reading import ThreadFilters, list_threads, thread_detail, view_count
from kb.forum.schemas import ReplyUpdate, ThreadUpdate
from kb.forum.votes import accept_reply
from kb.models import SearchIndexChange
from tests.kb.forum.factories import (
    agent,
    create_category,
    create_reply,
    create_thread,
    member,
)


def test_thread_language_is_detected(session):
    thread = create_thread(
        session,
        title="Termostat nie łączy się z siecią",
        body="Od wczoraj termostat pokazuje, że jest offline, mimo że router działa poprawnie.",
    )
    assert (thread.language, thread.language_source) == ("pl", "detected")


def test_a_given_language_wins_over_detection(session):
    thread = create_thread(session, language="id")
    assert (thread.language, thread.language_source) == ("id", "given")


def test_an_unsupported_language_is_refused(session):
    with pytest.raises(ValidationFailed):
        create_thread(session, language="de")


def test_tags_are_kept_sorted_and_unique(session):
    thread = create_thread(session, tags=["WiFi", "nimbus", "wifi"])
    assert thread.tags == ["nimbus", "wifi"]


def test_thread_goes_into_its_category(session):
    category = create_category(session)
    create_thread(session, category=category.slug)
    items, total = list_threads(session, Principal(), ThreadFilters(category=category.slug))
    assert total == 1 and items[0].thread.category_id == category.id


def test_an_unknown_category_is_refused(session):
    with pytest.raises(ValidationFailed):
        create_thread(session, category="no-such-category")


def test_anonymous_cannot_ask(session):
    with pytest.raises(NotAuthenticated):
        create_thread(session, Principal())


def test_editing_a_thread_keeps_the_previous_text(session):
    author = member(session)
    thread = create_thread(session, author, title="Old title", body="Old body")
    threads.edit_thread(session, thread, ThreadUpdate(title="New title", body="New body"), author)
    history = threads.revisions(session, thread, None, author)
    assert (thread.title, thread.body) == ("New title", "New body")
    assert [(r.previous_title, r.previous_body) for r in history] == [("Old title", "Old body")]


def test_every_reply_edit_keeps_what_it_replaced(session):
    author = member(session)
    reply = create_reply(session, create_thread(session), author, body="First")
    threads.edit_reply(session, reply, ReplyUpdate(body="Second"), author)
    threads.edit_reply(session, reply, ReplyUpdate(body="Third"), author)
    history = threads.revisions(session, reply.thread, reply, author)
    assert [r.previous_body for r in history] == ["Second", "First"]


def test_only_the_author_or_a_moderator_edits(session):
    reply = create_reply(session, create_thread(session))
    with pytest.raises(Forbidden):
        threads.edit_reply(session, reply, ReplyUpdate(body="Vandalism"), member(session))
    threads.edit_reply(session, reply, ReplyUpdate(body="Fixed a typo"), agent(session))
    assert reply.body == "Fixed a typo"


def test_posts_in_a_locked_thread_cannot_be_edited_by_their_author(session):
    author = member(session)
    thread = create_thread(session, author)
    moderation.lock_thread(session, thread, agent(session))
    with pytest.raises(Conflict):
        threads.edit_thread(session, thread, ThreadUpdate(body="Changed after locking"), author)


def test_others_cannot_read_the_edit_history(session):
    author = member(session)
    thread = create_thread(session, author)
    with pytest.raises(Forbidden):
        threads.revisions(session, thread, None, member(session))


def test_views_are_rows_counted(session):
    thread = create_thread(session)
    threads.record_view(session, thread, Principal())
    threads.record_view(session, thread, Principal())
    threads.record_view(session, thread, member(session))
    assert view_count(session, thread.id) == 3


def test_a_signed_in_reader_counts_once_per_window(session):
    thread = create_thread(session)
    reader = member(session)
    threads.record_view(session, thread, reader)
    threads.record_view(session, thread, reader)
    assert len(session.scalars(select(ForumThreadView).where(ForumThreadView.thread_id == thread.id)).all()) == 1


def test_the_authors_own_views_do_not_count(session):
    author = member(session)
    thread = create_thread(session, author)
    threads.record_view(session, thread, author)
    assert view_count(session, thread.id) == 0


def test_new_threads_and_replies_are_noted_for_search(session):
    thread = create_thread(session)
    create_reply(session, thread)
    changes = session.scalars(
        select(SearchIndexChange).where(
            SearchIndexChange.entity_type == "thread", SearchIndexChange.entity_id == thread.id
        )
    ).all()
    assert len(changes) == 2


def test_the_accepted_answer_comes_first(session):
    asker = member(session)
    thread = create_thread(session, asker)
    first, second = create_reply(session, thread), create_reply(session, thread)
    accept_reply(session, second, asker)
    detail = thread_detail(session, thread, Principal())
    assert [item.reply.id for item in detail.replies] == [second.id, first.id]
    assert detail.replies[0].accepted


def test_the_unanswered_filter_skips_threads_with_an_accepted_answer(session):
    asker = member(session)
    answered, open_thread = (
        create_thread(session, asker, tags=["unanswered-test"]),
        create_thread(session, tags=["unanswered-test"]),
    )
    accept_reply(session, create_reply(session, answered), asker)
    items, _ = list_threads(session, Principal(), ThreadFilters(tag="unanswered-test", unanswered=True))
    assert [item.thread.id for item in items] == [open_thread.id]
