"""Moderation: only moderators hide, restore, lock and approve; flags reach the queue."""

from __future__ import annotations

import pytest

from accounts.service import Principal
from aftercare.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from kb.forum import access, moderation
from kb.forum.models import FlagReason, FlagResolution, PostStatus
from kb.forum.reading import ThreadFilters, list_threads, thread_detail
from kb.forum.schemas import ReplyCreate
from kb.forum.threads import add_reply
from tests.kb.forum.factories import agent, create_reply, create_thread, member, newcomer


def test_only_moderators_hide_threads(session):
    thread = create_thread(session)
    with pytest.raises(Forbidden):
        moderation.hide_post(session, thread, member(session))
    assert thread.status == PostStatus.PUBLISHED


def test_the_author_cannot_hide_their_own_reply(session):
    author = member(session)
    reply = create_reply(session, create_thread(session), author)
    with pytest.raises(Forbidden):
        moderation.hide_post(session, reply, author)


def test_a_hidden_thread_is_not_found_by_readers(session):
    thread = create_thread(session)
    moderation.hide_post(session, thread, agent(session))
    with pytest.raises(NotFound):
        access.get_thread_for(session, thread.id, Principal())


def test_a_hidden_thread_is_not_found_by_its_author(session):
    author = member(session)
    thread = create_thread(session, author)
    moderation.hide_post(session, thread, agent(session))
    with pytest.raises(NotFound):
        access.get_thread_for(session, thread.id, author)


def test_moderators_still_see_a_hidden_thread(session):
    thread = create_thread(session)
    moderator = agent(session)
    moderation.hide_post(session, thread, moderator)
    assert access.get_thread_for(session, thread.id, moderator) is thread


def test_a_hidden_thread_leaves_the_list(session):
    thread = create_thread(session)
    moderation.hide_post(session, thread, agent(session))
    items, _ = list_threads(session, Principal(), ThreadFilters())
    assert thread.id not in [item.thread.id for item in items]


def test_a_hidden_reply_is_gone_from_the_thread(session):
    thread = create_thread(session)
    reply = create_reply(session, thread)
    moderation.hide_post(session, reply, agent(session))
    detail = thread_detail(session, thread, member(session))
    assert reply.id not in [item.reply.id for item in detail.replies]


def test_restore_brings_a_hidden_post_back(session):
    thread = create_thread(session)
    moderator = agent(session)
    moderation.hide_post(session, thread, moderator)
    moderation.restore_post(session, thread, moderator)
    assert access.get_thread_for(session, thread.id, Principal()) is thread


def test_restoring_a_visible_post_is_refused(session):
    with pytest.raises(InvalidTransition):
        moderation.restore_post(session, create_thread(session), agent(session))


def test_a_locked_thread_takes_no_replies(session):
    thread = create_thread(session)
    moderation.lock_thread(session, thread, agent(session))
    with pytest.raises(Conflict):
        add_reply(session, thread, ReplyCreate(body="Me too!"), member(session))


def test_unlocking_reopens_replies(session):
    thread = create_thread(session)
    moderator = agent(session)
    moderation.lock_thread(session, thread, moderator)
    moderation.unlock_thread(session, thread, moderator)
    assert add_reply(session, thread, ReplyCreate(body="Works now."), member(session)).id


def test_only_moderators_lock(session):
    with pytest.raises(Forbidden):
        moderation.lock_thread(session, create_thread(session), member(session))


def test_a_flag_reaches_the_moderation_queue(session):
    reply = create_reply(session, create_thread(session))
    moderation.flag_post(session, reply, member(session), FlagReason.SPAM, "Advert for pills")
    queue = moderation.moderation_queue(session, agent(session))
    assert [(item.post.id, [flag.reason for flag in item.flags]) for item in queue.flagged] == [
        (reply.id, [FlagReason.SPAM])
    ]


def test_a_member_flags_a_post_only_once(session):
    thread = create_thread(session)
    flagger = member(session)
    moderation.flag_post(session, thread, flagger, FlagReason.ABUSE)
    with pytest.raises(Conflict):
        moderation.flag_post(session, thread, flagger, FlagReason.SPAM)


