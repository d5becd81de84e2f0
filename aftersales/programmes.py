"""Tip series: programmes and their steps, enrolment, and the daily scheduling pass.

A purchase-triggered programme enrols each buyer of a product carrying its tag once (anchor: the
purchase); a manual programme enrols whom an admin chooses (anchor: that moment). A step is due
``day_offset`` days after the anchor and stays due for ``LATE_WINDOW_DAYS``: a pass that did not
run for a few days catches up, while an import of last year's orders sends nothing.

No customer ever gets the same step twice: ``tip_deliveries`` is unique per (customer, step) and
the outbox's dedupe key is per (customer, step) too, both written in the pass's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, joinedload

from accounts.models import Customer
from aftercare.config import get_settings
from aftercare.db import utcnow
from aftercare.errors import Conflict, NotFound, ValidationFailed
from aftersales.emails import tip_email
from aftersales.models import (
    EnrolmentSource,
    Product,
    ProductTag,
    Programme,
    ProgrammeEnrolment,
    ProgrammeStep,
    ProgrammeTrigger,
    Purchase,
    TipDelivery,
)
from aftersales.schemas import (
    EnrolResult,
    ProgrammeCreate,
    SchedulingSummary,
)
from aftersales.tips import select_tip_article
from aftersales.tracking import tracking_urls
from helpdesk.email.models import EmailKind
from helpdesk.email.outbox import enqueue_email

LATE_WINDOW_DAYS = 7
# A customer whose steps fall due together (a pass that did not run for days, a purchase anchored
# in the past) gets them a day apart, not in one burst; the late window leaves room for that.
MIN_HOURS_BETWEEN_TIPS = 20
BATCH_SIZE = 500
# Proactive tips are marketing mail: they need consent and count towards the frequency cap.
TIP_EMAIL_KIND = EmailKind.MARKETING


def tip_dedupe_key(customer_id: int, step_id: int) -> str:
    return f"tip:customer:{customer_id}:step:{step_id}"


# --- programmes -----------------------------------------------------------------------------------


def _check_programme(data: ProgrammeCreate) -> None:
    if data.trigger == ProgrammeTrigger.PURCHASE and not data.product_tag:
        raise ValidationFailed("a purchase-triggered programme needs the product tag that starts it")
    seen = set()
    for step in data.steps:
        key = (step.day_offset, step.kind)
        if key in seen:
            raise ValidationFailed(f"two {step.kind} steps on day {step.day_offset}")
        seen.add(key)


def create_programme(session: Session, data: ProgrammeCreate) -> Programme:
    _check_programme(data)
    if session.scalar(select(Programme.id).where(Programme.name == data.name)) is not None:
        raise Conflict(f"a programme named {data.name!r} already exists")
    programme = Programme(
        name=data.name,
        trigger=data.trigger,
        product_tag=data.product_tag if data.trigger == ProgrammeTrigger.PURCHASE else None,
        is_active=data.is_active,
        steps=[ProgrammeStep(day_offset=s.day_offset, kind=s.kind, article_tag=s.article_tag) for s in data.steps],
    )
    session.add(programme)
    session.flush()
    return programme


def list_programmes(session: Session) -> list[Programme]:
    return list(session.scalars(select(Programme).order_by(Programme.name)))


def get_programme(session: Session, programme_id: int) -> Programme:
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise NotFound(f"programme {programme_id} not found")
    return programme


def set_programme_active(session: Session, programme: Programme, active: bool) -> Programme:
    programme.is_active = active
    session.flush()
    return programme


def programme_stats(session: Session, programme: Programme) -> dict[int, int]:
    """Tips handed to the outbox per step id, counted from delivery rows."""
    rows = session.execute(
        select(TipDelivery.step_id, func.count())
        .join(ProgrammeStep, ProgrammeStep.id == TipDelivery.step_id)
        .where(ProgrammeStep.programme_id == programme.id)
        .group_by(TipDelivery.step_id)
    )
    return {step_id: count for step_id, count in rows}


def enrolment_count(session: Session, programme: Programme) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(ProgrammeEnrolment).where(ProgrammeEnrolment.programme_id == programme.id)
        )
        or 0
    )


# --- enrolment ------------------------------------------------------------------------------------


def _longest_window(programme: Programme) -> timedelta:
    last = max((s.day_offset for s in programme.steps), default=0)
    return timedelta(days=last + LATE_WINDOW_DAYS)


def enrol_recent_buyers(session: Session, programme: Programme, *, now: datetime) -> int:
    """Enrol buyers of the programme's tagged products whose purchase can still have a due step."""
    if programme.trigger != ProgrammeTrigger.PURCHASE or not programme.product_tag or not programme.steps:
        return 0
    since = now - _longest_window(programme)
    tagged = select(ProductTag.product_id).where(ProductTag.tag == programme.product_tag)
    enrolled = exists().where(
        ProgrammeEnrolment.programme_id == programme.id, ProgrammeEnrolment.customer_id == Purchase.customer_id
    )
    rows = session.execute(
        select(Purchase.id, Purchase.customer_id, Purchase.product_id, Purchase.purchased_at)
        .where(
            Purchase.product_id.in_(tagged),
            Purchase.purchased_at > since,
            Purchase.purchased_at <= now,
            ~enrolled,
        )
        .order_by(Purchase.customer_id, Purchase.purchased_at, Purchase.id)
    ).all()
    first_per_customer: dict[int, tuple[int, int, datetime]] = {}
    for purchase_id, customer_id, product_id, purchased_at in rows:
        first_per_customer.setdefault(customer_id, (purchase_id, product_id, purchased_at))
    session.add_all(
        ProgrammeEnrolment(
            programme_id=programme.id,
            customer_id=customer_id,
            purchase_id=purchase_id,
            product_id=product_id,
            source=EnrolmentSource.PURCHASE,
            anchor_at=purchased_at,
        )
        for customer_id, (purchase_id, product_id, purchased_at) in first_per_customer.items()
    )
    session.flush()
    return len(first_per_customer)


