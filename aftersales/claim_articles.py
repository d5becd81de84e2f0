"""The troubleshooting articles a claim form shows first: those for the product, in the customer's language.

Articles tie to products by product tags (as tips do, ``aftersales.tips``). Among the product's
published troubleshooting and FAQ articles, the order is the knowledge base's search
(``kb.search.service.search``, the one the contact form uses) for the product's name and tags in
the customer's language; articles the search did not rank follow, oldest first. A search that
cannot run (no index yet) still leaves the product's articles, so the step never blocks a claim.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from aftercare.errors import DomainError
from aftersales.models import Product
from aftersales.tips import candidate_articles, published_content
from kb.models import ArticleKind
from kb.search import service as search_service
from kb.search.models import SearchSource

logger = logging.getLogger(__name__)

CLAIM_ARTICLE_KINDS = (ArticleKind.TROUBLESHOOTING, ArticleKind.FAQ)
SHOWN = 3


@dataclass(frozen=True)
class ClaimArticle:
    article_id: int
    slug: str
    title: str
    locale: str


def _search_order(session: Session, product: Product, language: str) -> list[int]:
    query = search_service.compose_query(product.name, " ".join(product.tags))
    try:
        # Savepoint: a failing search must not poison the page's transaction.
        with session.begin_nested():
            outcome = search_service.search(
                session, query, language=language, limit=20, types="article", source=SearchSource.CONTACT, log=False
            )
    except (DomainError, RuntimeError, LookupError, OSError) as error:
        logger.warning("claim articles: search failed for product %s: %s", product.id, error)
        return []
    return [hit.article_id for hit in outcome.results if hit.article_id is not None]


def articles_for_claim(session: Session, product: Product, language: str, *, limit: int = SHOWN) -> list[ClaimArticle]:
    if not product.tags:
        return []
    candidates = {article.id: article for article in candidate_articles(session, product.tags, CLAIM_ARTICLE_KINDS)}
    if not candidates:
        return []
    ranked = [article_id for article_id in _search_order(session, product, language) if article_id in candidates]
    ordered = list(dict.fromkeys(ranked + sorted(candidates)))
    shown: list[ClaimArticle] = []
    for article_id in ordered:
        article = candidates[article_id]
        content = published_content(article, language)
        if content is None:
            continue
        shown.append(ClaimArticle(article_id=article.id, slug=article.slug, title=content.title, locale=content.locale))
        if len(shown) == limit:
            break
    return shown