def test_flags_of_different_members_on_one_post_are_grouped(session):
    thread = create_thread(session)
    moderation.flag_post(session, thread, member(session), FlagReason.SPAM)
    moderation.flag_post(session, thread, member(session), FlagReason.SPAM)
    queue = moderation.moderation_queue(session, agent(session))
    assert len(queue.flagged) == 1 and len(queue.flagged[0].flags) == 2


def test_actioning_a_flag_hides_the_post_and_closes_its_flags(session):
    reply = create_reply(session, create_thread(session))
    flag = moderation.flag_post(session, reply, member(session), FlagReason.SPAM)
    other = moderation.flag_post(session, reply, member(session), FlagReason.ABUSE)
    moderator = agent(session)
    moderation.resolve_flag(session, flag.id, FlagResolution.ACTIONED, moderator)
    assert reply.status == PostStatus.HIDDEN
    assert other.resolution == FlagResolution.ACTIONED
    assert moderation.moderation_queue(session, moderator).flagged == []


def test_dismissing_a_flag_keeps_the_post(session):
    reply = create_reply(session, create_thread(session))
    flag = moderation.flag_post(session, reply, member(session), FlagReason.SPAM)
    moderation.resolve_flag(session, flag.id, FlagResolution.DISMISSED, agent(session))
    assert reply.status == PostStatus.PUBLISHED and flag.resolution == FlagResolution.DISMISSED


def test_only_moderators_see_the_queue(session):
    with pytest.raises(Forbidden):
        moderation.moderation_queue(session, member(session))


def test_a_new_customers_first_thread_waits_for_review(session):
    thread = create_thread(session, newcomer(session))
    assert thread.status == PostStatus.PENDING_REVIEW
    queue = moderation.moderation_queue(session, agent(session))
    assert thread.id in [item.thread.id for item in queue.pending]


def test_a_pending_thread_is_visible_to_its_author_only(session):
    author = newcomer(session)
    thread = create_thread(session, author)
    assert access.get_thread_for(session, thread.id, author) is thread
    with pytest.raises(NotFound):
        access.get_thread_for(session, thread.id, member(session))


def test_posts_after_approval_are_published_at_once(session):
    author = newcomer(session)
    first = create_thread(session, author)
    moderation.approve_post(session, first, agent(session))
    assert first.status == PostStatus.PUBLISHED
    assert create_reply(session, first, author).status == PostStatus.PUBLISHED


def test_posts_before_approval_all_wait(session):
    author = newcomer(session)
    create_thread(session, author)
    assert create_thread(session, author).status == PostStatus.PENDING_REVIEW


def test_agents_never_wait_for_review(session):
    assert create_thread(session, agent(session)).status == PostStatus.PUBLISHED


def test_rejecting_a_pending_post_hides_it(session):
    thread = create_thread(session, newcomer(session))
    moderation.hide_post(session, thread, agent(session), note="spam")
    assert thread.status == PostStatus.HIDDEN and thread.moderation_note == "spam"


def test_approving_a_published_post_is_refused(session):
    with pytest.raises(InvalidTransition):
        moderation.approve_post(session, create_thread(session), agent(session))


def test_duplicate_links_point_at_the_original(session):
    original, copy, second_copy = create_thread(session), create_thread(session), create_thread(session)
    moderator = agent(session)
    moderation.link_duplicate(session, copy, original.id, moderator)
    moderation.link_duplicate(session, second_copy, copy.id, moderator)
    assert second_copy.duplicate_of_id == original.id


def test_a_thread_is_not_its_own_duplicate(session):
    thread = create_thread(session)
    with pytest.raises(ValidationFailed):
        moderation.link_duplicate(session, thread, thread.id, agent(session))


def test_only_moderators_link_duplicates(session):
    original, copy = create_thread(session), create_thread(session)
    with pytest.raises(Forbidden):
        moderation.link_duplicate(session, copy, original.id, member(session))
