"""Similar existing threads while someone writes a new one (duplicate suggestions).

=== SEARCH HOOK ===
``similar_threads(session, title, body)`` is the one place the forum asks "has this been asked
before?". For now it is plain title matching (SQL LIKE on the title's words), which only finds
threads sharing words in the same language. The search wiring replaces the body of this function
with a call to the multilingual retrieval engine; callers (the API's ``/similar`` endpoint and the
new-thread page) only rely on the signature and on ``SimilarThread``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from kb.forum.models import ForumAcceptedAnswer, ForumReply, ForumThread, PostStatus

DEFAULT_LIMIT = 5
# Shorter words ("the", "jak", "ng") match everything and say nothing.
MIN_WORD_CHARS = 4
MAX_WORDS = 8
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SimilarThread:
    id: int
    title: str
    answered: bool


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _words(title: str) -> list[str]:
    words: list[str] = []
    for word in _WORD.findall(title.lower()):
        if len(word) >= MIN_WORD_CHARS and word not in words:
            words.append(word)
    return words[:MAX_WORDS]


def similar_threads(session: Session, title: str, body: str, *, limit: int = DEFAULT_LIMIT) -> list[SimilarThread]:
    """Published threads whose titles share the most words with ``title`` (``body`` unused for now)."""
    words = _words(title)
    if not words:
        return []
    matches = [func.lower(ForumThread.title).like(f"%{_escape_like(word)}%", escape="\\") for word in words]
    # Rank by how many of the words a title contains.
    score = sum((case((match, 1), else_=0) for match in matches), literal(0))
    answered = exists().where(
        ForumAcceptedAnswer.thread_id == ForumThread.id,
        ForumAcceptedAnswer.reply_id == ForumReply.id,
        ForumReply.status == PostStatus.PUBLISHED,
    ).correlate(ForumThread)
    rows = session.execute(
        select(ForumThread.id, ForumThread.title, answered)
        .where(ForumThread.status == PostStatus.PUBLISHED, or_(*matches))
        .order_by(score.desc(), ForumThread.updated_at.desc())
        .limit(limit)
    ).all()
    return [SimilarThread(id=row[0], title=row[1], answered=bool(row[2])) for row in rows]

