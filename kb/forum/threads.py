"""Writing in the forum: categories, asking (with language detection), replying, editing with history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.service import Principal
from aftercare.config import get_settings
from aftercare.db import utcnow
from aftercare.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kb.forum.access import can_edit, can_see, is_moderator, require_member
from kb.forum.indexing import note_search_change
from kb.forum.models import (
    ForumCategory,
    ForumReply,
    ForumRevision,
    ForumThread,
    ForumThreadTag,
    ForumThreadView,
)
from kb.forum.moderation import initial_status
from kb.forum.schemas import ReplyCreate, ReplyUpdate, ThreadCreate, ThreadUpdate
from retrieval.language import LanguageSource, detect_language

# A signed-in reader who reloads a thread counts once per window.
VIEW_DEDUP_WINDOW = timedelta(minutes=30)


class ThreadLocked(Conflict):
    """The thread is locked: no new replies, and authors can no longer edit their posts."""

    code = "thread_locked"


def list_categories(session: Session) -> list[ForumCategory]:
    return list(session.scalars(select(ForumCategory).order_by(ForumCategory.position, ForumCategory.name)))


def get_category(session: Session, slug: str) -> ForumCategory:
    category = session.scalar(select(ForumCategory).where(ForumCategory.slug == slug))
    if category is None:
        raise NotFound(f"category {slug!r} not found")
    return category


def _category_for_input(session: Session, slug: str | None) -> ForumCategory | None:
    if slug is None:
        return None
    category = session.scalar(select(ForumCategory).where(ForumCategory.slug == slug))
    if category is None:
        raise ValidationFailed(f"unknown category {slug!r}")
    return category


def ensure_category(session: Session, slug: str, name: str, description: str = "", position: int = 0) -> ForumCategory:
    """The category with this slug, created if missing (demo data and set-up scripts)."""
    category = session.scalar(select(ForumCategory).where(ForumCategory.slug == slug))
    if category is None:
        category = ForumCategory(slug=slug, name=name, description=description, position=position)
        session.add(category)
        session.flush()
    return category


def _detect(title: str, body: str, author: User | None):
    settings = get_settings()
    known = None
    if author is not None:
        known = author.language or (author.customer.language if author.customer is not None else None)
    return detect_language(
        f"{title}\n{body}", allowed=settings.languages, default=settings.default_language, known=known
    )


def _set_tags(thread: ForumThread, tags: Iterable[str]) -> None:
    wanted = sorted(set(tags))
    thread.tag_rows[:] = [row for row in thread.tag_rows if row.tag in wanted]
    present = set(thread.tags)
    thread.tag_rows.extend(ForumThreadTag(tag=tag) for tag in wanted if tag not in present)


def create_thread(session: Session, data: ThreadCreate, principal: Principal) -> ForumThread:
    author = require_member(principal)
    settings = get_settings()
    if data.language is not None and data.language not in settings.languages:
        raise ValidationFailed(
            f"language {data.language!r} is not supported here; supported: {', '.join(settings.languages)}"
        )
    category = _category_for_input(session, data.category)
    if data.language is not None:
        language, confidence, source = data.language, 1.0, LanguageSource.GIVEN
    else:
        guess = _detect(data.title, data.body, author)
        language, confidence, source = guess.language, guess.confidence, guess.source
    thread = ForumThread(
        title=data.title,
        body=data.body,
        author=author,
        category=category,
        language=language,
        language_confidence=round(confidence, 4),
        language_source=str(source),
        status=initial_status(session, author),
    )
    _set_tags(thread, data.tags)
    session.add(thread)
    session.flush()
    note_search_change(session, thread)
    session.flush()
    return thread


def add_reply(session: Session, thread: ForumThread, data: ReplyCreate, principal: Principal) -> ForumReply:
    author = require_member(principal)
    if not can_see(thread, principal):
        raise NotFound(f"thread {thread.id} not found")
    if thread.is_locked:
        raise ThreadLocked(f"thread {thread.id} is locked; no new replies")
    reply = ForumReply(thread=thread, author=author, body=data.body, status=initial_status(session, author))
    session.add(reply)
    session.flush()
    note_search_change(session, thread)
    session.flush()
    return reply


def _require_editable(post: ForumThread | ForumReply, thread: ForumThread, principal: Principal) -> User:
    user = require_member(principal)
    if not can_see(post, principal) or not can_see(thread, principal):
        raise NotFound("post not found")
    if not can_edit(post, principal):
        raise Forbidden("only the author or a moderator can edit this post")
    if thread.is_locked and not is_moderator(principal):
        raise ThreadLocked(f"thread {thread.id} is locked; posts in it can no longer be edited")
    return user


def edit_thread(session: Session, thread: ForumThread, data: ThreadUpdate, principal: Principal) -> ForumThread:
    editor = _require_editable(thread, thread, principal)
    given = data.model_fields_set
    title = data.title if "title" in given and data.title is not None else thread.title
    body = data.body if "body" in given and data.body is not None else thread.body
    if (title, body) != (thread.title, thread.body):
        session.add(
            ForumRevision(
                thread_id=thread.id, previous_title=thread.title, previous_body=thread.body, editor_id=editor.id
            )
        )
        thread.title, thread.body = title, body
        if thread.language_source != LanguageSource.GIVEN:
            guess = _detect(title, body, thread.author)
            thread.language = guess.language
            thread.language_confidence = round(guess.confidence, 4)
            thread.language_source = str(guess.source)
    if "tags" in given and data.tags is not None:
        _set_tags(thread, data.tags)
    if "category" in given:
        thread.category = _category_for_input(session, data.category)
    note_search_change(session, thread)
    session.flush()
    return thread


def edit_reply(session: Session, reply: ForumReply, data: ReplyUpdate, principal: Principal) -> ForumReply:
    editor = _require_editable(reply, reply.thread, principal)
    if data.body != reply.body:
        session.add(
            ForumRevision(thread_id=reply.thread_id, reply_id=reply.id, previous_body=reply.body, editor_id=editor.id)
        )
        reply.body = data.body
        note_search_change(session, reply.thread)
    session.flush()
    return reply


def revisions(
    session: Session, thread: ForumThread, reply: ForumReply | None, principal: Principal
) -> list[ForumRevision]:
    """Earlier texts of one post, newest first: for its author and for moderators."""
    post = reply if reply is not None else thread
    if principal.user is None or not can_see(post, principal):
        raise NotFound("post not found")
    if not (is_moderator(principal) or post.author_id == principal.user.id):
        raise Forbidden("only the author or a moderator can read a post's edit history")
    query = select(ForumRevision).where(ForumRevision.thread_id == thread.id)
    if reply is None:
        query = query.where(ForumRevision.reply_id.is_(None))
    else:
        query = query.where(ForumRevision.reply_id == reply.id)
    return list(session.scalars(query.order_by(ForumRevision.id.desc())))


def record_view(session: Session, thread: ForumThread, principal: Principal) -> None:
    """Log one view; a signed-in reader counts once per window, the author not at all."""
    viewer = principal.user
    if viewer is not None:
        if viewer.id == thread.author_id:
            return
        recent = session.scalar(
            select(ForumThreadView.id)
            .where(
                ForumThreadView.thread_id == thread.id,
                ForumThreadView.viewer_id == viewer.id,
                ForumThreadView.viewed_at > utcnow() - VIEW_DEDUP_WINDOW,
            )
            .limit(1)
        )
        if recent is not None:
            return
    session.add(ForumThreadView(thread_id=thread.id, viewer_id=viewer.id if viewer else None))
    session.flush()
