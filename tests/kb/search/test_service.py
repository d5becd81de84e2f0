"""The one search function: languages, result shape, threads, database checks, logging, validation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from aftercare.errors import ValidationFailed
from kb import service as kb_service
from kb.forum import moderation
from kb.search.models import SearchLog, SearchSource
from kb.search.service import normalize_query, search
from tests.kb.search.factories import (
    EARBUDS,
    VACUUM,
    WIFI,
    agent,
    answered_thread,
    polish_translation,
    published,
    unanswered_thread,
)

POLISH_WIFI_QUESTION = "Mój termostat ciągle traci połączenie z siecią Wi-Fi, co zrobić?"


@pytest.fixture
def kb(session, keeper):
    wifi = published(session, WIFI)
    earbuds = published(session, EARBUDS)
    vacuum = published(session, VACUUM)
    return {"wifi": wifi, "earbuds": earbuds, "vacuum": vacuum}


def test_polish_question_shows_the_polish_translation(session, keeper, kb):
    polish_translation(session, kb["wifi"])
    outcome = search(session, POLISH_WIFI_QUESTION, keeper=keeper)
    top = outcome.results[0]
    assert (outcome.query_language, top.article_id, top.locale) == ("pl", kb["wifi"].id, "pl")
    assert top.url == f"/articles/{kb['wifi'].slug}?lang=pl"


def test_polish_question_without_translation_shows_english_with_its_locale(session, keeper, kb):
    outcome = search(session, POLISH_WIFI_QUESTION, keeper=keeper)
    top = outcome.results[0]
    assert (top.article_id, top.locale, top.url) == (kb["wifi"].id, "en", f"/articles/{kb['wifi'].slug}")


def test_explicit_language_wins_over_detection(session, keeper, kb):
    outcome = search(session, "my thermostat keeps going offline", language="pl-PL", keeper=keeper)
    assert (outcome.query_language, outcome.language_source) == ("pl", "given")


def test_customer_language_decides_a_query_too_short_to_tell(session, keeper, kb):
    outcome = search(session, "wifi", customer_language="pl", keeper=keeper)
    assert (outcome.query_language, outcome.language_source) == ("pl", "customer")


def test_one_result_per_article(session, keeper, kb):
    polish_translation(session, kb["wifi"])
    outcome = search(session, POLISH_WIFI_QUESTION, limit=10, keeper=keeper)
    ids = [hit.article_id for hit in outcome.results]
    assert len(ids) == len(set(ids)) == 3


def test_clear_question_is_answered(session, keeper, kb):
    outcome = search(session, "how do I empty the dustbin of my robot vacuum", keeper=keeper)
    assert outcome.answered and outcome.results[0].article_id == kb["vacuum"].id


def test_unrelated_question_is_not_answered(session, keeper, kb):
    outcome = search(session, "what is the capital of France", keeper=keeper)
    assert not outcome.answered


def test_snippet_highlights_point_at_matched_words(session, keeper, kb):
    hit = search(session, "earbuds charge case", keeper=keeper).results[0]
    marked = {hit.snippet[start:end].lower() for start, end in hit.highlight_spans}
    assert hit.highlights and marked & {"earbuds", "charge", "case"}


def test_unpublished_article_disappears_before_the_index_catches_up(session, keeper, kb):
    keeper.sync(session)
    kb_service.archive(session, kb["vacuum"])
    hits = search(session, "empty the robot vacuum dustbin", keeper=_NoSync(keeper)).results
    assert f"article:{kb['vacuum'].id}:en" in keeper.engine  # the index has not caught up
    assert kb["vacuum"].id not in [hit.article_id for hit in hits]


class _NoSync:
    """The keeper as a process whose background thread has not synced yet."""

    def __init__(self, keeper):
        self._keeper = keeper

    def ensure_current(self, session):
        pass

    def __getattr__(self, name):
        return getattr(self._keeper, name)


def test_types_filter_keeps_only_threads(session, keeper, kb):
    thread, _ = answered_thread(
        session,
        title="Earbuds will not charge in the case",
        body="No light on the case.",
        answer="Clean the charging contacts with a dry cloth.",
    )
    outcome = search(session, "earbuds not charging", types="thread", keeper=keeper)
    assert {hit.type for hit in outcome.results} == {"thread"}
    assert outcome.results[0].thread_id == thread.id and outcome.results[0].url == f"/forum/t/{thread.id}"


def test_types_filter_keeps_only_articles(session, keeper, kb):
    answered_thread(
        session,
        title="Earbuds will not charge in the case",
        body="No light on the case.",
        answer="Clean the charging contacts with a dry cloth.",
    )
    outcome = search(session, "earbuds not charging", types=["article"], limit=10, keeper=keeper)
    assert {hit.type for hit in outcome.results} == {"article"}


def test_accepted_answer_ranks_above_an_unanswered_thread(session, keeper):
    question = "The robot vacuum stops in the middle of the room and beeps twice"
    unanswered = unanswered_thread(session, title="Robot vacuum stops mid-room and beeps twice", body=question)
    answered, _ = answered_thread(
        session,
        title="Robot vacuum stops mid-room and beeps twice",
        body=question,
        answer="Two beeps mean the wheels are blocked: lift the robot and remove hair from both wheels.",
        up_votes=2,
    )
    ranked = [
        hit.thread_id for hit in search(session, "vacuum stops and beeps twice", types="thread", keeper=keeper).results
    ]
    assert ranked.index(answered.id) < ranked.index(unanswered.id)


def test_hidden_thread_is_gone_from_search_at_once(session, keeper):
    thread, _ = answered_thread(
        session,
        title="Earbuds will not charge in the case",
        body="No light on the case.",
        answer="Clean the charging contacts.",
    )
    keeper.sync(session)
    moderation.hide_post(session, thread, agent(session))
    hits = search(session, "earbuds not charging", types="thread", keeper=_NoSync(keeper)).results
    assert thread.id not in [hit.thread_id for hit in hits]


def test_hidden_answer_is_never_shown_as_snippet(session, keeper):
    secret = "Call me on 555 0100 and I will sell you a cheap replacement charger"
    thread, reply = answered_thread(
        session, title="Earbuds will not charge in the case", body="No light on the case.", answer=secret
    )
    keeper.sync(session)
    moderation.hide_post(session, reply, agent(session))
    hits = search(session, "cheap replacement charger earbuds", types="thread", keeper=_NoSync(keeper)).results
    assert hits and all("555" not in hit.snippet for hit in hits)


def test_search_is_logged_in_the_callers_transaction(session, keeper, kb):
    outcome = search(session, "  How do I EMPTY the robot's bin?  ", source=SearchSource.PORTAL, keeper=keeper)
    row = session.scalar(select(SearchLog).where(SearchLog.id == outcome.log_id))
    assert (row.query, row.normalized_query, row.source) == (
        "How do I EMPTY the robot's bin?",
        "how do i empty the robot's bin",
        "portal",
    )
    assert (row.answered, row.results_count, row.top_result_type, row.top_result_id) == (
        outcome.answered,
        len(outcome.results),
        "article",
        kb["vacuum"].id,
    )


def test_unanswered_search_is_logged_as_a_content_gap(session, keeper, kb):
    outcome = search(session, "what is the capital of France", keeper=keeper)
    assert session.get(SearchLog, outcome.log_id).answered is False


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"query": "   "}, "empty"),
        ({"query": "x" * 501}, "longer than 500"),
        ({"query": "wifi", "types": "article,recipe"}, "unknown result type recipe"),
        ({"query": "wifi", "language": "de"}, "not supported"),
        ({"query": "wifi", "limit": 0}, "limit"),
    ],
)
def test_invalid_input_is_refused(session, keeper, kwargs, message):
    with pytest.raises(ValidationFailed, match=message):
        search(session, keeper=keeper, **kwargs)


def test_normalized_query_groups_spelling_variants():
    assert normalize_query("Reset   PASSWORD?!") == normalize_query("reset password") == "reset password"


def test_empty_knowledge_base_answers_nothing(session, keeper):
    outcome = search(session, "how do I reset my thermostat", keeper=keeper)
    assert (outcome.answered, outcome.results) == (False, [])
