"""The forum's side of search: what a thread looks like to the index, and the change feed.

``iter_indexable_threads`` yields one plain record per thread that search may show (published
threads only; hidden and pending posts are never indexed). Every change that alters such a
record writes a ``search_index_changes`` row (entity_type "thread") in the same transaction via
``note_search_change``; the indexer re-reads those threads with ``thread_ids=...`` and drops
the ids that are no longer yielded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from aftercare.db import utcnow
from kb.forum.models import ForumAcceptedAnswer, ForumReply, ForumThread, ForumVote, PostStatus
from kb.indexing import THREAD_ENTITY, record_search_change

SEARCH_ENTITY_TYPE = THREAD_ENTITY
# Threads read per query when walking the whole forum: bounded memory, few round trips.
BATCH_SIZE = 200


@dataclass(frozen=True)
class IndexableThread:
    thread_id: int
    language: str
    title: str
    question_body: str
    # The accepted answer; else the best-voted reply with a positive score; else None.
    answer_body: str | None
    answer_accepted: bool
    # Score of the answer above (0 without one).
    answer_score: int
    tags: list[str]
    updated_at: datetime


def note_search_change(session: Session, thread: ForumThread) -> None:
    """Record that search must re-read ``thread``; also marks it as recently active."""
    thread.updated_at = utcnow()
    record_search_change(session, thread.id, entity_type=SEARCH_ENTITY_TYPE)


def reply_scores(session: Session, reply_ids: Iterable[int]) -> dict[int, int]:
    """Score of each reply: the sum of its vote rows (replies without votes score 0)."""
    ids = list(reply_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(ForumVote.reply_id, func.sum(ForumVote.value))
        .where(ForumVote.reply_id.in_(ids))
        .group_by(ForumVote.reply_id)
    ).all()
    scores = dict.fromkeys(ids, 0)
    scores.update({reply_id: int(total or 0) for reply_id, total in rows})
    return scores


def _answers(session: Session, thread_ids: list[int]) -> dict[int, tuple[str, bool, int]]:
    """Per thread: (answer body, accepted?, score) for threads that have an answer to index."""
    replies = session.execute(
        select(ForumReply.id, ForumReply.thread_id, ForumReply.body)
        .where(ForumReply.thread_id.in_(thread_ids), ForumReply.status == PostStatus.PUBLISHED)
        .order_by(ForumReply.id)
    ).all()
    if not replies:
        return {}
    scores = reply_scores(session, [row.id for row in replies])
    accepted = set(
        session.scalars(select(ForumAcceptedAnswer.reply_id).where(ForumAcceptedAnswer.thread_id.in_(thread_ids)))
    )
    best: dict[int, tuple[str, bool, int]] = {}
    for row in replies:
        score = scores[row.id]
        if row.id in accepted:
            best[row.thread_id] = (row.body, True, score)
            continue
        current = best.get(row.thread_id)
        if current is not None and current[1]:
            continue
        # Ties go to the earlier reply (replies come in id order; only a higher score replaces).
        if score > 0 and (current is None or score > current[2]):
            best[row.thread_id] = (row.body, False, score)
    return best


def _records(session: Session, threads: list[ForumThread]) -> Iterator[IndexableThread]:
    answers = _answers(session, [thread.id for thread in threads])
    for thread in threads:
        answer_body, accepted, score = answers.get(thread.id, (None, False, 0))
        yield IndexableThread(
            thread_id=thread.id,
            language=thread.language,
            title=thread.title,
            question_body=thread.body,
            answer_body=answer_body,
            answer_accepted=accepted,
            answer_score=score,
            tags=thread.tags,
            updated_at=thread.updated_at,
        )


def iter_indexable_threads(session: Session, thread_ids: Iterable[int] | None = None) -> Iterator[IndexableThread]:
    """Every published thread (or those of ``thread_ids`` still published), in id order.

    A requested id that is not yielded is gone from search: hidden, pending review or deleted.
    """
    query = (
        select(ForumThread)
        .where(ForumThread.status == PostStatus.PUBLISHED)
        .options(selectinload(ForumThread.tag_rows))
        .order_by(ForumThread.id)
    )
    if thread_ids is not None:
        wanted = sorted(set(thread_ids))
        for start in range(0, len(wanted), BATCH_SIZE):
            chunk = wanted[start : start + BATCH_SIZE]
            threads = list(session.scalars(query.where(ForumThread.id.in_(chunk))))
            yield from _records(session, threads)
        return
    last_id = 0
    while True:
        threads = list(session.scalars(query.where(ForumThread.id > last_id).limit(BATCH_SIZE)))
        if not threads:
            return
        yield from _records(session, threads)
        last_id = threads[-1].id
