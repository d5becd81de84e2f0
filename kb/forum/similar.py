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


# A thread the multilingual engine finds with less confidence than this is not worth showing.
SIMILAR_MIN_CONFIDENCE = 0.3


def similar_threads(session: Session, title: str, body: str, *, limit: int = DEFAULT_LIMIT) -> list[SimilarThread]:
    """Threads that may already answer this question: the multilingual search engine first (it
    matches across languages and wordings), then threads sharing title words."""
    found = _engine_matches(session, title, body, limit)
    seen = {thread.id for thread in found}
    for thread in _title_matches(session, title, limit):
        if len(found) >= limit:
            break
        if thread.id not in seen:
            found.append(thread)
            seen.add(thread.id)
    return found


def _engine_matches(session: Session, title: str, body: str, limit: int) -> list[SimilarThread]:
    # Only where this process already keeps a search index (the web app): a CLI or a test without
    # one must not load a model and build an index just to suggest duplicates.
    from kb.search.keeper import running_keepers
    from kb.search.models import SearchSource
    from kb.search.service import compose_query, search

    keepers = running_keepers()
    query = compose_query(title, body)
    if not keepers or len(query.strip()) < 3:
        return []
    outcome = search(
        session, query, limit=limit, types=("thread",), source=SearchSource.FORUM, keeper=keepers[0], log=False
    )
    return [
        SimilarThread(id=hit.thread_id or hit.id, title=hit.title, answered=bool(hit.has_answer))
        for hit in outcome.results
        if hit.confidence >= SIMILAR_MIN_CONFIDENCE
    ]


def _title_matches(session: Session, title: str, limit: int) -> list[SimilarThread]:
    words = _words(title)
    if not words:
        return []
    matches = [func.lower(ForumThread.title).like(f"%{_escape_like(word)}%", escape="\\") for word in words]
    # Rank by how many of the words a title contains.
    score = sum((case((match, 1), else_=0) for match in matches), literal(0))
    answered = (
        exists()
        .where(
            ForumAcceptedAnswer.thread_id == ForumThread.id,
            ForumAcceptedAnswer.reply_id == ForumReply.id,
            ForumReply.status == PostStatus.PUBLISHED,
        )
        .correlate(ForumThread)
    )
    rows = session.execute(
        select(ForumThread.id, ForumThread.title, answered)
        .where(ForumThread.status == PostStatus.PUBLISHED, or_(*matches))
        .order_by(score.desc(), ForumThread.updated_at.desc())
        .limit(limit)
    ).all()
    return [SimilarThread(id=row[0], title=row[1], answered=bool(row[2])) for row in rows]
