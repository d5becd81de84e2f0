"""``GET /api/v1/search`` and ``GET /api/v1/tickets/{id}/suggestions`` over HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kb.search.models import SearchLog, TicketSuggestion
from tests.factories import create_customer_user, create_staff, create_ticket, token_for
from tests.kb.search.factories import EARBUDS, VACUUM, WIFI, answered_thread, published


@pytest.fixture
def api(app, client, keeper):
    # The app's keeper, built on the session's memoised model instead of a second copy.
    app.state.search_keeper = keeper
    return client


@pytest.fixture
def kb(session):
    return {
        "wifi": published(session, WIFI),
        "earbuds": published(session, EARBUDS),
        "vacuum": published(session, VACUUM),
    }


@pytest.fixture
def staff_headers(session):
    return token_for(session, create_staff(session))


def test_search_returns_the_contract_shape(api, kb):
    body = api.get("/api/v1/search", params={"q": "how do I empty the robot vacuum bin"}).json()
    assert set(body) == {"query_language", "answered", "results"}
    top = body["results"][0]
    assert {"type", "id", "article_id", "slug", "title", "locale", "snippet", "score", "confidence", "url"} <= set(top)
    assert (top["type"], top["id"], top["article_id"], top["slug"], top["url"]) == (
        "article",
        kb["vacuum"].id,
        kb["vacuum"].id,
        "aurora-dustbin",
        "/articles/aurora-dustbin",
    )
    assert body["answered"] is True and "thread_id" not in top


def test_article_result_keys_are_exactly_the_published_ones(api, kb):
    # The JSON contract of kb/search/schemas.py; keys that do not apply to an article are left out.
    top = api.get("/api/v1/search", params={"q": "how do I empty the robot vacuum bin"}).json()["results"][0]
    assert set(top) == {
        "type",
        "id",
        "article_id",
        "slug",
        "title",
        "locale",
        "snippet",
        "highlights",
        "highlight_spans",
        "score",
        "confidence",
        "url",
    }


def test_thread_results_carry_thread_id(api, session, kb):
    thread, _ = answered_thread(
        session,
        title="Earbuds will not charge in the case",
        body="No light on the case.",
        answer="Clean the charging contacts.",
    )
    body = api.get("/api/v1/search", params={"q": "earbuds not charging", "types": "thread"}).json()
    top = body["results"][0]
    assert (top["type"], top["id"], top["thread_id"], top["url"]) == (
        "thread",
        thread.id,
        thread.id,
        f"/forum/t/{thread.id}",
    )
    assert "article_id" not in top


def test_search_is_public_and_logged(api, session, kb):
    response = api.get("/api/v1/search", params={"q": "what is the capital of France"})
    assert response.status_code == 200 and response.json()["answered"] is False
    assert session.scalar(select(func.count()).select_from(SearchLog).where(SearchLog.source == "api")) == 1


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "   "},
        {"q": "x" * 501},
        {"q": "wifi", "limit": 0},
        {"q": "wifi", "limit": 51},
        {"q": "wifi", "types": "article,recipe"},
        {"q": "wifi", "lang": "de"},
        {"q": "wifi", "lang": "klingon"},
    ],
)
def test_invalid_parameters_are_422(api, params):
    response = api.get("/api/v1/search", params=params)
    assert response.status_code == 422 and response.json()["code"] == "validation_failed"


def test_search_is_rate_limited_per_client(app, api, kb):
    from web import ratelimit

    app.state.settings = app.state.settings.model_copy(update={"search_rate_limit": "2/minute"})
    ratelimit.reset(app.state.settings.rate_limit_storage_url)
    statuses = [api.get("/api/v1/search", params={"q": "wifi"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_suggestions_need_staff(api, session, kb):
    ticket = create_ticket(session)
    customer = token_for(session, create_customer_user(session))
    assert api.get(f"/api/v1/tickets/{ticket.id}/suggestions").status_code == 401
    assert api.get(f"/api/v1/tickets/{ticket.id}/suggestions", headers=customer).status_code == 403


def test_suggestions_for_a_ticket_are_its_best_articles(api, session, kb, staff_headers):
    ticket = create_ticket(session)  # "My thermostat will not connect to Wi-Fi"
    body = api.get(f"/api/v1/tickets/{ticket.id}/suggestions", headers=staff_headers).json()
    assert body["ticket_id"] == ticket.id and body["answered"] is True
    assert [result["article_id"] for result in body["results"]][0] == kb["wifi"].id
    assert len(body["results"]) == 3 and all(result["suggestion_id"] for result in body["results"])


def test_suggestions_are_stored_once_and_reused(api, session, kb, staff_headers):
    ticket = create_ticket(session)
    first = api.get(f"/api/v1/tickets/{ticket.id}/suggestions", headers=staff_headers).json()
    second = api.get(f"/api/v1/tickets/{ticket.id}/suggestions", headers=staff_headers).json()
    stored = session.scalars(select(TicketSuggestion).where(TicketSuggestion.ticket_id == ticket.id)).all()
    assert [r["suggestion_id"] for r in first["results"]] == [r["suggestion_id"] for r in second["results"]]
    assert sorted(row.id for row in stored) == sorted(r["suggestion_id"] for r in first["results"])


def test_suggestions_are_recomputed_when_the_index_moved(api, session, kb, staff_headers):
    ticket = create_ticket(
        session, subject="Pulse earbuds will not charge", body="The case stays dark when I plug it in."
    )
    first = api.get(f"/api/v1/tickets/{ticket.id}/suggestions", headers=staff_headers).json()
    better = published(
        session,
        {
            **EARBUDS,
            "slug": "pulse-case-dark",
            "title": "Pulse case stays dark and will not charge",
            "questions": ["The earbuds case stays dark when plugged in"],
        },
    )
    second = api.get(f"/api/v1/tickets/{ticket.id}/suggestions", headers=staff_headers).json()
    current = session.scalars(
        select(TicketSuggestion).where(
            TicketSuggestion.ticket_id == ticket.id, TicketSuggestion.superseded_at.is_(None)
        )
    ).all()
    assert second["results"][0]["article_id"] == better.id != first["results"][0]["article_id"]
    assert sorted(row.id for row in current) == sorted(r["suggestion_id"] for r in second["results"])


def test_agents_may_ask_for_threads_too(api, session, kb, staff_headers):
    thread, _ = answered_thread(
        session,
        title="Thermostat offline after changing the router",
        body="It says offline.",
        answer="Join the new network from Menu > Wi-Fi.",
    )
    ticket = create_ticket(session)
    body = api.get(
        f"/api/v1/tickets/{ticket.id}/suggestions",
        params={"types": "article,thread", "limit": 5},
        headers=staff_headers,
    ).json()
    assert thread.id in [result.get("thread_id") for result in body["results"]]


def test_suggestions_of_an_unknown_ticket_are_404(api, staff_headers):
    assert api.get("/api/v1/tickets/999999/suggestions", headers=staff_headers).status_code == 404
