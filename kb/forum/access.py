"""Who may see and do what in the forum, and look-ups that answer "not found" for what one may not see.

Rules: published posts are public; a post waiting for review is visible to its author and to
moderators; hidden posts only to moderators. Moderators are agents and admins.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, true
from sqlalchemy.orm import Session, selectinload

from accounts import guards
from accounts.models import User
from accounts.service import Principal
from aftercare.errors import NotFound
from kb.forum.models import ForumReply, ForumThread, PostStatus


def is_moderator(principal: Principal) -> bool:
    return principal.is_staff


def require_member(principal: Principal) -> User:
    """The signed-in user; a ticket link alone does not make a forum member."""
    return guards.require_user(principal, "sign in to take part in the forum")


def require_moderator(principal: Principal) -> User:
    user = require_member(principal)
    # Moderators are the staff (``is_moderator``): the shared guard, in the forum's words.
    guards.require_staff(principal, "only moderators (agents) can do this")
    return user


def can_see(post: ForumThread | ForumReply, principal: Principal) -> bool:
    if post.status == PostStatus.PUBLISHED or is_moderator(principal):
        return True
    if post.status == PostStatus.PENDING_REVIEW:
        return principal.user is not None and post.author_id == principal.user.id
    return False


def visible_clause(model: type[ForumThread] | type[ForumReply], principal: Principal) -> ColumnElement[bool]:
    """The SQL form of ``can_see`` for list queries."""
    if is_moderator(principal):
        return true()
    if principal.user is None:
        return model.status == PostStatus.PUBLISHED
    return or_(
        model.status == PostStatus.PUBLISHED,
        (model.status == PostStatus.PENDING_REVIEW) & (model.author_id == principal.user.id),
    )


def can_edit(post: ForumThread | ForumReply, principal: Principal) -> bool:
    if principal.user is None or not can_see(post, principal):
        return False
    return is_moderator(principal) or post.author_id == principal.user.id


def can_accept(thread: ForumThread, principal: Principal) -> bool:
    if principal.user is None:
        return False
    return is_moderator(principal) or thread.author_id == principal.user.id


def get_thread(session: Session, thread_id: int) -> ForumThread:
    thread = session.get(
        ForumThread,
        thread_id,
        options=[selectinload(ForumThread.tag_rows), selectinload(ForumThread.acceptance)],
    )
    if thread is None:
        raise NotFound(f"thread {thread_id} not found")
    return thread


def get_thread_for(session: Session, thread_id: int, principal: Principal) -> ForumThread:
    """The thread if this principal may see it; otherwise 'not found', so hidden ids leak nothing."""
    thread = get_thread(session, thread_id)
    if not can_see(thread, principal):
        raise NotFound(f"thread {thread_id} not found")
    return thread


def get_reply_for(session: Session, reply_id: int, principal: Principal) -> ForumReply:
    reply = session.get(ForumReply, reply_id)
    if reply is None or not can_see(reply, principal) or not can_see(reply.thread, principal):
        raise NotFound(f"reply {reply_id} not found")
    return reply
