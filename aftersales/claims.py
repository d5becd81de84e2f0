"""Warranty, repair and return claims: eligibility, opening one (with its ticket), its states.

Eligibility comes from the purchase date: a warranty or repair claim is in its window until the
same day ``warranty_months`` later, a return until ``return_days`` after the purchase day (the
product's own periods, else ``AFTERCARE_DEFAULT_WARRANTY_MONTHS`` / ``AFTERCARE_DEFAULT_RETURN_DAYS``);
the last day itself is still in. A claim outside its window is taken all the same, marked
``eligible=False`` with the day the window ended: agents decide.

Opening a claim opens a ticket (subject with the RMA number and product, the description as its
first message, tagged ``claim``); ``claims.ticket_id`` links the two (one claim per ticket). Every
state, the first included, is recorded as a ``ClaimEvent``, e-mailed to the customer in their
language through the outbox (sent after the commit) and, for changes, noted on the ticket for agents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from accounts.models import Customer
from accounts.service import Principal
from aftercare.config import Settings, get_settings
from aftercare.db import utcnow
from aftercare.errors import Forbidden, InvalidTransition, NotFound
from aftercare.pagination import window as paged
from aftersales.claim_models import Claim, ClaimEvent, ClaimKind, ClaimStatus
from aftersales.claim_schemas import ClaimCreate, ClaimRead
from aftersales.claim_strings import claim_strings_for, long_date, window_line
from aftersales.customer_story import add_months
from aftersales.emails import EmailContent, greeting_line, render_email
from aftersales.models import Product, Purchase
from helpdesk import service as tickets
from helpdesk.email.models import EmailKind
from helpdesk.email.outbox import enqueue_email
from helpdesk.models import Message, MessageKind, Ticket, TicketChannel, TicketTag
from helpdesk.schemas import TicketCreate

CLAIM_TAG = "claim"
Window = Literal["warranty", "return"]

# The legal moves, in one place: anything else is a 409 naming what is allowed.
TRANSITIONS: dict[ClaimStatus, tuple[ClaimStatus, ...]] = {
    ClaimStatus.REQUESTED: (ClaimStatus.APPROVED, ClaimStatus.REJECTED),
    ClaimStatus.APPROVED: (ClaimStatus.ITEM_RECEIVED,),
    ClaimStatus.REJECTED: (ClaimStatus.CLOSED,),
    ClaimStatus.ITEM_RECEIVED: (ClaimStatus.REPAIRED, ClaimStatus.REPLACED, ClaimStatus.REFUNDED),
    ClaimStatus.REPAIRED: (ClaimStatus.CLOSED,),
    ClaimStatus.REPLACED: (ClaimStatus.CLOSED,),
    ClaimStatus.REFUNDED: (ClaimStatus.CLOSED,),
    ClaimStatus.CLOSED: (),
}
# Reaching one of these is "resolved" for the time-to-resolve report.
OUTCOMES = frozenset({ClaimStatus.REJECTED, ClaimStatus.REPAIRED, ClaimStatus.REPLACED, ClaimStatus.REFUNDED})


@dataclass(frozen=True)
class Eligibility:
    window: Window
    eligible: bool
    window_ends_on: date


def window_of(kind: ClaimKind) -> Window:
    return "return" if kind == ClaimKind.RETURN else "warranty"


def eligibility(
    product: Product, purchased_on: date, kind: ClaimKind, *, today: date, settings: Settings | None = None
) -> Eligibility:
    settings = settings or get_settings()
    window = window_of(kind)
    if window == "return":
        days = product.return_days if product.return_days is not None else settings.default_return_days
        ends = purchased_on + timedelta(days=days)
    else:
        months = product.warranty_months if product.warranty_months is not None else settings.default_warranty_months
        ends = add_months(purchased_on, months)
    return Eligibility(window=window, eligible=today <= ends, window_ends_on=ends)


def next_statuses(claim: Claim) -> tuple[ClaimStatus, ...]:
    return TRANSITIONS[ClaimStatus(claim.status)]


# ---- finding -------------------------------------------------------------------------------


def _may_see(principal: Principal, customer_id: int) -> bool:
    return principal.is_staff or (
        principal.user is not None and principal.customer is not None and principal.customer.id == customer_id
    )


def purchase_for(
    session: Session, principal: Principal, *, purchase_id: int | None, external_order_id: str | None
) -> Purchase:
    """The purchase a claim is about: any for agents, only their own for a customer (else 404)."""
    query = select(Purchase).options(joinedload(Purchase.product), joinedload(Purchase.customer))
    if purchase_id is not None:
        purchase = session.scalar(query.where(Purchase.id == purchase_id))
    else:
        purchase = session.scalar(query.where(Purchase.external_order_id == external_order_id))
    if purchase is None or not _may_see(principal, purchase.customer_id):
        raise NotFound("purchase not found")
    return purchase


def get_claim_for(session: Session, claim_id: int, principal: Principal) -> Claim:
    """The claim for its owner or staff; anyone else gets 'not found', so ids leak nothing."""
    claim = session.get(Claim, claim_id)
    if claim is None or not _may_see(principal, claim.customer_id):
        raise NotFound(f"claim {claim_id} not found")
    return claim


def claim_for_ticket(session: Session, ticket_id: int) -> Claim | None:
    return session.scalar(select(Claim).where(Claim.ticket_id == ticket_id))


def list_claims(
    session: Session,
    *,
    status: ClaimStatus | None = None,
    product_id: int | None = None,
    kind: ClaimKind | None = None,
    eligible: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Claim]:
    query = select(Claim).options(joinedload(Claim.product), joinedload(Claim.customer))
    if status is not None:
        query = query.where(Claim.status == status)
    if product_id is not None:
        query = query.where(Claim.product_id == product_id)
    if kind is not None:
        query = query.where(Claim.kind == kind)
    if eligible is not None:
        query = query.where(Claim.eligible.is_(eligible))
    query = query.order_by(Claim.created_at.desc(), Claim.id.desc())
    return list(session.scalars(paged(query, offset=offset, limit=limit)))


def customer_claims(session: Session, customer: Customer) -> list[Claim]:
    return list(
        session.scalars(
            select(Claim)
            .options(joinedload(Claim.product))
            .where(Claim.customer_id == customer.id)
            .order_by(Claim.created_at.desc(), Claim.id.desc())
        )
    )


def customer_purchases(session: Session, customer: Customer, *, limit: int = 20) -> list[Purchase]:
    """A customer's latest purchases (the account page lists them with "Request repair / return")."""
    return list(
        session.scalars(
            select(Purchase)
            .options(joinedload(Purchase.product))
            .where(Purchase.customer_id == customer.id)
            .order_by(Purchase.purchased_at.desc(), Purchase.id.desc())
            .limit(limit)
        )
    )


