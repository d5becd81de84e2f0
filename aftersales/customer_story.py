"""A customer's whole story for the agent: contact, purchases under warranty, tickets, survey scores,
tip series, consent and lapsed-buyer status (the ticket's side panel, the customer page and
``GET /api/v1/customers/{id}``).

Every list is the latest few rows with a count of all, so a customer with thousands of tickets or
purchases costs a handful of indexed queries. An erased customer keeps their history's figures but
shows no name or address (``privacy.erasure`` has replaced them with placeholders anyway).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from accounts.models import Customer
from aftercare.db import utcnow
from aftercare.errors import NotFound
from aftersales.models import (
    LapsedBuyer,
    ProgrammeEnrolment,
    ProgrammeStep,
    Purchase,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
    TipDelivery,
)
from aftersales.schemas import (
    CustomerStoryRead,
    StoryLapseRead,
    StoryProgrammeRead,
    StoryPurchaseRead,
    StoryTicketRead,
    StoryTipRead,
    SurveyScoreRead,
)
from helpdesk.models import Ticket, TicketStatus

UNSOLVED = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


@dataclass(frozen=True)
class StoryLimits:
    """How many of each list to show (the counts cover everything)."""

    purchases: int = 20
    tickets: int = 20
    surveys: int = 10
    programmes: int = 20
    tips: int = 10


PAGE_LIMITS = StoryLimits()
# The ticket page's side panel: the latest purchases and the scores; its own list shows the tickets.
PANEL_LIMITS = StoryLimits(purchases=3, tickets=0, surveys=0, programmes=0, tips=0)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has none (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def whole_months_between(start: date, end: date) -> int:
    """Complete months from ``start`` to ``end`` (0 when ``end`` is not later)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def _purchase_read(purchase: Purchase, *, today: date, warranty_months: int) -> StoryPurchaseRead:
    # The product's own warranty period wins; ``warranty_months`` is the default for the rest.
    own = purchase.product.warranty_months
    until = add_months(purchase.purchased_at.date(), own if own is not None else warranty_months)
    return StoryPurchaseRead(
        id=purchase.id,
        product_id=purchase.product_id,
        sku=purchase.product.sku,
        product_name=purchase.product.name,
        quantity=purchase.quantity,
        amount=purchase.amount,
        currency=purchase.currency,
        purchased_at=purchase.purchased_at,
        channel=purchase.channel,
        warranty_until=until,
        in_warranty=until >= today,
        warranty_months_left=whole_months_between(today, until),
    )


def _count(session: Session, query: Select[tuple[int]]) -> int:
    return session.scalar(query) or 0


def _score_read(response: SurveyResponse) -> SurveyScoreRead:
    invitation = response.invitation
    return SurveyScoreRead(
        kind=SurveyKind(invitation.kind),
        score=response.score,
        answered_at=response.updated_at,
        ticket_id=invitation.ticket_id,
        product_name=invitation.product.name if invitation.product else None,
    )


def _answers(customer_id: int) -> Select[tuple[SurveyResponse]]:
    # Latest change first: a customer may change their answer while the survey is open.
    return (
        select(SurveyResponse)
        .join(SurveyResponse.invitation)
        .options(joinedload(SurveyResponse.invitation).joinedload(SurveyInvitation.product))
        .where(SurveyInvitation.customer_id == customer_id)
        .order_by(SurveyResponse.updated_at.desc(), SurveyResponse.id.desc())
    )


def _last_score(session: Session, customer_id: int, kind: SurveyKind) -> SurveyScoreRead | None:
    response = session.scalar(_answers(customer_id).where(SurveyInvitation.kind == kind).limit(1))
    return _score_read(response) if response else None


def _purchases(
    session: Session, customer_id: int, limit: int, *, today: date, warranty_months: int
) -> list[StoryPurchaseRead]:
    if limit < 1:
        return []
    rows = session.scalars(
        select(Purchase)
        .options(joinedload(Purchase.product))
        .where(Purchase.customer_id == customer_id)
        .order_by(Purchase.purchased_at.desc(), Purchase.id.desc())
        .limit(limit)
    )
    return [_purchase_read(row, today=today, warranty_months=warranty_months) for row in rows]


def _tickets(session: Session, customer_id: int, exclude: int | None, limit: int) -> list[StoryTicketRead]:
    if limit < 1:
        return []
    query = select(Ticket).where(Ticket.requester_id == customer_id)
    if exclude is not None:
        query = query.where(Ticket.id != exclude)
    rows = session.scalars(query.order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(limit))
    return [
        StoryTicketRead(
            id=row.id, subject=row.subject, status=row.status, created_at=row.created_at, updated_at=row.updated_at
        )
        for row in rows
    ]


