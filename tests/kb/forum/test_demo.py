"""The demo forum loads through the real services and loads only once."""

from __future__ import annotations

from sqlalchemy import func, select

from kb.forum.demo import DEMO_THREADS, load_demo
from kb.forum.indexing import iter_indexable_threads
from kb.forum.models import ForumThread, PostStatus


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(ForumThread)) or 0


def test_demo_loads_threads_in_several_languages_and_is_idempotent(session):
    load_demo(session, lambda _line: None)
    count = _count(session)
    load_demo(session, lambda _line: None)
    assert _count(session) == count
    titles = {item.title for item in DEMO_THREADS}
    records = [record for record in iter_indexable_threads(session) if record.title in titles]
    assert {record.language for record in records} == {"en", "pl", "id", "tl", "th"}
    assert any(record.answer_accepted and record.answer_score >= 3 for record in records)
    assert (
        session.scalar(
            select(func.count()).select_from(ForumThread).where(ForumThread.status == PostStatus.PENDING_REVIEW)
        )
        == 1
    )
