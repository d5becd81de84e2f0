"""Badges shown beside an author's name: derived from the role and from accepted answers, never stored."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import User
from kb.forum.models import ForumAcceptedAnswer, ForumReply, PostStatus

# Accepted answers (on published replies) that make a member an "expert".
EXPERT_MIN_ACCEPTED_ANSWERS = 3


class Badge(StrEnum):
    AGENT = "agent"
    EXPERT = "expert"


def accepted_answer_counts(session: Session, user_ids: Iterable[int]) -> dict[int, int]:
    ids = list({user_id for user_id in user_ids if user_id is not None})
    if not ids:
        return {}
    rows = session.execute(
        select(ForumReply.author_id, func.count())
        .join(ForumAcceptedAnswer, ForumAcceptedAnswer.reply_id == ForumReply.id)
        .where(ForumReply.author_id.in_(ids), ForumReply.status == PostStatus.PUBLISHED)
        .group_by(ForumReply.author_id)
    ).all()
    return {author_id: count for author_id, count in rows}


def badges_for(session: Session, users: Iterable[User | None]) -> dict[int, list[Badge]]:
    """Badges per user id, with one query for the whole page of authors."""
    known = {user.id: user for user in users if user is not None}
    counts = accepted_answer_counts(session, known)
    badges: dict[int, list[Badge]] = {}
    for user_id, user in known.items():
        badges[user_id] = []
        if user.is_staff:
            badges[user_id].append(Badge.AGENT)
        if counts.get(user_id, 0) >= EXPERT_MIN_ACCEPTED_ANSWERS:
            badges[user_id].append(Badge.EXPERT)
    return badges
