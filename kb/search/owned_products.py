"""Suggested replies' boost for articles about a product the customer owns (see ``kb.search.suggestions``).

Who owns what is aftersales' knowledge, a layer above the knowledge base: aftersales registers a
provider here at start-up (``aftersales.owned_products``); without one nothing is boosted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.models import ArticleTag, TagKind
from kb.search.service import SearchHit

# An article about a product the customer owns scores this much more (a fifth: enough to win a
# tie or a near tie, not to overturn a clearly better match).
OWNED_PRODUCT_BOOST = 0.2
# Candidates beyond the ones shown that the boost may bring up.
OWNED_PRODUCT_POOL = 3

# (session, customer id) -> {product tag: product name} for the products the customer owns.
OwnedProducts = Callable[[Session, int], dict[str, str]]
_provider: OwnedProducts | None = None


def provide_owned_products(provider: OwnedProducts | None) -> None:
    """Register who owns what (aftersales does, at start-up); None removes it."""
    global _provider
    _provider = provider


def owned_products(session: Session, customer_id: int) -> dict[str, str]:
    """{product tag: product name} of what the customer owns; empty without a provider."""
    return _provider(session, customer_id) if _provider is not None else {}


def _product_tags(session: Session, hits: Sequence[SearchHit]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {}
    for article_id, tag in session.execute(
        select(ArticleTag.article_id, ArticleTag.tag)
        .where(
            ArticleTag.article_id.in_([hit.article_id for hit in hits if hit.article_id is not None]),
            ArticleTag.tag_kind == TagKind.PRODUCT,
        )
        .order_by(ArticleTag.tag)
    ):
        tags.setdefault(article_id, []).append(tag)
    return tags


def owned_names(session: Session, hits: Sequence[SearchHit], owned: dict[str, str]) -> list[str | None]:
    if not owned:
        return [None] * len(hits)
    tags = _product_tags(session, hits)
    return [next((owned[tag] for tag in tags.get(hit.article_id or 0, []) if tag in owned), None) for hit in hits]


def boost_owned(session: Session, hits: Sequence[SearchHit], owned: dict[str, str]) -> list[SearchHit]:
    """The same candidates, re-ranked with the owned-product boost (ties keep the search's order)."""
    names = owned_names(session, hits, owned)
    order = sorted(
        range(len(hits)),
        key=lambda i: (-hits[i].score * (1 + OWNED_PRODUCT_BOOST if names[i] is not None else 1), i),
    )
    return [hits[i] for i in order]
