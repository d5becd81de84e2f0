"""A search typed a little at a time is logged once, as what the customer settled on."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from aftercare.db import utcnow
from kb.feedback.service import settle_typed_search
from kb.search.models import SearchLog, SearchSource
from kb.search.service import SearchOutcome
from tests.kb.feedback.factories import log_search


def _outcome(query: str) -> SearchOutcome:
    return SearchOutcome(
        query=query,
        query_language="en",
        language_source="detected",
        answered=False,
        results=[],
        index_version=0,
        elapsed_ms=1.0,
    )


def _queries(session) -> list[str]:
    return list(session.scalars(select(SearchLog.query).order_by(SearchLog.id)))


def test_a_continued_search_replaces_the_previous_row(session):
    first = log_search(session, "how do")
    settle_typed_search(session, _outcome("how do I reset"), SearchSource.PORTAL, previous_log_id=first.id)
    assert _queries(session) == ["how do I reset"]


def test_a_trimmed_search_replaces_the_previous_row(session):
    first = log_search(session, "reset passwrd")
    settle_typed_search(session, _outcome("reset pass"), SearchSource.PORTAL, previous_log_id=first.id)
    assert _queries(session) == ["reset pass"]


def test_a_new_question_keeps_the_previous_row(session):
    first = log_search(session, "warranty")
    settle_typed_search(session, _outcome("battery life"), SearchSource.PORTAL, previous_log_id=first.id)
    assert _queries(session) == ["warranty", "battery life"]


def test_an_old_search_is_kept(session):
    first = log_search(session, "how do", at=utcnow() - timedelta(minutes=10))
    settle_typed_search(session, _outcome("how do I reset"), SearchSource.PORTAL, previous_log_id=first.id)
    assert _queries(session) == ["how do", "how do I reset"]


def test_another_sources_search_is_kept(session):
    first = log_search(session, "how do", source=SearchSource.API)
    settle_typed_search(session, _outcome("how do I reset"), SearchSource.PORTAL, previous_log_id=first.id)
    assert len(_queries(session)) == 2
