"""Builders for knowledge-base test data: ``create_article(session, **overrides)`` and friends."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb import service, translations
from kb.models import Article, ArticleContent, SearchIndexChange
from kb.schemas import ArticleCreate, TranslationCreate

_counter = itertools.count(1)


def create_article(session: Session, **overrides: Any) -> Article:
    values: dict[str, Any] = {
        "title": f"Reconnect the Nimbus thermostat to Wi-Fi {next(_counter)}",
        "body": "## Steps\n\n1. Open the app.\n2. Tap **Settings > Wi-Fi**.\n3. Choose your network.",
        "kind": "troubleshooting",
        "locale": "en",
        "products": ["nimbus"],
        "tags": ["wifi"],
        "questions": ["Why does my thermostat keep going offline?", "How do I change the Wi-Fi network?"],
    }
    author = overrides.pop("author", None)
    values.update(overrides)
    return service.create_article(session, ArticleCreate(**values), author=author)


def add_translation(session: Session, article: Article, **overrides: Any) -> ArticleContent:
    values: dict[str, Any] = {
        "locale": "pl",
        "title": "Ponowne łączenie termostatu Nimbus z Wi-Fi",
        "body": "## Kroki\n\n1. Otwórz aplikację.\n2. Wybierz sieć.",
        "questions": ["Dlaczego termostat traci połączenie?"],
    }
    author = overrides.pop("author", None)
    values.update(overrides)
    return translations.add_translation(session, article, TranslationCreate(**values), author=author)


def search_changes(session: Session, article_id: int) -> int:
    """How many search index changes are recorded for this article."""
    return session.scalar(
        select(func.count())
        .select_from(SearchIndexChange)
        .where(SearchIndexChange.entity_type == "article", SearchIndexChange.entity_id == article_id)
    )


def stale_translations(session: Session, article: Article) -> list[ArticleContent]:
    """The translations made from an older source version, as the language coverage marks them."""
    return [content for content, _version, stale in translations.language_coverage(session, article).contents if stale]
