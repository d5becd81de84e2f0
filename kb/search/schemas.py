"""Response shapes of search: ``GET /api/v1/search`` and ``GET /api/v1/tickets/{id}/suggestions``.

The result keys are a contract: ``type``, ``id``, ``article_id`` (articles) or ``thread_id``
(threads), ``slug``, ``title``, ``locale``, ``snippet``, ``score``, ``confidence``, ``url``.
``highlights`` (matched normalised terms) and ``highlight_spans`` ([start, end) character offsets
in ``snippet``) let a page mark matches after escaping the snippet. Keys that do not apply to a
result's type are left out of the JSON (``response_model_exclude_none``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class SearchResultRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    type: Literal["article", "thread"]
    id: int
    article_id: int | None = None
    thread_id: int | None = None
    slug: str | None = None
    title: str
    locale: str
    snippet: str
    highlights: list[str]
    highlight_spans: list[tuple[int, int]]
    score: float
    confidence: float
    url: str
    # Threads only: whether the thread has an accepted or well-voted answer.
    has_answer: bool | None = None


class SearchResponseRead(BaseModel):
    query_language: str
    answered: bool
    results: list[SearchResultRead]


class SuggestionRead(SearchResultRead):
    # The stored suggestion's id (for "inserted" events); absent for types that are not stored.
    suggestion_id: int | None = None


class TicketSuggestionsRead(BaseModel):
    ticket_id: int
    query_language: str
    answered: bool
    results: list[SuggestionRead]
