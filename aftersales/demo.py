"""Demo data for after-sales, loaded by ``aftercare demo`` after the help desk and knowledge base.

Products for the demo brands, recent purchases by the demo customers, a tip series per product
(Marta, who writes Polish, gets her Nimbus tip in Polish), a manual win-back series, segments,
half a year of NPS and CSAT answers for the report charts, a detractor whose answer opened a
follow-up ticket, and an Aurora filter subscription that was not renewed (a lapsed buyer).

Idempotent: everything is looked up by its natural key first; a second run adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Customer
from accounts.service import get_or_create_customer
from aftercare.db import utcnow
from aftersales import lapsed, programmes, purchases, segments, surveys
from aftersales.models import (
    Programme,
    ProgrammeTrigger,
    Purchase,
    Segment,
    StepKind,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
)
from aftersales.schemas import (
    ProductUpdate,
    ProgrammeCreate,
    PurchaseCreate,
    SegmentCreate,
    SegmentFilters,
    StepCreate,
    SurveyAnswer,
)
from helpdesk.models import Ticket

# sku, name, tags, renewal days
PRODUCTS = [
    ("NIMBUS-T1", "Nimbus smart thermostat", ["nimbus"], None),
    ("AURORA-V2", "Aurora robot vacuum", ["aurora"], None),
    ("PULSE-E1", "Pulse wireless earbuds", ["pulse"], None),
    ("AURORA-FILTERS", "Aurora filter subscription", ["aurora"], 90),
]
# order id, email, name, language, sku, amount, days ago
PURCHASES = [
    ("DEMO-1001", "marta.wisniewska@example.com", "Marta Wiśniewska", "pl", "NIMBUS-T1", "149.00", 0),
    ("DEMO-1002", "emma.jones@example.com", "Emma Jones", "en", "NIMBUS-T1", "149.00", 16),
    ("DEMO-1003", "liam.murphy@example.com", "Liam Murphy", "en", "AURORA-V2", "399.00", 15),
    ("DEMO-1004", "siti.rahma@example.com", "Siti Rahmawati", "id", "PULSE-E1", "89.00", 2),
    ("DEMO-1005", "somchai.s@example.com", "Somchai Saetang", "th", "PULSE-E1", "89.00", 4),
    ("DEMO-1006", "jose.reyes@example.com", "Jose Reyes", "tl", "NIMBUS-T1", "149.00", 40),
    ("DEMO-1007", "budi.santoso@example.com", "Budi Santoso", "id", "AURORA-V2", "399.00", 300),
    ("DEMO-1008", "piotr.kowalski@example.com", "Piotr Kowalski", "pl", "AURORA-V2", "399.00", 400),
]
# Piotr renewed his filters every quarter, then stopped: the lapsed-buyer list shows him.
SUBSCRIPTION_DAYS_AGO = (390, 300, 210, 120)
SERIES = [
    ("Nimbus: first weeks", "nimbus"),
    ("Aurora: first weeks", "aurora"),
    ("Pulse: first weeks", "pulse"),
]
WINBACK = "Win-back: we miss you"
# Half a year of NPS answers for the charts: (days ago, score, comment).
NPS_HISTORY = [
    (170, 9, ""),
    (165, 6, "Setup took long"),
    (150, 10, ""),
    (140, 8, ""),
    (125, 3, "Too noisy"),
    (118, 9, "Great app"),
    (100, 10, ""),
    (95, 7, ""),
    (80, 9, ""),
    (72, 10, "Love the schedule"),
    (60, 5, "Battery could be better"),
    (50, 9, ""),
    (40, 10, ""),
    (33, 8, ""),
    (25, 9, ""),
    (12, 10, ""),
]
CSAT_HISTORY = [(160, 5), (130, 4), (110, 2), (90, 5), (70, 4), (45, 5), (30, 3), (10, 5)]


def _products(session: Session) -> None:
    for sku, name, tags, renewal in PRODUCTS:
        product = purchases.get_or_create_product(session, sku, name)
        if not product.tags:
            purchases.update_product(session, product, ProductUpdate(tags=tags, renewal_days=renewal))


def _buy(
    session: Session, order_id: str, email: str, name: str, language: str, sku: str, amount: str, days: int
) -> bool:
    if session.scalar(select(Purchase.id).where(Purchase.external_order_id == order_id)) is not None:
        return False
    customer = get_or_create_customer(session, email, name=name, language=language)
    # Demo customers agreed to tips at checkout; real ones come with their shop's consent.
    customer.consent_marketing = True
    purchases.record_purchase(
        session,
        PurchaseCreate(
            external_order_id=order_id,
            customer_email=email,
            customer_name=name,
            customer_language=language,
            sku=sku,
            amount=Decimal(amount),
            currency="EUR",
            purchased_at=utcnow() - timedelta(days=days),
            channel="web",
        ),
        default_channel="web",
    )
    return True


def _programmes(session: Session) -> None:
    for name, tag in SERIES:
        if session.scalar(select(Programme.id).where(Programme.name == name)) is None:
            programmes.create_programme(
                session,
                ProgrammeCreate(
                    name=name,
                    product_tag=tag,
                    steps=[
                        StepCreate(day_offset=0, kind=StepKind.WELCOME),
                        StepCreate(day_offset=3, kind=StepKind.USAGE),
                        StepCreate(day_offset=14, kind=StepKind.TROUBLESHOOTING),
                    ],
                ),
            )
    if session.scalar(select(Programme.id).where(Programme.name == WINBACK)) is None:
        programmes.create_programme(
            session,
            ProgrammeCreate(
                name=WINBACK,
                trigger=ProgrammeTrigger.MANUAL,
                steps=[StepCreate(day_offset=0, kind=StepKind.USAGE)],
            ),
        )


def _segments(session: Session) -> None:
    wanted = [
        ("Polish speakers", SegmentFilters(languages=["pl"])),
        ("Nimbus owners", SegmentFilters(product_tags=["nimbus"])),
        ("Quiet for 90 days", SegmentFilters(min_days_since_last_purchase=90)),
    ]
    for name, filters in wanted:
        if session.scalar(select(Segment.id).where(Segment.name == name)) is None:
            segments.create_segment(session, SegmentCreate(name=name, filters=filters))


def _history(session: Session) -> None:
    """Past answers, as if customers had answered earlier invitations (no mail is sent for them)."""
    now = utcnow()
    products = {p.sku: p for p in purchases.list_products(session)}
    skus = ["NIMBUS-T1", "AURORA-V2", "PULSE-E1"]
    for index, (days, score, comment) in enumerate(NPS_HISTORY):
        customer = get_or_create_customer(
            session,
            f"demo.buyer{index + 1}@example.com",
            name=f"Demo buyer {index + 1}",
            language=["en", "pl", "id", "tl", "th"][index % 5],
        )
        moment = now - timedelta(days=days)
        invitation = SurveyInvitation(
            kind=SurveyKind.NPS,
            customer=customer,
            product=products[skus[index % 3]],
            wave=0,
            language=customer.language or "en",
            created_at=moment,
            closes_at=moment + timedelta(days=14),
        )
        session.add(invitation)
        session.add(
            SurveyResponse(invitation=invitation, score=score, comment=comment, created_at=moment, updated_at=moment)
        )
    requesters = list(session.scalars(select(Customer).join(Ticket, Ticket.requester_id == Customer.id).limit(1)))
    for days, score in CSAT_HISTORY if requesters else []:
        moment = now - timedelta(days=days)
        invitation = SurveyInvitation(
            kind=SurveyKind.CSAT,
            customer=requesters[0],
            language="en",
            created_at=moment,
            closes_at=moment + timedelta(days=14),
        )
        session.add(invitation)
        session.add(SurveyResponse(invitation=invitation, score=score, created_at=moment, updated_at=moment))
    session.flush()


def _detractor(session: Session) -> None:
    """Emma and Liam answer their NPS invitations; Liam's 4 opens a follow-up ticket."""
    surveys.invite_nps(session)
    answers = {
        "emma.jones@example.com": SurveyAnswer(score=9, comment="The schedule saves us money."),
        "liam.murphy@example.com": SurveyAnswer(
            score=4, comment="The vacuum keeps getting stuck under the sofa and the app does not help."
        ),
    }
    for email, answer in answers.items():
        invitation = session.scalar(
            select(SurveyInvitation)
            .join(Customer, Customer.id == SurveyInvitation.customer_id)
            .where(Customer.email == email, SurveyInvitation.kind == SurveyKind.NPS)
        )
        if invitation is not None and invitation.response is None:
            surveys.submit_answer(session, invitation, answer)


def load_demo(session: Session, echo: Callable[[str], None]) -> None:
    """Idempotent: adds only what is missing."""
    _products(session)
    new_orders = sum(_buy(session, *row) for row in PURCHASES)
    for number, days in enumerate(SUBSCRIPTION_DAYS_AGO, start=1):
        new_orders += _buy(
            session,
            f"DEMO-2{number:03d}",
            "piotr.kowalski@example.com",
            "Piotr Kowalski",
            "pl",
            "AURORA-FILTERS",
            "19.90",
            days,
        )
    _programmes(session)
    _segments(session)
    first_run = session.scalar(select(SurveyResponse.id).limit(1)) is None
    if first_run:
        _history(session)
    tips = programmes.run_scheduling_pass(session)
    _detractor(session)
    # Jose's ticket was solved in the demo: his CSAT invitation goes out a few hours later.
    surveys.invite_csat(session)
    overdue = lapsed.scan(session)
    echo(
        f"  after-sales: {new_orders} new purchases, {tips.enqueued} tips queued, {overdue} lapsed buyer(s)"
        f"{', half a year of survey answers' if first_run else ''}; see /admin/programmes and /admin/reports"
    )
