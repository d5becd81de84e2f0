"""Claims reports: claims by product and by reason, time to resolve, share out of their window.

Every figure counts claims opened in ``[since, until)``. Time to resolve runs from opening to the
first outcome (rejected, repaired, replaced, refunded); the median is taken over resolved claims
only, so open ones do not pull it down.
"""

from __future__ import annotations

from datetime import datetime
from statistics import median

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from aftersales.claim_models import Claim
from aftersales.claim_schemas import ClaimCountRow, ClaimSummary
from aftersales.models import Product

_OUT = func.sum(case((Claim.eligible.is_(False), 1), else_=0))


def _in_period(since: datetime, until: datetime):
    return (Claim.created_at >= since, Claim.created_at < until)


def claims_by_product(session: Session, *, since: datetime, until: datetime) -> list[ClaimCountRow]:
    rows = session.execute(
        select(Product.name, func.count(Claim.id), _OUT)
        .join(Product, Product.id == Claim.product_id)
        .where(*_in_period(since, until))
        .group_by(Product.id, Product.name)
        .order_by(func.count(Claim.id).desc(), Product.name)
    )
    return [ClaimCountRow(group=name, claims=count, out_of_window=out or 0) for name, count, out in rows]


def claims_by_reason(session: Session, *, since: datetime, until: datetime) -> list[ClaimCountRow]:
    rows = session.execute(
        select(Claim.reason, func.count(Claim.id), _OUT)
        .where(*_in_period(since, until))
        .group_by(Claim.reason)
        .order_by(func.count(Claim.id).desc(), Claim.reason)
    )
    return [ClaimCountRow(group=str(reason), claims=count, out_of_window=out or 0) for reason, count, out in rows]


def claims_summary(session: Session, *, since: datetime, until: datetime) -> ClaimSummary:
    total, out = session.execute(select(func.count(Claim.id), _OUT).where(*_in_period(since, until))).one()
    spans = session.execute(
        select(Claim.created_at, Claim.resolved_at).where(*_in_period(since, until), Claim.resolved_at.is_not(None))
    ).all()
    hours = [(resolved - opened).total_seconds() / 3600 for opened, resolved in spans]
    return ClaimSummary(
        claims=total,
        resolved=len(hours),
        median_hours_to_resolve=round(median(hours), 1) if hours else None,
        out_of_window_share=round(100 * (out or 0) / total, 1) if total else None,
    )
