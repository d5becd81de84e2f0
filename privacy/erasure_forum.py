"""Erasing a customer from the forum: their threads and replies (and earlier versions) replaced,
others' words around them scrubbed, and search told to re-read every thread touched."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from kb.forum.indexing import note_search_change
from kb.forum.models import ForumFlag, ForumReply, ForumRevision, ForumThread, PostStatus
from privacy.person import ErasedPerson, replace_changed
from privacy.scrubbing import ERASED


def erase_forum(session: Session, person: ErasedPerson, now: datetime) -> int:
    """Their threads and replies (and earlier versions) replaced, others' around them scrubbed;
    returns how many posts were theirs."""
    scrub = person.scrubber
    threads = list(session.scalars(select(ForumThread).where(ForumThread.author_id.in_(person.user_ids))))
    replies = list(session.scalars(select(ForumReply).where(ForumReply.author_id.in_(person.user_ids))))
    own_threads = {thread.id for thread in threads}
    own_replies = {reply.id for reply in replies}
    for thread in threads:
        replace_changed(thread, title=ERASED, body=ERASED, moderation_note=None)
    for reply in replies:
        replace_changed(reply, body=ERASED, moderation_note=None)
    revisions = session.scalars(
        select(ForumRevision).where(
            or_(
                and_(ForumRevision.thread_id.in_(own_threads), ForumRevision.reply_id.is_(None)),
                ForumRevision.reply_id.in_(own_replies),
            )
        )
    )
    for revision in revisions:
        title = None if revision.previous_title is None else ERASED
        replace_changed(revision, previous_title=title, previous_body=ERASED)
    # Anonymised at publication; scrubbed again, as their name may have changed since.
    published = list(session.scalars(select(ForumThread).where(ForumThread.source_ticket_id.in_(person.ticket_ids))))
    for thread in published:
        replace_changed(thread, title=scrub.text(thread.title), body=scrub.text(thread.body))
    around_threads = own_threads | {thread.id for thread in published}
    around = session.scalars(
        select(ForumReply).where(ForumReply.thread_id.in_(around_threads), ForumReply.id.not_in(own_replies))
    )
    for reply in around:
        replace_changed(reply, body=scrub.text(reply.body), moderation_note=scrub.optional(reply.moderation_note))
    for flag in session.scalars(select(ForumFlag).where(ForumFlag.user_id.in_(person.user_ids))):
        replace_changed(flag, note="")
    flags_about = session.scalars(
        select(ForumFlag).where(or_(ForumFlag.thread_id.in_(own_threads), ForumFlag.reply_id.in_(own_replies)))
    )
    for flag in flags_about:
        replace_changed(flag, note=scrub.text(flag.note))
    _hide_threads_nobody_else_wrote_in(session, person, threads, now)
    session.flush()
    touched = around_threads | {reply.thread_id for reply in replies}
    for thread in session.scalars(select(ForumThread).where(ForumThread.id.in_(touched))):
        note_search_change(session, thread)
    return len(threads) + len(replies)


def _hide_threads_nobody_else_wrote_in(
    session: Session, person: ErasedPerson, threads: Iterable[ForumThread], now: datetime
) -> None:
    """A thread of theirs with no published reply by someone else is now empty words: hidden."""
    ids = [thread.id for thread in threads]
    answered = set(
        session.scalars(
            select(ForumReply.thread_id).where(
                ForumReply.thread_id.in_(ids),
                ForumReply.status == PostStatus.PUBLISHED,
                or_(ForumReply.author_id.is_(None), ForumReply.author_id.not_in(person.user_ids)),
            )
        )
    )
    for thread in threads:
        if thread.id not in answered and thread.status != PostStatus.HIDDEN:
            thread.status = PostStatus.HIDDEN
            thread.moderated_at = now
