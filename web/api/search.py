"""Search API: the one self-service search, and article suggestions for a ticket (agents).

``GET /api/v1/search`` is public (anonymous allowed) and rate limited per client with the search
limit, a long query costing more of it than a short one (``web.ratelimit.search_cost``): one
client's long queries run out before a neighbour's short ones. Validation errors (empty or
over-long ``q``, ``limit`` outside 1..50, an unknown ``types`` entry, an unsupported ``lang``) are
422 with the usual ``{"detail", "code"}`` body.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request

from aftercare.errors import NotFound
from helpdesk.models import Ticket
from kb.search import service
from kb.search.models import SearchSource
from kb.search.schemas import SearchResponseRead, SearchResultRead, SuggestionRead, TicketSuggestionsRead
from kb.search.suggestions import DEFAULT_SUGGESTIONS, STORED_TYPES, suggest_for_ticket
from web import ratelimit
from web.deps import ApiPrincipal, DbSession, StaffPrincipal, bookkeeping_session

router = APIRouter(tags=["search"])


def _keeper(request: Request):
    # The app's keeper (None outside an app lifespan: the service then uses the process default).
    return getattr(request.app.state, "search_keeper", None)


@router.get("/api/v1/search", response_model=SearchResponseRead, response_model_exclude_none=True)
def search(
    request: Request,
    session: DbSession,
    principal: ApiPrincipal,
    q: Annotated[str, Query(min_length=1, max_length=service.MAX_QUERY_CHARS, description="The question.")],
    lang: Annotated[str | None, Query(max_length=64, description="Preferred language of results (e.g. pl).")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = 5,
    types: Annotated[str, Query(max_length=100, description="Comma-separated: article, thread.")] = "article,thread",
) -> SearchResponseRead:
    customer = principal.customer
    with ratelimit.search_allowance(request, q):
        outcome = service.search(
            session,
            q,
            language=lang,
            limit=limit,
            types=types,
            source=SearchSource.API,
            customer_language=customer.language if customer is not None else None,
            keeper=_keeper(request),
            log=False,
        )
    with bookkeeping_session(request) as log_session:
        service.log_search(log_session, outcome, SearchSource.API)
    return SearchResponseRead(
        query_language=outcome.query_language,
        answered=outcome.answered,
        results=[SearchResultRead(**asdict(hit)) for hit in outcome.results],
    )


@router.get(
    "/api/v1/tickets/{ticket_id}/suggestions",
    response_model=TicketSuggestionsRead,
    response_model_exclude_none=True,
)
def ticket_suggestions(
    ticket_id: int,
    request: Request,
    session: DbSession,
    principal: StaffPrincipal,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = DEFAULT_SUGGESTIONS,
    types: Annotated[str, Query(max_length=100, description="Comma-separated: article, thread.")] = ",".join(
        STORED_TYPES
    ),
) -> TicketSuggestionsRead:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found")
    found = suggest_for_ticket(session, ticket, limit, types=types, keeper=_keeper(request))
    return TicketSuggestionsRead(
        ticket_id=ticket.id,
        query_language=found.query_language,
        answered=found.answered,
        results=[
            SuggestionRead(**asdict(hit), suggestion_id=suggestion_id)
            for hit, suggestion_id in zip(found.results, found.suggestion_ids, strict=True)
        ],
    )
