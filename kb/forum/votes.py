"""Votes on replies (one per member, changeable, retractable) and the accepted answer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.service import Principal
from aftercare.errors import Forbidden, InvalidTransition, ValidationFailed
from kb.forum.access import can_accept, require_member
from kb.forum.indexing import note_search_change, reply_scores
from kb.forum.models import (
    ForumAcceptedAnswer,
    ForumReply,
    ForumThread,
    ForumVote,
    PostStatus,
)


def cast_vote(session: Session, reply: ForumReply, value: int, principal: Principal) -> int:
    """Set the member's vote on ``reply`` to +1 or -1, or retract it with 0; returns the new score."""
    user = require_member(principal)
    if value not in (-1, 0, 1):
        raise ValidationFailed("a vote is 1, -1 or 0 (retract)")
    if reply.author_id == user.id:
        raise Forbidden("you cannot vote on your own reply")
    if reply.status != PostStatus.PUBLISHED:
        raise InvalidTransition(f"reply {reply.id} is not published; it cannot be voted on yet")
    vote = session.get(ForumVote, (reply.id, user.id))
    if value == 0:
        if vote is not None:
            session.delete(vote)
    elif vote is None:
        session.add(ForumVote(reply_id=reply.id, user_id=user.id, value=value))
    else:
        vote.value = value
    note_search_change(session, reply.thread)
    session.flush()
    return reply_scores(session, [reply.id])[reply.id]


def my_votes(session: Session, reply_ids: list[int], principal: Principal) -> dict[int, int]:
    if principal.user is None or not reply_ids:
        return {}
    rows = session.execute(
        select(ForumVote.reply_id, ForumVote.value).where(
            ForumVote.user_id == principal.user.id, ForumVote.reply_id.in_(reply_ids)
        )
    ).all()
    return {reply_id: value for reply_id, value in rows}


def accept_reply(session: Session, reply: ForumReply, principal: Principal) -> ForumAcceptedAnswer:
    """Mark ``reply`` as its thread's answer (replacing an earlier choice): the asker or an agent."""
    user = require_member(principal)
    thread = reply.thread
    if not can_accept(thread, principal):
        raise Forbidden("only the person who asked or an agent can accept an answer")
    if reply.status != PostStatus.PUBLISHED:
        raise InvalidTransition(f"reply {reply.id} is not published; only a published reply can be accepted")
    acceptance = thread.acceptance
    if acceptance is not None and acceptance.reply_id == reply.id:
        return acceptance
    if acceptance is None:
        acceptance = ForumAcceptedAnswer(thread_id=thread.id, reply_id=reply.id, accepted_by_id=user.id)
        thread.acceptance = acceptance
    else:
        # Switching answers: the thread keeps its one acceptance row, now naming another reply.
        acceptance.reply_id = reply.id
        acceptance.accepted_by_id = user.id
    note_search_change(session, thread)
    session.flush()
    return acceptance


def unaccept(session: Session, thread: ForumThread, principal: Principal) -> None:
    require_member(principal)
    if not can_accept(thread, principal):
        raise Forbidden("only the person who asked or an agent can un-accept an answer")
    if thread.acceptance is None:
        raise InvalidTransition(f"thread {thread.id} has no accepted answer")
    thread.acceptance = None
    note_search_change(session, thread)
    session.flush()


def unaccept_reply(session: Session, reply: ForumReply, principal: Principal) -> None:
    """Un-accept by reply id (the API's shape): refused when that reply is not the accepted one."""
    thread = reply.thread
    require_member(principal)
    if not can_accept(thread, principal):
        raise Forbidden("only the person who asked or an agent can un-accept an answer")
    if thread.accepted_reply_id != reply.id:
        raise InvalidTransition(f"reply {reply.id} is not the accepted answer of thread {thread.id}")
    unaccept(session, thread, principal)
