"""Reading the forum: thread lists with derived counts, one thread with its replies, scores and badges.

Everything a reader sees goes through the visibility rules in ``access``; counts (replies,
views, scores) are derived from rows in the same queries, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload

from accounts.models import User
from accounts.service import Principal
from aftercare.pagination import count_rows, page_offset, window
from kb.forum.access import can_accept, can_edit, can_see, is_moderator, visible_clause
from kb.forum.badges import Badge, badges_for
from kb.forum.indexing import reply_scores
from kb.forum.models import (
    ForumAcceptedAnswer,
    ForumCategory,
    ForumReply,
    ForumThread,
    ForumThreadTag,
    ForumThreadView,
    PostStatus,
)
from kb.forum.votes import my_votes
from kb.markdown import render_markdown

MAX_PAGE_SIZE = 100
ANONYMOUS_NAME = "A customer"


def render_body(text: str) -> Markup:
    """A post body (Markdown) as sanitised HTML: the KB's renderer and allow-list."""
    return render_markdown(text)


@dataclass(frozen=True)
class Author:
    id: int | None
    name: str
    badges: list[Badge]


def author_of(user: User | None, badges: dict[int, list[Badge]]) -> Author:
    if user is None:
        return Author(None, ANONYMOUS_NAME, [])
    return Author(user.id, user.name, badges.get(user.id, []))


@dataclass(frozen=True)
class ThreadFilters:
    category: str | None = None
    tag: str | None = None
    language: str | None = None
    # True: only threads without an accepted answer.
    unanswered: bool = False
    status: PostStatus | None = None


@dataclass(frozen=True)
class ThreadListItem:
    thread: ForumThread
    author: Author
    reply_count: int
    views: int
    answered: bool


def _reply_count():
    return (
        select(func.count())
        .select_from(ForumReply)
        .where(ForumReply.thread_id == ForumThread.id, ForumReply.status == PostStatus.PUBLISHED)
        .correlate(ForumThread)
        .scalar_subquery()
    )


def _view_count():
    return (
        select(func.count())
        .select_from(ForumThreadView)
        .where(ForumThreadView.thread_id == ForumThread.id)
        .correlate(ForumThread)
        .scalar_subquery()
    )


def _answered():
    # Only an accepted answer that readers can see makes a thread "answered".
    return (
        exists()
        .where(
            ForumAcceptedAnswer.thread_id == ForumThread.id,
            ForumAcceptedAnswer.reply_id == ForumReply.id,
            ForumReply.status == PostStatus.PUBLISHED,
        )
        .correlate(ForumThread)
    )


def list_threads(
    session: Session, principal: Principal, filters: ThreadFilters, *, page: int = 1, page_size: int = 25
) -> tuple[list[ThreadListItem], int]:
    """Threads this principal may see, most recently active first."""
    offset = page_offset(page, page_size, max_page_size=MAX_PAGE_SIZE)
    query = select(ForumThread).where(visible_clause(ForumThread, principal))
    if filters.category is not None:
        query = query.join(ForumCategory, ForumThread.category_id == ForumCategory.id).where(
            ForumCategory.slug == filters.category
        )
    if filters.tag is not None:
        query = query.where(ForumThread.tag_rows.any(ForumThreadTag.tag == filters.tag.strip().lower()))
    if filters.language is not None:
        query = query.where(ForumThread.language == filters.language)
    if filters.unanswered:
        query = query.where(~_answered())
    if filters.status is not None:
        query = query.where(ForumThread.status == filters.status)
    # Counted before the reply, view and answered columns join in: they cannot change how many threads match.
    total = count_rows(session, query)
    rows = session.execute(
        window(
            query.add_columns(_reply_count(), _view_count(), _answered())
            .options(
                selectinload(ForumThread.tag_rows), selectinload(ForumThread.author), selectinload(ForumThread.category)
            )
            .order_by(ForumThread.updated_at.desc(), ForumThread.id.desc()),
            offset=offset,
            limit=page_size,
        )
    ).all()
    badges = badges_for(session, [row[0].author for row in rows])
    items = [
        ThreadListItem(thread, author_of(thread.author, badges), replies or 0, views or 0, bool(answered))
        for thread, replies, views, answered in rows
    ]
    return items, total


def view_count(session: Session, thread_id: int) -> int:
    return (
        session.scalar(select(func.count()).select_from(ForumThreadView).where(ForumThreadView.thread_id == thread_id))
        or 0
    )


@dataclass(frozen=True)
class ReplyDetail:
    reply: ForumReply
    author: Author
    score: int
    my_vote: int
    accepted: bool
    can_edit: bool


