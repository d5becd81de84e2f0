"""What routing rules and SLA policies may ask about a requester: product tags they own, segments
they are in (importing this registers it with ``helpdesk.operations.conditions``, as
``aftersales.owned_products`` does for suggestions)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Customer
from aftersales.models import Segment
from aftersales.owned_products import owned_product_tags
from aftersales.segments import members_query, segment_filters
from helpdesk.operations.conditions import CustomerFacts, provide_customer_facts


def customer_facts(session: Session, customer_id: int) -> CustomerFacts:
    segments = frozenset(
        segment.id
        for segment in session.scalars(select(Segment).order_by(Segment.id))
        if session.scalar(members_query(segment_filters(segment)).where(Customer.id == customer_id).limit(1))
        is not None
    )
    return CustomerFacts(product_tags=frozenset(owned_product_tags(session, customer_id)), segment_ids=segments)


provide_customer_facts(customer_facts)
