"""Optional open and click tracking of tips (``AFTERCARE_EMAIL_TRACKING``, off by default).

A tip's pixel and link carry a signed (customer, step) pair, which names one delivery. A click
redirects to the delivery's own article, never to a URL taken from the request, so the route
can't serve as an open redirect. Events are unique per (delivery, kind): reports count people.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aftercare.config import get_settings
from aftercare.db import utcnow
from aftersales.models import TipDelivery, TipEvent, TipEventKind
from kb import urls
from kb.models import Article

_SALT = "aftercare.tip-tracking"


def tracking_token(customer_id: int, step_id: int) -> str:
    return URLSafeSerializer(get_settings().secret_key, salt=_SALT).dumps([customer_id, step_id])


def tracking_urls(customer_id: int, step_id: int) -> tuple[str, str]:
    """(pixel URL, click URL) for one tip."""
    base = get_settings().base_url
    token = tracking_token(customer_id, step_id)
    return f"{base}/t/o/{token}.gif", f"{base}/t/c/{token}"


def delivery_for(session: Session, token: str) -> TipDelivery | None:
    try:
        customer_id, step_id = URLSafeSerializer(get_settings().secret_key, salt=_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return session.scalar(
        select(TipDelivery).where(TipDelivery.customer_id == customer_id, TipDelivery.step_id == step_id)
    )


def record_event(session: Session, delivery: TipDelivery, kind: TipEventKind) -> None:
    exists = session.scalar(select(TipEvent.id).where(TipEvent.delivery_id == delivery.id, TipEvent.kind == kind))
    if exists is not None:
        return
    try:
        with session.begin_nested():
            session.add(TipEvent(delivery_id=delivery.id, kind=kind, created_at=utcnow()))
    except IntegrityError:
        pass  # the same event arrived twice at once; one row is what we want


def click_target(session: Session, delivery: TipDelivery) -> str:
    article = session.get(Article, delivery.article_id) if delivery.article_id is not None else None
    if article is None:
        return get_settings().base_url + "/"
    return urls.article_url(get_settings().base_url, article.slug, delivery.language)
