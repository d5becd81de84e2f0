"""Builders for feedback and search-log rows, dated where a test needs it."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy.orm import Session

from kb.feedback.models import DeflectionEvent, FunnelEvent
from kb.search.models import SearchLog, SearchSource
from kb.search.service import normalize_query

_counter = itertools.count(1)


def attempt_id() -> str:
    return f"attempt-{next(_counter):06d}-abcdefgh"


def visitor() -> str:
    return f"visitor-{next(_counter):06d}-abcdefgh"


def log_search(
    session: Session,
    query: str,
    *,
    answered: bool = True,
    source: SearchSource = SearchSource.PORTAL,
    language: str = "en",
    at: datetime | None = None,
) -> SearchLog:
    row = SearchLog(
        query=query,
        normalized_query=normalize_query(query),
        query_language=language,
        answered=answered,
        results_count=1 if answered else 0,
        source=source,
    )
    if at is not None:
        row.created_at = at
    session.add(row)
    session.flush()
    return row


def funnel_event(
    session: Session,
    attempt: str,
    event: FunnelEvent,
    *,
    article_id: int | None = None,
    at: datetime | None = None,
) -> DeflectionEvent:
    row = DeflectionEvent(attempt_id=attempt, event=event, article_id=article_id)
    if at is not None:
        row.created_at = at
    session.add(row)
    session.flush()
    return row
