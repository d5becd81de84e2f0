"""Moderation: first-post review, hide/restore, lock, flags and their queue, duplicate links.

Hiding takes effect at once everywhere: pages and the API filter on the post's status, and
search gets a change row in the same transaction, so the index drops the thread (or its
answer) on its next catch-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from accounts.models import User
from accounts.service import Principal
from aftercare.db import utcnow
from aftercare.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from kb.forum.access import can_see, get_thread_for, require_member, require_moderator
from kb.forum.indexing import note_search_change
from kb.forum.models import (
    FlagReason,
    FlagResolution,
    ForumFlag,
    ForumReply,
    ForumThread,
    PostStatus,
)

Post = ForumThread | ForumReply


def needs_review(session: Session, user: User) -> bool:
    """A customer's posts wait for review until one of them has been published."""
    if user.is_staff:
        return False
    published_thread = exists().where(ForumThread.author_id == user.id, ForumThread.status == PostStatus.PUBLISHED)
    published_reply = exists().where(ForumReply.author_id == user.id, ForumReply.status == PostStatus.PUBLISHED)
    return not session.scalar(select(published_thread | published_reply))


def initial_status(session: Session, user: User) -> PostStatus:
    return PostStatus.PENDING_REVIEW if needs_review(session, user) else PostStatus.PUBLISHED


def _thread_of(post: Post) -> ForumThread:
    return post if isinstance(post, ForumThread) else post.thread


def _describe(post: Post) -> str:
    return f"thread {post.id}" if isinstance(post, ForumThread) else f"reply {post.id}"


def _set_status(session: Session, post: Post, status: PostStatus, moderator: User, note: str | None) -> None:
    post.status = status
    post.moderated_at = utcnow()
    post.moderated_by_id = moderator.id
    if note is not None:
        post.moderation_note = note
    note_search_change(session, _thread_of(post))
    session.flush()


def _resolve_open_flags(session: Session, post: Post, moderator: User, resolution: FlagResolution) -> None:
    query = select(ForumFlag).where(ForumFlag.resolved_at.is_(None))
    if isinstance(post, ForumThread):
        query = query.where(ForumFlag.thread_id == post.id, ForumFlag.reply_id.is_(None))
    else:
        query = query.where(ForumFlag.reply_id == post.id)
    now = utcnow()
    for flag in session.scalars(query):
        flag.resolved_at, flag.resolved_by_id, flag.resolution = now, moderator.id, resolution


def hide_post(session: Session, post: Post, principal: Principal, *, note: str | None = None) -> None:
    """Hide a published post, or reject one waiting for review."""
    moderator = require_moderator(principal)
    if post.status == PostStatus.HIDDEN:
        raise InvalidTransition(f"{_describe(post)} is already hidden")
    _set_status(session, post, PostStatus.HIDDEN, moderator, note)
    # Hiding is the answer to every open flag on the post.
    _resolve_open_flags(session, post, moderator, FlagResolution.ACTIONED)
    session.flush()


def restore_post(session: Session, post: Post, principal: Principal, *, note: str | None = None) -> None:
    moderator = require_moderator(principal)
    if post.status != PostStatus.HIDDEN:
        raise InvalidTransition(f"{_describe(post)} is not hidden")
    _set_status(session, post, PostStatus.PUBLISHED, moderator, note)


def approve_post(session: Session, post: Post, principal: Principal) -> None:
    """Publish a post held for first-post review."""
    moderator = require_moderator(principal)
    if post.status != PostStatus.PENDING_REVIEW:
        raise InvalidTransition(f"{_describe(post)} is not waiting for review (it is {post.status})")
    _set_status(session, post, PostStatus.PUBLISHED, moderator, None)


def lock_thread(session: Session, thread: ForumThread, principal: Principal) -> None:
    moderator = require_moderator(principal)
    if thread.is_locked:
        raise InvalidTransition(f"thread {thread.id} is already locked")
    thread.locked_at = utcnow()
    thread.locked_by_id = moderator.id
    session.flush()


def unlock_thread(session: Session, thread: ForumThread, principal: Principal) -> None:
    require_moderator(principal)
    if not thread.is_locked:
        raise InvalidTransition(f"thread {thread.id} is not locked")
    thread.locked_at = None
    thread.locked_by_id = None
    session.flush()