@dataclass(frozen=True)
class ThreadDetail:
    thread: ForumThread
    author: Author
    replies: list[ReplyDetail]
    views: int
    accepted_reply_id: int | None
    duplicate_of: ForumThread | None
    can_reply: bool
    can_accept: bool
    can_edit: bool
    can_moderate: bool
    can_flag: bool

    @property
    def reply_count(self) -> int:
        return sum(1 for item in self.replies if item.reply.status == PostStatus.PUBLISHED)


def thread_detail(session: Session, thread: ForumThread, principal: Principal) -> ThreadDetail:
    """The thread as this principal may see it: the accepted answer first, then replies in order."""
    replies = [
        reply
        for reply in session.scalars(
            select(ForumReply)
            .where(ForumReply.thread_id == thread.id, visible_clause(ForumReply, principal))
            .options(selectinload(ForumReply.author))
            .order_by(ForumReply.id)
        )
    ]
    ids = [reply.id for reply in replies]
    scores = reply_scores(session, ids)
    mine = my_votes(session, ids, principal)
    badges = badges_for(session, [thread.author, *(reply.author for reply in replies)])
    accepted_id = thread.accepted_reply_id
    visible_ids = {reply.id for reply in replies if reply.status == PostStatus.PUBLISHED}
    if accepted_id not in visible_ids:
        accepted_id = None
    details = [
        ReplyDetail(
            reply=reply,
            author=author_of(reply.author, badges),
            score=scores.get(reply.id, 0),
            my_vote=mine.get(reply.id, 0),
            accepted=reply.id == accepted_id,
            can_edit=can_edit(reply, principal) and (not thread.is_locked or is_moderator(principal)),
        )
        for reply in replies
    ]
    details.sort(key=lambda item: (not item.accepted, item.reply.id))
    duplicate_of = (
        thread.duplicate_of if thread.duplicate_of is not None and can_see(thread.duplicate_of, principal) else None
    )
    member = principal.user is not None
    return ThreadDetail(
        thread=thread,
        author=author_of(thread.author, badges),
        replies=details,
        views=view_count(session, thread.id),
        accepted_reply_id=accepted_id,
        duplicate_of=duplicate_of,
        can_reply=member and not thread.is_locked and thread.status != PostStatus.HIDDEN,
        can_accept=can_accept(thread, principal),
        can_edit=can_edit(thread, principal) and (not thread.is_locked or is_moderator(principal)),
        can_moderate=is_moderator(principal),
        can_flag=member,
    )


def reply_detail(session: Session, reply: ForumReply, principal: Principal) -> ReplyDetail:
    """One reply's detail, for re-rendering it alone after a vote."""
    badges = badges_for(session, [reply.author])
    thread = reply.thread
    return ReplyDetail(
        reply=reply,
        author=author_of(reply.author, badges),
        score=reply_scores(session, [reply.id])[reply.id],
        my_vote=my_votes(session, [reply.id], principal).get(reply.id, 0),
        accepted=thread.accepted_reply_id == reply.id and reply.status == PostStatus.PUBLISHED,
        can_edit=can_edit(reply, principal) and (not thread.is_locked or is_moderator(principal)),
    )


@dataclass(frozen=True)
class OwnPost:
    """One of a member's own posts, for their account page: a thread they started or a reply."""

    thread_id: int
    thread_title: str
    reply_id: int | None
    status: PostStatus
    created_at: datetime


def posts_by(session: Session, user: User, *, limit: int = 50) -> list[OwnPost]:
    """``user``'s threads and replies, newest first, whatever their moderation status (they are theirs)."""
    threads = session.execute(
        select(ForumThread.id, ForumThread.title, ForumThread.status, ForumThread.created_at)
        .where(ForumThread.author_id == user.id)
        .order_by(ForumThread.created_at.desc())
        .limit(limit)
    ).all()
    replies = session.execute(
        select(ForumReply.thread_id, ForumThread.title, ForumReply.id, ForumReply.status, ForumReply.created_at)
        .join(ForumThread, ForumThread.id == ForumReply.thread_id)
        .where(ForumReply.author_id == user.id)
        .order_by(ForumReply.created_at.desc())
        .limit(limit)
    ).all()
    posts = [OwnPost(row.id, row.title, None, PostStatus(row.status), row.created_at) for row in threads]
    posts += [OwnPost(row.thread_id, row.title, row.id, PostStatus(row.status), row.created_at) for row in replies]
    return sorted(posts, key=lambda post: post.created_at, reverse=True)[:limit]
