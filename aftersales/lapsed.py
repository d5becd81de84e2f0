"""Lapsed buyers: who, judged by their own purchase history, should have bought again by now.

Two reasons, a subscription first because it is the surer sign:
- subscription not renewed: the customer's last purchase of a product with ``renewal_days`` is
  older than that period plus a grace period, and they did not buy it again;
- overdue: with at least ``min_purchases`` purchase days, the time since the last one is more
  than ``factor`` times their median gap between purchase days (and at least ``min_extra_days``
  beyond it, so that weekly buyers are not flagged after a fortnight).

A scan replaces the stored list (``lapsed_buyers``) and keeps ``detected_at`` for customers still
lapsed, so the list shows since when someone is overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from aftercare.db import utcnow
from aftercare.pagination import window
from aftersales.models import (
    EnrolmentSource,
    LapsedBuyer,
    LapseReason,
    Product,
    ProgrammeEnrolment,
    Purchase,
)


@dataclass(frozen=True)
class LapsePolicy:
    factor: float = 2.0
    min_purchases: int = 3
    min_extra_days: int = 14
    subscription_grace_days: int = 7
    # Someone gone for longer than this is no longer "lapsed", just a past customer.
    forget_after_days: int = 730


DEFAULT_POLICY = LapsePolicy()


@dataclass(frozen=True)
class Finding:
    customer_id: int
    reason: LapseReason
    product_id: int | None
    purchases: int
    last_purchase_at: datetime
    expected_by: datetime
    typical_gap_days: float | None


def judge(
    purchases: list[tuple[int, datetime]],
    renewal_days: dict[int, int],
    *,
    now: datetime,
    policy: LapsePolicy = DEFAULT_POLICY,
    customer_id: int = 0,
) -> Finding | None:
    """Judge one customer from their (product id, purchased at) history, oldest first."""
    if not purchases:
        return None
    last_at = purchases[-1][1]
    if now - last_at > timedelta(days=policy.forget_after_days):
        return None
    last_of_product: dict[int, datetime] = {}
    for product_id, purchased_at in purchases:
        last_of_product[product_id] = purchased_at
    grace = timedelta(days=policy.subscription_grace_days)
    unrenewed = [
        (bought_at + timedelta(days=renewal_days[product_id]), product_id)
        for product_id, bought_at in last_of_product.items()
        if product_id in renewal_days and bought_at + timedelta(days=renewal_days[product_id]) + grace < now
    ]
    days = sorted({purchased_at.date() for _, purchased_at in purchases})
    if unrenewed:
        expected_by, product_id = max(unrenewed)
        if now - expected_by <= timedelta(days=policy.forget_after_days):
            return Finding(
                customer_id,
                LapseReason.SUBSCRIPTION_NOT_RENEWED,
                product_id,
                len(purchases),
                last_at,
                expected_by,
                None,
            )
    if len(days) < policy.min_purchases:
        return None
    gaps = [(later - earlier).days for earlier, later in zip(days, days[1:], strict=False)]
    typical = float(median(gaps))
    allowed = max(typical * policy.factor, typical + policy.min_extra_days)
    if now - last_at <= timedelta(days=allowed):
        return None
    return Finding(
        customer_id,
        LapseReason.OVERDUE,
        None,
        len(purchases),
        last_at,
        last_at + timedelta(days=typical),
        round(typical, 1),
    )


def detect(session: Session, *, now: datetime | None = None, policy: LapsePolicy = DEFAULT_POLICY) -> list[Finding]:
    """Judge every customer who bought within the policy's horizon (one streamed pass over purchases)."""
    now = now or utcnow()
    renewal_days = {
        product_id: days
        for product_id, days in session.execute(
            select(Product.id, Product.renewal_days).where(Product.renewal_days.is_not(None))
        )
    }
    rows = session.execute(
        select(Purchase.customer_id, Purchase.product_id, Purchase.purchased_at)
        .where(Purchase.purchased_at <= now)
        .order_by(Purchase.customer_id, Purchase.purchased_at, Purchase.id)
        .execution_options(yield_per=5000)
    )
    findings: list[Finding] = []
    current: int | None = None
    history: list[tuple[int, datetime]] = []
    for customer_id, product_id, purchased_at in rows:
        if customer_id != current:
            if current is not None and (
                found := judge(history, renewal_days, now=now, policy=policy, customer_id=current)
            ):
                findings.append(found)
            current, history = customer_id, []
        history.append((product_id, purchased_at))
    if current is not None and (found := judge(history, renewal_days, now=now, policy=policy, customer_id=current)):
        findings.append(found)
    return findings


def scan(session: Session, *, now: datetime | None = None, policy: LapsePolicy = DEFAULT_POLICY) -> int:
    """Replace the stored lapsed-buyer list with today's findings; returns how many are lapsed."""
    now = now or utcnow()
    findings = {finding.customer_id: finding for finding in detect(session, now=now, policy=policy)}
    stored = {row.customer_id: row for row in session.scalars(select(LapsedBuyer))}
    for customer_id, row in stored.items():
        if customer_id not in findings:
            session.delete(row)
    for customer_id, finding in findings.items():
        row = stored.get(customer_id)
        if row is None:
            row = LapsedBuyer(customer_id=customer_id, detected_at=now)
            session.add(row)
        elif row.reason != finding.reason:
            row.detected_at = now
        row.reason = finding.reason
        row.product_id = finding.product_id
        row.purchases = finding.purchases
        row.last_purchase_at = finding.last_purchase_at
        row.expected_by = finding.expected_by
        row.typical_gap_days = finding.typical_gap_days
    session.flush()
    return len(findings)


@dataclass(frozen=True)
class LapsedEntry:
    row: LapsedBuyer
    # Names of manual programmes an admin started for this customer since their last purchase.
    contacted: list[str]


def list_lapsed(
    session: Session, *, reason: LapseReason | None = None, limit: int = 200, offset: int = 0
) -> list[LapsedEntry]:
    query = select(LapsedBuyer).options(joinedload(LapsedBuyer.customer), joinedload(LapsedBuyer.product))
    if reason is not None:
        query = query.where(LapsedBuyer.reason == reason)
    query = query.order_by(LapsedBuyer.expected_by.desc(), LapsedBuyer.id)
    rows = list(session.scalars(window(query, offset=offset, limit=limit)))
    contacted: dict[int, list[str]] = {row.customer_id: [] for row in rows}
    if rows:
        enrolments = session.scalars(
            select(ProgrammeEnrolment)
            .options(joinedload(ProgrammeEnrolment.programme))
            .where(
                ProgrammeEnrolment.customer_id.in_(list(contacted)),
                ProgrammeEnrolment.source == EnrolmentSource.ADMIN,
            )
        )
        last_purchase = {row.customer_id: row.last_purchase_at for row in rows}
        for enrolment in enrolments:
            if enrolment.anchor_at >= last_purchase[enrolment.customer_id]:
                contacted[enrolment.customer_id].append(enrolment.programme.name)
    return [LapsedEntry(row, contacted[row.customer_id]) for row in rows]


def count_lapsed(session: Session) -> dict[LapseReason, int]:
    return {
        LapseReason(reason): count
        for reason, count in session.execute(select(LapsedBuyer.reason, func.count()).group_by(LapsedBuyer.reason))
    }