def claim_read(claim: Claim) -> ClaimRead:
    read = ClaimRead.model_validate(claim)
    read.next_statuses = list(next_statuses(claim))
    return read


# ---- opening and moving --------------------------------------------------------------------


def _record_event(claim: Claim, old: ClaimStatus | None, new: ClaimStatus, principal: Principal, at: datetime) -> None:
    claim.events.append(
        ClaimEvent(
            old_status=old,
            new_status=new,
            actor_user_id=principal.user.id if principal.user is not None else None,
            actor_customer_id=principal.customer.id
            if principal.customer is not None and not principal.is_staff
            else None,
            created_at=at,
        )
    )


def open_claim(session: Session, data: ClaimCreate, principal: Principal, *, now: datetime | None = None) -> Claim:
    """Open a claim and its ticket; e-mails the customer its RMA number and eligibility."""
    if principal.user is None:
        raise Forbidden("sign in to open a claim")
    now = now or utcnow()
    settings = get_settings()
    purchase = purchase_for(session, principal, purchase_id=data.purchase_id, external_order_id=data.external_order_id)
    customer = purchase.customer
    if customer.erased_at is not None:
        raise NotFound("purchase not found")
    product = purchase.product
    window = eligibility(product, purchase.purchased_at.date(), data.kind, today=now.date(), settings=settings)
    claim = Claim(
        purchase=purchase,
        customer=customer,
        product=product,
        kind=data.kind,
        reason=data.reason,
        status=ClaimStatus.REQUESTED,
        eligible=window.eligible,
        window_ends_on=window.window_ends_on,
        created_at=now,
        updated_at=now,
    )
    session.add(claim)
    session.flush()
    # From the id: unique without a counter to race on, and readable on a parcel label.
    claim.rma_number = f"RMA-{now.year}-{claim.id:06d}"
    language, words = claim_strings_for(customer.language)
    ticket = tickets.create_ticket(
        session,
        TicketCreate(
            customer_email=customer.email,
            customer_name=customer.name,
            subject=f"{claim.rma_number} · {product.name} ({words[f'kind_{data.kind}']})",
            body=data.description,
            language=language if language in settings.languages else None,
        ),
        channel=TicketChannel.WEB if principal.customer is not None and not principal.is_staff else TicketChannel.API,
        author=principal.user,
        requester_verified=True,
        # The claim's own e-mail (RMA number, eligibility) is the confirmation.
        confirm=False,
        now=now,
    )
    ticket.tag_rows.append(TicketTag(tag=CLAIM_TAG))
    claim.ticket_id = ticket.id
    _record_event(claim, None, ClaimStatus.REQUESTED, principal, now)
    _note(session, ticket, principal, _opening_note(claim, purchase, window))
    session.flush()
    _email(session, claim, ClaimStatus.REQUESTED, settings)
    return claim