def enrol_customers(
    session: Session,
    programme: Programme,
    customer_ids: list[int],
    *,
    product_id: int | None = None,
    now: datetime | None = None,
) -> EnrolResult:
    """An admin starts a programme for chosen customers (for example lapsed buyers); day 0 is now."""
    now = now or utcnow()
    if not programme.is_active:
        raise ValidationFailed(f"programme {programme.name!r} is not active")
    if product_id is not None and session.get(Product, product_id) is None:
        raise NotFound(f"product {product_id} not found")
    wanted = sorted(set(customer_ids))
    known = set(session.scalars(select(Customer.id).where(Customer.id.in_(wanted))))
    missing = [cid for cid in wanted if cid not in known]
    if missing:
        raise NotFound(f"customer(s) not found: {', '.join(map(str, missing[:10]))}")
    already = set(
        session.scalars(
            select(ProgrammeEnrolment.customer_id).where(
                ProgrammeEnrolment.programme_id == programme.id, ProgrammeEnrolment.customer_id.in_(wanted)
            )
        )
    )
    new_ids = [cid for cid in wanted if cid not in already]
    last_products = _last_products(session, new_ids) if product_id is None else {}
    session.add_all(
        ProgrammeEnrolment(
            programme_id=programme.id,
            customer_id=cid,
            product_id=product_id or last_products.get(cid),
            source=EnrolmentSource.ADMIN,
            anchor_at=now,
        )
        for cid in new_ids
    )
    session.flush()
    return EnrolResult(enrolled=len(new_ids), already_enrolled=len(already))


def _last_products(session: Session, customer_ids: list[int]) -> dict[int, int]:
    """Each customer's most recently bought product: what a manual programme's tips are about."""
    if not customer_ids:
        return {}
    latest: dict[int, int] = {}
    rows = session.execute(
        select(Purchase.customer_id, Purchase.product_id)
        .where(Purchase.customer_id.in_(customer_ids))
        .order_by(Purchase.customer_id, Purchase.purchased_at.desc(), Purchase.id.desc())
    )
    for customer_id, product_id in rows:
        latest.setdefault(customer_id, product_id)
    return latest


# --- the scheduling pass --------------------------------------------------------------------------


@dataclass(frozen=True)
class DueStep:
    enrolment: ProgrammeEnrolment
    step: ProgrammeStep