def _programmes(session: Session, customer_id: int, limit: int) -> list[StoryProgrammeRead]:
    if limit < 1:
        return []
    enrolments = list(
        session.scalars(
            select(ProgrammeEnrolment)
            .options(joinedload(ProgrammeEnrolment.programme), joinedload(ProgrammeEnrolment.product))
            .where(ProgrammeEnrolment.customer_id == customer_id)
            .order_by(ProgrammeEnrolment.anchor_at.desc(), ProgrammeEnrolment.id.desc())
            .limit(limit)
        )
    )
    sent: dict[int, int] = {}
    if enrolments:
        sent = {
            enrolment_id: count
            for enrolment_id, count in session.execute(
                select(TipDelivery.enrolment_id, func.count())
                .where(TipDelivery.enrolment_id.in_([row.id for row in enrolments]))
                .group_by(TipDelivery.enrolment_id)
            )
        }
    return [
        StoryProgrammeRead(
            programme_id=row.programme_id,
            name=row.programme.name,
            product_name=row.product.name if row.product else None,
            source=row.source,
            enrolled_at=row.anchor_at,
            tips_sent=sent.get(row.id, 0),
        )
        for row in enrolments
    ]


def _tips(session: Session, customer_id: int, limit: int) -> list[StoryTipRead]:
    if limit < 1:
        return []
    rows = session.scalars(
        select(TipDelivery)
        .options(joinedload(TipDelivery.step).joinedload(ProgrammeStep.programme))
        .where(TipDelivery.customer_id == customer_id)
        .order_by(TipDelivery.created_at.desc(), TipDelivery.id.desc())
        .limit(limit)
    )
    return [
        StoryTipRead(
            programme_name=row.step.programme.name,
            step_kind=row.step.kind,
            day_offset=row.step.day_offset,
            sent_at=row.created_at,
        )
        for row in rows
    ]


def _lapse(session: Session, customer_id: int) -> StoryLapseRead | None:
    row = session.scalar(
        select(LapsedBuyer).options(joinedload(LapsedBuyer.product)).where(LapsedBuyer.customer_id == customer_id)
    )
    if row is None:
        return None
    return StoryLapseRead(
        reason=row.reason,
        product_name=row.product.name if row.product else None,
        last_purchase_at=row.last_purchase_at,
        expected_by=row.expected_by,
        detected_at=row.detected_at,
    )


def customer_story(
    session: Session,
    customer_id: int,
    *,
    warranty_months: int,
    now: datetime | None = None,
    exclude_ticket_id: int | None = None,
    limits: StoryLimits = PAGE_LIMITS,
) -> CustomerStoryRead:
    """The story of one customer; ``exclude_ticket_id`` leaves out the ticket being looked at.

    Raises ``NotFound`` for an id nobody has.
    """
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    today = (now or utcnow()).date()
    erased = customer.erased_at is not None
    tickets = select(func.count()).select_from(Ticket).where(Ticket.requester_id == customer_id)
    if exclude_ticket_id is not None:
        tickets = tickets.where(Ticket.id != exclude_ticket_id)
    surveys = limits.surveys
    return CustomerStoryRead(
        id=customer.id,
        erased=erased,
        erased_at=customer.erased_at,
        name=None if erased else customer.name,
        email=None if erased else customer.email,
        language=customer.language,
        customer_since=customer.created_at,
        consent_marketing=customer.consent_marketing,
        consent_surveys=customer.consent_surveys,
        purchases=_purchases(session, customer_id, limits.purchases, today=today, warranty_months=warranty_months),
        purchase_count=_count(
            session, select(func.count()).select_from(Purchase).where(Purchase.customer_id == customer_id)
        ),
        tickets=_tickets(session, customer_id, exclude_ticket_id, limits.tickets),
        ticket_count=_count(session, tickets),
        open_ticket_count=_count(session, tickets.where(Ticket.status.in_(UNSOLVED))),
        last_csat=_last_score(session, customer_id, SurveyKind.CSAT),
        last_nps=_last_score(session, customer_id, SurveyKind.NPS),
        surveys=[_score_read(row) for row in session.scalars(_answers(customer_id).limit(surveys))]
        if surveys > 0
        else [],
        programmes=_programmes(session, customer_id, limits.programmes),
        tips=_tips(session, customer_id, limits.tips),
        tips_sent=_count(
            session, select(func.count()).select_from(TipDelivery).where(TipDelivery.customer_id == customer_id)
        ),
        lapsed=_lapse(session, customer_id),
    )
