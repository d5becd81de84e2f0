"""Segments: customers chosen by language, what they bought, how often and how lately, and consent.

Membership is computed live from purchases (never stored), so a count is always today's. A
broadcast goes to the segment's members who consented to marketing, in batches, recording one
delivery row per (broadcast, customer) so that a re-run or a crash mid-way never sends twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from accounts.models import Customer, User
from aftercare.db import utcnow
from aftercare.errors import Conflict, NotFound
from aftercare.pagination import count_rows
from aftersales.emails import broadcast_email
from aftersales.models import (
    Broadcast,
    BroadcastDelivery,
    BroadcastStatus,
    ProductTag,
    Purchase,
    Segment,
)
from aftersales.schemas import BroadcastCreate, SegmentCreate, SegmentFilters
from helpdesk.email.models import EmailKind
from helpdesk.email.outbox import enqueue_email

BROADCAST_BATCH_SIZE = 1000


def broadcast_dedupe_key(broadcast_id: int, customer_id: int) -> str:
    return f"broadcast:{broadcast_id}:customer:{customer_id}"


def members_query(filters: SegmentFilters, *, now: datetime | None = None) -> Select[tuple[int]]:
    """``SELECT customers.id`` of everyone matching the filters (AND of every condition given)."""
    now = now or utcnow()
    query = select(Customer.id)
    if filters.languages:
        query = query.where(func.lower(Customer.language).in_(filters.languages))
    if filters.consent_marketing is not None:
        query = query.where(Customer.consent_marketing == filters.consent_marketing)
    if filters.consent_surveys is not None:
        query = query.where(Customer.consent_surveys == filters.consent_surveys)
    if filters.product_ids or filters.product_tags:
        bought = []
        if filters.product_ids:
            bought.append(Purchase.product_id.in_(filters.product_ids))
        if filters.product_tags:
            bought.append(
                Purchase.product_id.in_(select(ProductTag.product_id).where(ProductTag.tag.in_(filters.product_tags)))
            )
        query = query.where(exists().where(Purchase.customer_id == Customer.id, or_(*bought)))
    needs_stats = any(
        value is not None
        for value in (
            filters.min_purchases,
            filters.max_purchases,
            filters.min_days_since_last_purchase,
            filters.max_days_since_last_purchase,
        )
    )
    if needs_stats:
        stats = (
            select(
                Purchase.customer_id.label("customer_id"),
                func.count(Purchase.id).label("purchases"),
                func.max(Purchase.purchased_at).label("last_purchase_at"),
            )
            .group_by(Purchase.customer_id)
            .subquery()
        )
        query = query.outerjoin(stats, stats.c.customer_id == Customer.id)
        purchases = func.coalesce(stats.c.purchases, 0)
        if filters.min_purchases is not None:
            query = query.where(purchases >= filters.min_purchases)
        if filters.max_purchases is not None:
            query = query.where(purchases <= filters.max_purchases)
        # "Days since the last purchase" only means something for people who bought.
        if filters.min_days_since_last_purchase is not None:
            query = query.where(stats.c.last_purchase_at <= now - timedelta(days=filters.min_days_since_last_purchase))
        if filters.max_days_since_last_purchase is not None:
            query = query.where(stats.c.last_purchase_at >= now - timedelta(days=filters.max_days_since_last_purchase))
    return query


def count_members(session: Session, filters: SegmentFilters, *, now: datetime | None = None) -> int:
    return count_rows(session, members_query(filters, now=now))


def sample_members(session: Session, filters: SegmentFilters, *, limit: int = 20) -> list[Customer]:
    ids = members_query(filters).order_by(Customer.id).limit(limit)
    return list(session.scalars(select(Customer).where(Customer.id.in_(ids)).order_by(Customer.id)))


def segment_filters(segment: Segment) -> SegmentFilters:
    return SegmentFilters.model_validate(segment.filters or {})


def create_segment(session: Session, data: SegmentCreate) -> Segment:
    if session.scalar(select(Segment.id).where(Segment.name == data.name)) is not None:
        raise Conflict(f"a segment named {data.name!r} already exists")
    segment = Segment(name=data.name, filters=data.filters.model_dump(mode="json"))
    session.add(segment)
    session.flush()
    return segment


def list_segments(session: Session) -> list[Segment]:
    return list(session.scalars(select(Segment).order_by(Segment.name)))


def get_segment(session: Session, segment_id: int) -> Segment:
    segment = session.get(Segment, segment_id)
    if segment is None:
        raise NotFound(f"segment {segment_id} not found")
    return segment


# --- broadcasts -----------------------------------------------------------------------------------


def create_broadcast(session: Session, segment: Segment, data: BroadcastCreate, *, author: User | None) -> Broadcast:
    """Queue a broadcast; the worker sends it out in batches (see ``send_broadcast_batch``)."""
    broadcast = Broadcast(
        segment=segment, subject=data.subject, body=data.body, created_by_id=author.id if author else None
    )
    session.add(broadcast)
    session.flush()
    return broadcast


def list_broadcasts(session: Session, segment: Segment | None = None) -> list[Broadcast]:
    query = select(Broadcast).order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
    if segment is not None:
        query = query.where(Broadcast.segment_id == segment.id)
    return list(session.scalars(query))


def broadcast_counts(session: Session, broadcast: Broadcast) -> tuple[int, int]:
    """(handed to the outbox, declined by it), counted from delivery rows."""
    rows = session.execute(
        select(BroadcastDelivery.outbox_message_id.is_not(None), func.count())
        .where(BroadcastDelivery.broadcast_id == broadcast.id)
        .group_by(BroadcastDelivery.outbox_message_id.is_not(None))
    ).all()
    counts = {bool(flag): count for flag, count in rows}
    return counts.get(True, 0), counts.get(False, 0)


def _pending_recipients(broadcast: Broadcast, filters: SegmentFilters, limit: int) -> Select[tuple[int]]:
    # Marketing needs consent whatever the segment says; checking here spares the outbox the refusals.
    members = members_query(filters.model_copy(update={"consent_marketing": True}))
    done = select(BroadcastDelivery.customer_id).where(BroadcastDelivery.broadcast_id == broadcast.id)
    return members.where(Customer.id.not_in(done)).order_by(Customer.id).limit(limit)


def send_broadcast_batch(
    session: Session, broadcast: Broadcast, *, batch_size: int = BROADCAST_BATCH_SIZE, now: datetime | None = None
) -> int:
    """Enqueue the next batch of a queued broadcast; marks it sent when nobody is left. Returns the batch size."""
    if broadcast.status != BroadcastStatus.QUEUED:
        return 0
    now = now or utcnow()
    filters = segment_filters(broadcast.segment)
    ids = list(session.scalars(_pending_recipients(broadcast, filters, batch_size)))
    customers = session.scalars(select(Customer).where(Customer.id.in_(ids)).order_by(Customer.id)).all()
    for customer in customers:
        content = broadcast_email(broadcast, customer)
        message = enqueue_email(
            session,
            to=customer.email,
            subject=content.subject,
            text=content.text,
            html=content.html,
            kind=EmailKind.MARKETING,
            dedupe_key=broadcast_dedupe_key(broadcast.id, customer.id),
            customer_id=customer.id,
            language=content.language,
            now=now,
        )
        session.add(
            BroadcastDelivery(
                broadcast_id=broadcast.id,
                customer_id=customer.id,
                outbox_message_id=message.id if message is not None else None,
                created_at=now,
            )
        )
    if len(ids) < batch_size:
        broadcast.status = BroadcastStatus.SENT
        broadcast.sent_at = now
    session.flush()
    return len(ids)


def queued_broadcasts(session: Session) -> list[Broadcast]:
    return list(
        session.scalars(select(Broadcast).where(Broadcast.status == BroadcastStatus.QUEUED).order_by(Broadcast.id))
    )