def flag_post(session: Session, post: Post, principal: Principal, reason: FlagReason, note: str = "") -> ForumFlag:
    """Report a post to the moderators; one flag per member per post."""
    user = require_member(principal)
    thread = _thread_of(post)
    reply_id = None if isinstance(post, ForumThread) else post.id
    flag = ForumFlag(thread_id=thread.id, reply_id=reply_id, user_id=user.id, reason=reason, note=note)
    # A savepoint, so that a duplicate leaves the request's transaction usable.
    try:
        with session.begin_nested():
            session.add(flag)
            session.flush()
    except IntegrityError as error:
        raise Conflict(f"you have already flagged {_describe(post)}") from error
    return flag


def resolve_flag(session: Session, flag_id: int, resolution: FlagResolution, principal: Principal) -> ForumFlag:
    """Decide on a flagged post: hide it (actioned) or keep it (dismissed).

    The decision is about the post, so it closes every open flag on that post at once.
    """
    moderator = require_moderator(principal)
    flag = session.get(ForumFlag, flag_id)
    if flag is None:
        raise NotFound(f"flag {flag_id} not found")
    if flag.resolved_at is not None:
        raise InvalidTransition(f"flag {flag_id} is already resolved ({flag.resolution})")
    post: Post = flag.reply if flag.reply is not None else flag.thread
    if resolution == FlagResolution.ACTIONED and post.status != PostStatus.HIDDEN:
        hide_post(session, post, principal, note=f"flagged as {flag.reason}")
    else:
        _resolve_open_flags(session, post, moderator, resolution)
    session.flush()
    return flag


@dataclass(frozen=True)
class QueueItem:
    post: Post
    thread: ForumThread
    flags: list[ForumFlag]

    @property
    def reply(self) -> ForumReply | None:
        return self.post if isinstance(self.post, ForumReply) else None


@dataclass(frozen=True)
class ModerationQueue:
    pending: list[QueueItem]
    flagged: list[QueueItem]


def moderation_queue(session: Session, principal: Principal, *, limit: int = 100) -> ModerationQueue:
    """Posts waiting for first-post review (oldest first), then posts with open flags."""
    require_moderator(principal)
    pending_threads = session.scalars(
        select(ForumThread)
        .where(ForumThread.status == PostStatus.PENDING_REVIEW)
        .order_by(ForumThread.created_at, ForumThread.id)
        .limit(limit)
    ).all()
    pending_replies = session.scalars(
        select(ForumReply)
        .where(ForumReply.status == PostStatus.PENDING_REVIEW)
        .options(selectinload(ForumReply.thread))
        .order_by(ForumReply.created_at, ForumReply.id)
        .limit(limit)
    ).all()
    pending_posts: list[Post] = sorted([*pending_threads, *pending_replies], key=lambda post: post.created_at)
    pending = [QueueItem(post, _thread_of(post), []) for post in pending_posts[:limit]]

    open_flags = session.scalars(
        select(ForumFlag)
        .where(ForumFlag.resolved_at.is_(None))
        .options(selectinload(ForumFlag.thread), selectinload(ForumFlag.reply), selectinload(ForumFlag.user))
        .order_by(ForumFlag.created_at, ForumFlag.id)
    ).all()
    grouped: dict[tuple[int, int | None], list[ForumFlag]] = {}
    for flag in open_flags:
        grouped.setdefault((flag.thread_id, flag.reply_id), []).append(flag)
    flagged = []
    for flags in list(grouped.values())[:limit]:
        post: Post = flags[0].reply if flags[0].reply is not None else flags[0].thread
        flagged.append(QueueItem(post, flags[0].thread, flags))
    return ModerationQueue(pending=pending, flagged=flagged)


def link_duplicate(session: Session, thread: ForumThread, original_id: int, principal: Principal) -> ForumThread:
    """Mark ``thread`` as a duplicate of another; links always point at the original itself."""
    require_moderator(principal)
    original = get_thread_for(session, original_id, principal)
    # Follow an existing chain so that readers are one click from the answer.
    seen = {thread.id}
    while original.duplicate_of_id is not None and original.id not in seen:
        seen.add(original.id)
        original = get_thread_for(session, original.duplicate_of_id, principal)
    if original.id == thread.id:
        raise ValidationFailed("a thread cannot be a duplicate of itself")
    if not can_see(original, Principal()):
        raise ValidationFailed(f"thread {original.id} is not published; link to a published thread")
    thread.duplicate_of_id = original.id
    session.flush()
    return original


def unlink_duplicate(session: Session, thread: ForumThread, principal: Principal) -> None:
    require_moderator(principal)
    if thread.duplicate_of_id is None:
        raise InvalidTransition(f"thread {thread.id} is not marked as a duplicate")
    thread.duplicate_of_id = None
    session.flush()