def find_due_steps(session: Session, *, now: datetime) -> list[DueStep]:
    """Every (enrolment, step) whose day has come, within its late window, not yet delivered."""
    due: list[DueStep] = []
    programmes = session.scalars(select(Programme).where(Programme.is_active)).all()
    for programme in programmes:
        for step in programme.steps:
            newest = now - timedelta(days=step.day_offset)
            oldest = newest - timedelta(days=LATE_WINDOW_DAYS)
            delivered = exists().where(
                and_(TipDelivery.customer_id == ProgrammeEnrolment.customer_id, TipDelivery.step_id == step.id)
            )
            enrolments = session.scalars(
                select(ProgrammeEnrolment)
                .options(joinedload(ProgrammeEnrolment.customer), joinedload(ProgrammeEnrolment.product))
                .join(Customer, Customer.id == ProgrammeEnrolment.customer_id)
                .where(
                    ProgrammeEnrolment.programme_id == programme.id,
                    # Tips are marketing mail: without consent the outbox would refuse them anyway.
                    Customer.consent_marketing.is_(True),
                    ProgrammeEnrolment.anchor_at > oldest,
                    ProgrammeEnrolment.anchor_at <= newest,
                    ~delivered,
                )
                .order_by(ProgrammeEnrolment.id)
            ).all()
            due.extend(DueStep(enrolment, step) for enrolment in enrolments)
    return due


def _recently_tipped(session: Session, customer_ids: list[int], since: datetime) -> set[int]:
    return set(
        session.scalars(
            select(TipDelivery.customer_id).where(
                TipDelivery.customer_id.in_(customer_ids), TipDelivery.created_at > since
            )
        )
    )


def _sent_articles(session: Session, customer_ids: list[int]) -> dict[int, set[int]]:
    """Articles each customer has already been sent, derived from delivery rows."""
    sent: dict[int, set[int]] = defaultdict(set)
    rows = session.execute(
        select(TipDelivery.customer_id, TipDelivery.article_id).where(
            TipDelivery.customer_id.in_(customer_ids), TipDelivery.article_id.is_not(None)
        )
    )
    for customer_id, article_id in rows:
        sent[customer_id].add(article_id)
    return sent


def deliver_due_steps(session: Session, due: list[DueStep], *, now: datetime) -> SchedulingSummary:
    """Hand each due step to the outbox with its (customer, step) dedupe key; record what was sent.

    A step the outbox declines (suppressed, no consent, frequency cap) or with no article left is
    not recorded, so the next pass tries again while the step is still inside its late window.
    """
    track = get_settings().email_tracking
    enqueued = declined = no_article = deferred = 0
    articles: dict = {}
    # Earliest step first, so that a customer with several due steps gets them in order.
    due = sorted(due, key=lambda item: (item.enrolment.customer_id, item.step.day_offset, item.step.id))
    for start in range(0, len(due), BATCH_SIZE):
        batch = due[start : start + BATCH_SIZE]
        customer_ids = sorted({item.enrolment.customer_id for item in batch})
        sent = _sent_articles(session, customer_ids)
        busy = _recently_tipped(session, customer_ids, now - timedelta(hours=MIN_HOURS_BETWEEN_TIPS))
        for item in batch:
            customer, product = item.enrolment.customer, item.enrolment.product
            if customer.id in busy:
                deferred += 1
                continue
            choice = select_tip_article(session, customer, product, item.step, sent[customer.id], cache=articles)
            if choice is None or product is None:
                no_article += 1
                continue
            tracking = tracking_urls(customer.id, item.step.id) if track else None
            content = tip_email(customer, product, item.step, choice, tracking=tracking)
            message = enqueue_email(
                session,
                to=customer.email,
                subject=content.subject,
                text=content.text,
                html=content.html,
                kind=TIP_EMAIL_KIND,
                dedupe_key=tip_dedupe_key(customer.id, item.step.id),
                customer_id=customer.id,
                language=content.language,
                now=now,
            )
            if message is None:
                declined += 1
                continue
            session.add(
                TipDelivery(
                    customer_id=customer.id,
                    step_id=item.step.id,
                    enrolment_id=item.enrolment.id,
                    article_id=choice.article.id,
                    language=choice.language,
                    outbox_message_id=message.id,
                    created_at=now,
                )
            )
            sent[customer.id].add(choice.article.id)
            busy.add(customer.id)
            enqueued += 1
        session.flush()
    return SchedulingSummary(
        enrolled=0,
        due=len(due),
        enqueued=enqueued,
        declined=declined,
        no_article=no_article,
        deferred=deferred,
    )


def run_scheduling_pass(session: Session, *, now: datetime | None = None) -> SchedulingSummary:
    """The daily pass: enrol recent buyers, then enqueue every due step. Re-running adds nothing."""
    now = now or utcnow()
    enrolled = sum(
        enrol_recent_buyers(session, programme, now=now)
        for programme in session.scalars(select(Programme).where(Programme.is_active)).all()
    )
    summary = deliver_due_steps(session, find_due_steps(session, now=now), now=now)
    return summary.model_copy(update={"enrolled": enrolled})
