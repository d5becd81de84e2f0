"""Choosing the knowledge-base article a programme step sends: the product's, never one twice.

Articles tie to products by the knowledge base's product tags (an article tagged ``nimbus`` is
about every product carrying the tag ``nimbus``). A step's kind says which kinds of article fit
it; a step may also prefer a topic tag ("getting-started"). The customer gets the translation in
their language when one is published, the source text otherwise.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from accounts.models import Customer
from aftercare.config import get_settings
from aftersales.models import Product, ProgrammeStep, StepKind
from kb.models import (
    Article,
    ArticleContent,
    ArticleKind,
    ArticleStatus,
    ArticleTag,
    TagKind,
)
from retrieval.language import normalize_language_tag

# Best kind first; a step falls back to the later kinds when the product has none of the first.
STEP_ARTICLE_KINDS: dict[StepKind, tuple[ArticleKind, ...]] = {
    StepKind.WELCOME: (ArticleKind.USAGE_TIP, ArticleKind.FAQ),
    StepKind.USAGE: (ArticleKind.USAGE_TIP, ArticleKind.FAQ),
    StepKind.TROUBLESHOOTING: (ArticleKind.TROUBLESHOOTING, ArticleKind.FAQ),
}


@dataclass(frozen=True)
class TipChoice:
    article: Article
    content: ArticleContent

    @property
    def language(self) -> str:
        return self.content.locale


def customer_language(customer: Customer) -> str:
    settings = get_settings()
    return (customer.language or settings.default_language).lower()


def _same_language(locale: str, wanted: str) -> bool:
    code = normalize_language_tag(locale)
    return code is not None and code == normalize_language_tag(wanted)


def published_content(article: Article, language: str) -> ArticleContent | None:
    """The published translation in ``language``, else the published source text."""
    for content in article.contents:
        if content.status == ArticleStatus.PUBLISHED and _same_language(content.locale, language):
            return content
    source = article.content(article.source_locale)
    if source is not None and article.status == ArticleStatus.PUBLISHED:
        return source
    return None


def candidate_articles(session: Session, product_tags: list[str], kinds: tuple[ArticleKind, ...]) -> Sequence[Article]:
    return session.scalars(
        select(Article)
        .where(
            Article.status == ArticleStatus.PUBLISHED,
            Article.kind.in_([str(kind) for kind in kinds]),
            Article.id.in_(
                select(ArticleTag.article_id).where(
                    ArticleTag.tag_kind == TagKind.PRODUCT, ArticleTag.tag.in_(product_tags)
                )
            ),
        )
        .options(selectinload(Article.contents), selectinload(Article.tag_rows))
        .order_by(Article.id)
    ).all()


def select_tip_article(
    session: Session,
    customer: Customer,
    product: Product | None,
    step: ProgrammeStep,
    already_sent_article_ids: Collection[int],
    *,
    cache: dict[tuple[tuple[str, ...], StepKind], Sequence[Article]] | None = None,
) -> TipChoice | None:
    """The best published article for this step, or None when the product has nothing left to send.

    ``cache`` (a dict the caller keeps for one pass) holds each product's candidate articles, so
    a pass over thousands of buyers of the same product queries the knowledge base once per step kind.
    """
    product_tags = product.tags if product is not None else []
    if not product_tags:
        return None
    kinds = STEP_ARTICLE_KINDS[StepKind(step.kind)]
    key = (tuple(sorted(product_tags)), StepKind(step.kind))
    if cache is not None and key in cache:
        candidates = cache[key]
    else:
        candidates = candidate_articles(session, product_tags, kinds)
        if cache is not None:
            cache[key] = candidates
    language = customer_language(customer)
    ranked: list[tuple[tuple[int, int, int, int, int, float, int], TipChoice]] = []
    for article in candidates:
        if article.id in already_sent_article_ids:
            continue
        content = published_content(article, language)
        if content is None:
            continue
        rank = (
            0 if step.article_tag and step.article_tag in article.tags else 1,
            kinds.index(ArticleKind(article.kind)),
            0 if _same_language(content.locale, language) else 1,
            -len(set(article.products) & set(product_tags)),
            # An article about this product alone beats one shared by every product (app basics).
            len(set(article.products) - set(product_tags)),
            # Oldest published first: the basics come before the refinements.
            (article.published_at or article.created_at).timestamp(),
            article.id,
        )
        ranked.append((rank, TipChoice(article, content)))
    if not ranked:
        return None
    return min(ranked, key=lambda item: item[0])[1]