def change_status(
    session: Session, claim: Claim, new_status: ClaimStatus, principal: Principal, *, now: datetime | None = None
) -> Claim:
    if not principal.is_staff:
        raise Forbidden("only agents can change a claim's status")
    old = ClaimStatus(claim.status)
    allowed = TRANSITIONS[old]
    if new_status not in allowed:
        names = ", ".join(allowed) or "none (closed is final)"
        raise InvalidTransition(
            f"claim {claim.rma_number} cannot go from {old} to {new_status}; allowed from {old}: {names}"
        )
    now = now or utcnow()
    claim.status = new_status
    claim.updated_at = now
    if new_status in OUTCOMES:
        claim.resolved_at = now
    _record_event(claim, old, new_status, principal, now)
    ticket = session.get(Ticket, claim.ticket_id) if claim.ticket_id is not None else None
    if ticket is not None:
        who = principal.user.name if principal.user is not None else "?"
        _note(session, ticket, principal, f"Claim {claim.rma_number}: {old} → {new_status} ({who}).")
    session.flush()
    _email(session, claim, new_status, get_settings())
    return claim


def _opening_note(claim: Claim, purchase: Purchase, window: Eligibility) -> str:
    state = "within" if window.eligible else "OUT OF"
    ended = "ends" if window.eligible else "ended"
    return (
        f"Claim {claim.rma_number}: {claim.kind}, reason {claim.reason}, for {purchase.product.name} "
        f"(order {purchase.external_order_id}, bought {purchase.purchased_at.date().isoformat()}). "
        f"{state} the {window.window} window, which {ended} on {window.window_ends_on.isoformat()}."
    )


def _note(session: Session, ticket: Ticket, principal: Principal, text: str) -> None:
    """An internal note on the claim's ticket, so agents see each step in the thread."""
    session.add(
        Message(
            ticket=ticket,
            kind=MessageKind.INTERNAL_NOTE,
            body=text,
            author_user=principal.user if principal.is_staff else None,
        )
    )
    ticket.updated_at = utcnow()


# ---- e-mail --------------------------------------------------------------------------------


def claim_url(settings: Settings, claim: Claim) -> str:
    return f"{settings.base_url.rstrip('/')}/claims/{claim.id}"


def claim_email(claim: Claim, status: ClaimStatus, settings: Settings) -> EmailContent:
    """The e-mail about ``status`` in the customer's language."""
    customer = claim.customer
    language, words = claim_strings_for(customer.language)
    rma = claim.rma_number or ""
    context = {
        "w": words,
        "greeting": greeting_line(words, customer),
        "line": words[f"line_{status}"].format(rma=rma, product=claim.product.name, kind=words[f"kind_{claim.kind}"]),
        "rma_line": words["rma_line"].format(rma=rma),
        "product_line": words["product_line"].format(product=claim.product.name),
        "window": window_line(
            words,
            window=window_of(ClaimKind(claim.kind)),
            eligible=claim.eligible,
            ends_on=claim.window_ends_on,
            language=language,
        ),
        "url": claim_url(settings, claim),
        "language": language,
    }
    return EmailContent(
        subject=words[f"subject_{status}"].format(rma=rma),
        text=render_email("claim.txt", **context),
        html=render_email("claim.html", **context),
        language=language,
    )


def _email(session: Session, claim: Claim, status: ClaimStatus, settings: Settings) -> None:
    if claim.customer.erased_at is not None:
        return
    content = claim_email(claim, status, settings)
    enqueue_email(
        session,
        to=claim.customer.email,
        subject=content.subject,
        text=content.text,
        html=content.html,
        kind=EmailKind.TRANSACTIONAL,
        # No status comes back in TRANSITIONS, so one message per (claim, status) ever.
        dedupe_key=f"claim:{claim.id}:{status}",
        customer_id=claim.customer_id,
        ticket_id=claim.ticket_id,
        language=content.language,
    )


def eligibility_text(claim: Claim, language: str) -> tuple[str, str]:
    """(the window, its end as a long date in ``language``) for pages that word it themselves."""
    return window_of(ClaimKind(claim.kind)), long_date(claim.window_ends_on, language)
