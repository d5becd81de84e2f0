"""What a customer owns, told to the knowledge base's suggested replies (importing this registers it).

Suggestions (``kb.search.suggestions``) boost articles tagged with a product the ticket's requester
bought; the knowledge base sits below aftersales and may not import it, so aftersales hands it
this function at start-up (``web.app``), as subscribers are registered.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.models import Product, ProductTag, Purchase
from kb.search.owned_products import provide_owned_products


def owned_product_tags(session: Session, customer_id: int) -> dict[str, str]:
    """{product tag: product name} over the customer's purchases (the first product by name per tag)."""
    owned: dict[str, str] = {}
    for tag, name in session.execute(
        select(ProductTag.tag, Product.name)
        .join(Product, Product.id == ProductTag.product_id)
        .where(Product.id.in_(select(Purchase.product_id).where(Purchase.customer_id == customer_id)))
        .order_by(ProductTag.tag, Product.name)
    ):
        owned.setdefault(tag, name)
    return owned


provide_owned_products(owned_product_tags)
