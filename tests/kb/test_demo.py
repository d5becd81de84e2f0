"""The demo knowledge base: loads through the importer, is rich enough to search, and is idempotent."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from kb import demo, indexing, service
from kb.models import Article
from kb.schemas import ArticleUpdate


@pytest.fixture
def loaded(session):
    messages: list[str] = []
    demo.load_demo(session, messages.append)
    return messages


def demo_articles(session) -> list[Article]:
    return list(session.scalars(select(Article).where(Article.author_id.is_(None))))


def test_demo_has_thirty_published_articles_for_three_products(session, loaded):
    articles = demo_articles(session)
    assert len(articles) >= 30
    assert all(article.status == "published" for article in articles)
    products = Counter(product for article in articles for product in article.products)
    assert all(products[name] >= 8 for name in ("nimbus", "aurora", "pulse"))
    assert {str(article.kind) for article in articles} == {"usage_tip", "troubleshooting", "faq"}


def test_every_demo_text_answers_three_to_six_questions(session, loaded):
    for article in demo_articles(session):
        for content in article.contents:
            assert 3 <= len(content.questions) <= 6, (article.slug, content.locale)


def test_demo_is_translated_into_all_four_languages(session, loaded):
    locales = Counter(c.locale for article in demo_articles(session) for c in article.translations)
    assert sum(locales.values()) >= 8
    assert {"pl", "id", "tl", "th"} <= set(locales)


def test_demo_documents_are_indexable_in_every_language(session, loaded):
    documents = indexing.iter_indexable_documents(session, [a.id for a in demo_articles(session)])
    assert {d.locale for d in documents} == {"en", "pl", "id", "tl", "th"}


def test_loading_twice_adds_nothing(session, loaded):
    before = len(demo_articles(session))
    messages: list[str] = []
    demo.load_demo(session, messages.append)
    assert len(demo_articles(session)) == before
    assert "0 new" in messages[-1]


def test_loading_again_keeps_an_admins_edits(session, loaded):
    article = service.get_article_by_slug(session, "nimbus-factory-reset")
    service.update_article(session, article, ArticleUpdate(title="Reset your Nimbus (edited)"))
    demo.load_demo(session, lambda _message: None)
    assert article.source.title == "Reset your Nimbus (edited)"
