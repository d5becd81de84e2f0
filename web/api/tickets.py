"""Tickets API: public intake (rate limited), and reading/working tickets with API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from accounts import guards
from accounts.service import Principal
from aftercare.config import Settings
from helpdesk import presence, service, ticket_search
from helpdesk.models import Ticket, TicketChannel, TicketStatus
from helpdesk.schemas import (
    MessageCreate,
    MessageRead,
    TicketCreate,
    TicketCreated,
    TicketPage,
    TicketRead,
    TicketReceipt,
    TicketSearchHit,
    TicketSearchPage,
    TicketSummary,
    TicketUpdate,
)
from helpdesk.ticket_links import sign_ticket_link
from kb import drafting
from kb import service as kb_service
from kb.schemas import ArticleRead
from web import i18n, ratelimit
from web.api.articles import article_read
from web.deps import (
    API_READER_SIGN_IN,
    ApiPrincipal,
    AppSettings,
    DbSession,
    StaffPrincipal,
    client_key,
)

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])


def _require_reader(principal: Principal) -> Principal:
    return guards.require_credentials(principal, API_READER_SIGN_IN)


def ticket_read(ticket: Ticket, principal: Principal) -> TicketRead:
    summary = TicketSummary.model_validate(ticket).model_dump()
    return TicketRead(
        **summary,
        messages=[MessageRead.model_validate(m) for m in service.visible_messages(ticket, principal)],
        events=[e for e in ticket.events] if principal.is_staff else [],
    )


@router.post("", status_code=201, response_model=TicketCreated | TicketReceipt)
def create_ticket(
    data: TicketCreate, request: Request, session: DbSession, settings: AppSettings, principal: ApiPrincipal
) -> TicketCreated | TicketReceipt:
    """Open a ticket. An agent, or the signed-in customer of ``customer_email``, gets the ticket
    and its signed link; anyone else only a receipt, and the link goes by e-mail to that address."""
    ratelimit.hit(settings.rate_limit_storage_url, settings.public_rate_limit, "tickets:create", client_key(request))
    verified = service.requester_verified(principal, data.customer_email)
    ticket = service.create_ticket(
        session, data, channel=TicketChannel.API, author=principal.user, requester_verified=verified
    )
    if not verified:
        sent_to = ticket.requester.email if service.confirmation_queued(session, ticket) else None
        return TicketReceipt.model_validate(ticket).model_copy(update={"confirmation_sent_to": sent_to})
    ticket = service.get_ticket(session, ticket.id)
    link = sign_ticket_link(settings.secret_key, ticket)
    read = ticket_read(ticket, Principal(customer=ticket.requester, ticket_link_id=ticket.id))
    return TicketCreated(**read.model_dump(), access_url=f"{settings.base_url}/tickets/{ticket.id}?access_token={link}")


@router.get("", response_model=TicketPage | TicketSearchPage)
def list_tickets(
    session: DbSession,
    principal: ApiPrincipal,
    status: TicketStatus | None = None,
    assignee: Annotated[str | None, Query(max_length=20, description="'me', 'none' or a user id")] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)] = 25,
    q: Annotated[
        str | None,
        Query(
            max_length=ticket_search.MAX_QUERY_CHARS,
            description="full-text search over every status (ranked; pages by `cursor`, not `page`)",
        ),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=64, description="`next_cursor` of the previous search page")] = None,
) -> TicketPage | TicketSearchPage:
    _require_reader(principal)
    if q is not None and q.strip():
        query = ticket_search.SearchQuery(text=q, status=status, assignee=assignee, language=language, tag=tag)
        after = ticket_search.SearchCursor.decode(cursor) if cursor else None
        found = ticket_search.search(session, query, principal, after=after, size=page_size)
        return TicketSearchPage(
            items=[
                TicketSearchHit(
                    **TicketSummary.model_validate(hit.ticket).model_dump(),
                    score=hit.score,
                    highlight=str(ticket_search.to_html(hit.snippet)),
                )
                for hit in found.hits
            ],
            total=found.total,
            total_capped=found.capped,
            next_cursor=found.next.encode() if found.next else None,
            facets=found.facets,
        )
    filters = service.TicketFilters(status=status, assignee=assignee, language=language, tag=tag)
    tickets, total = service.list_tickets(session, filters, principal, page=page, page_size=page_size)
    return TicketPage(
        items=[TicketSummary.model_validate(t) for t in tickets], page=page, page_size=page_size, total=total
    )


@router.get("/{ticket_id}", response_model=TicketRead)
def get_ticket(ticket_id: int, session: DbSession, principal: ApiPrincipal) -> TicketRead:
    _require_reader(principal)
    return ticket_read(service.get_ticket_for(session, ticket_id, principal), principal)


def limit_customer_replies(settings: Settings, principal: Principal) -> None:
    """Count one customer reply (portal and API share the count); agents are not limited."""
    if principal.is_staff or principal.customer is None:
        return
    ratelimit.hit(
        settings.rate_limit_storage_url, settings.reply_rate_limit, "tickets:reply", f"customer:{principal.customer.id}"
    )


@router.post("/{ticket_id}/messages", status_code=201, response_model=MessageRead)
def add_message(
    ticket_id: int, data: MessageCreate, session: DbSession, settings: AppSettings, principal: ApiPrincipal
) -> MessageRead:
    _require_reader(principal)
    ticket = service.get_ticket_for(session, ticket_id, principal)
    # After the access check, so that probing others' tickets spends nobody's allowance.
    limit_customer_replies(settings, principal)
    # Written on an older view of the ticket: 409 with the newer messages' ids, nothing stored.
    presence.check_not_stale(session, ticket.id, data.seen_message_id, principal.user.id if principal.user else None)
    message = service.add_message(session, ticket, data, principal)
    return MessageRead.model_validate(message)


@router.patch("/{ticket_id}", response_model=TicketRead)
def update_ticket(ticket_id: int, changes: TicketUpdate, session: DbSession, principal: StaffPrincipal) -> TicketRead:
    ticket = service.get_ticket_for(session, ticket_id, principal)
    service.update_ticket(session, ticket, changes, principal)
    return ticket_read(ticket, principal)


@router.post("/{ticket_id}/draft-article", status_code=201, response_model=ArticleRead)
def draft_article(ticket_id: int, session: DbSession, principal: StaffPrincipal) -> ArticleRead:
    """A knowledge-base draft from the ticket: the customer's questions, the agent's last public
    answer (as the agent ticket page's "Draft an article" does); an admin edits and publishes it."""
    ticket = service.get_ticket_for(session, ticket_id, principal)
    placeholder = i18n.translations(ticket.language).gettext(drafting.NO_ANSWER_YET)
    article = drafting.draft_article_from_ticket(session, ticket, principal, placeholder=placeholder)
    return article_read(session, kb_service.get_article(session, article.id), principal)
