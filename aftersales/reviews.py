"""Review invitations: NPS promoters are asked to review the product on the shop's review page.

- Admins set a review destination per product (an http(s) URL; ``review_destinations``).
- A promoter (NPS 9-10), once they have answered the survey about a product with a destination,
  gets one invitation e-mail for that product, ever: ``review_invitations`` is unique per
  (customer, product), and so is the outbox key. Passives and detractors never get one (a
  detractor gets the follow-up ticket, ``aftersales.surveys``). Every promoter is invited alike:
  the wording never asks only happy customers to review.
- The invitation is survey mail (``EmailKind.SURVEY``): it answers the survey the customer took,
  and their survey consent and unsubscribe choices apply.
- Its link is signed and names the invitation; following it records ``clicked_at`` (the first
  time) and redirects (302) to the destination stored for the product, never to a URL from the
  request, so the route can't serve as an open redirect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aftercare.config import get_settings
from aftercare.db import utcnow
from aftercare.errors import NotFound
from aftersales.lifecycle_emails import review_email
from aftersales.lifecycle_models import ReviewDestination, ReviewInvitation
from aftersales.lifecycle_schemas import ReviewDestinationSet
from aftersales.models import Product, SurveyInvitation, SurveyKind, SurveyResponse
from aftersales.tips import customer_language
from helpdesk.email.models import EmailKind
from helpdesk.email.outbox import enqueue_email

_SALT = "aftercare.review-link"
PROMOTER_MIN_SCORE = 9


# --- destinations -----------------------------------------------------------------------------------


def destination_for(session: Session, product_id: int) -> ReviewDestination | None:
    return session.scalar(select(ReviewDestination).where(ReviewDestination.product_id == product_id))


def set_destination(session: Session, product: Product, data: ReviewDestinationSet) -> ReviewDestination:
    row = destination_for(session, product.id)
    if row is None:
        row = ReviewDestination(product_id=product.id, url=data.url)
        session.add(row)
    row.url = data.url
    session.flush()
    return row


def remove_destination(session: Session, product: Product) -> None:
    row = destination_for(session, product.id)
    if row is not None:
        session.delete(row)
        session.flush()


@dataclass(frozen=True)
class DestinationStats:
    product: Product
    url: str | None
    sent: int
    clicked: int


def destination_stats(session: Session) -> list[DestinationStats]:
    """Every product with its destination and invitations sent and clicked (counted from rows)."""
    urls = dict(session.execute(select(ReviewDestination.product_id, ReviewDestination.url)).all())
    counts = {
        product_id: (sent, clicked or 0)
        for product_id, sent, clicked in session.execute(
            select(
                ReviewInvitation.product_id,
                func.count(),
                func.count(ReviewInvitation.clicked_at),
            ).group_by(ReviewInvitation.product_id)
        )
    }
    products = session.scalars(select(Product).order_by(Product.name, Product.id))
    return [DestinationStats(p, urls.get(p.id), *counts.get(p.id, (0, 0))) for p in products]


# --- invitations ------------------------------------------------------------------------------------


def review_token(invitation: ReviewInvitation) -> str:
    return URLSafeSerializer(get_settings().secret_key, salt=_SALT).dumps([invitation.id, invitation.customer_id])


def review_link(invitation: ReviewInvitation) -> str:
    return f"{get_settings().base_url}/r/{review_token(invitation)}"


def review_dedupe_key(customer_id: int, product_id: int) -> str:
    return f"review:customer:{customer_id}:product:{product_id}"


def invite_promoter(
    session: Session, invitation: SurveyInvitation, response: SurveyResponse, *, now: datetime | None = None
) -> ReviewInvitation | None:
    """After an NPS answer: the review invitation for a promoter, once per product; else None."""
    if invitation.kind != SurveyKind.NPS or response.score < PROMOTER_MIN_SCORE or invitation.product_id is None:
        return None
    destination = destination_for(session, invitation.product_id)
    if destination is None:
        return None
    customer_id, product_id = invitation.customer_id, invitation.product_id
    already = session.scalar(
        select(ReviewInvitation.id).where(
            ReviewInvitation.customer_id == customer_id, ReviewInvitation.product_id == product_id
        )
    )
    if already is not None:
        return None
    now = now or utcnow()
    customer = invitation.customer
    row = ReviewInvitation(
        customer_id=customer_id,
        product_id=product_id,
        survey_response_id=response.id,
        language=customer_language(customer),
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None  # a concurrent answer invited them first: one invitation is what we want
    product = session.get(Product, product_id)
    assert product is not None
    content = review_email(customer, product, review_link(row))
    message = enqueue_email(
        session,
        to=customer.email,
        subject=content.subject,
        text=content.text,
        html=content.html,
        kind=EmailKind.SURVEY,
        dedupe_key=review_dedupe_key(customer_id, product_id),
        customer_id=customer_id,
        language=content.language,
        now=now,
    )
    if message is None:
        # Declined (consent withdrawn, suppressed): no invitation, so a later promoter answer may try again.
        session.delete(row)
        session.flush()
        return None
    row.language = content.language
    row.outbox_message_id = message.id
    session.flush()
    return row


def invitation_from_token(session: Session, token: str) -> ReviewInvitation:
    try:
        invitation_id, customer_id = URLSafeSerializer(get_settings().secret_key, salt=_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise NotFound("this link is not valid") from None
    row = session.get(ReviewInvitation, invitation_id) if isinstance(invitation_id, int) else None
    if row is None or row.customer_id != customer_id:
        raise NotFound("this link is not valid")
    return row


def follow_link(session: Session, token: str, *, now: datetime | None = None) -> str:
    """Record the click (the first one) and return where to send the customer."""
    row = invitation_from_token(session, token)
    if row.clicked_at is None:
        row.clicked_at = now or utcnow()
        session.flush()
    destination = destination_for(session, row.product_id)
    if destination is None:
        return get_settings().base_url + "/"
    return destination.url
