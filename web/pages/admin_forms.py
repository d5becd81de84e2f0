"""Shared pieces of the knowledge studio pages: labels, status actions, form parsing, coverage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from aftercare.config import get_settings
from kb import versions
from kb.models import Article, ArticleKind, ArticleStatus
from web.i18n import N_

STATUS_LABELS = {
    ArticleStatus.DRAFT: N_("Draft"),
    ArticleStatus.IN_REVIEW: N_("In review"),
    ArticleStatus.PUBLISHED: N_("Published"),
    ArticleStatus.ARCHIVED: N_("Archived"),
}
KIND_LABELS = {
    ArticleKind.TROUBLESHOOTING: N_("Troubleshooting"),
    ArticleKind.USAGE_TIP: N_("Usage tip"),
    ArticleKind.FAQ: N_("FAQ"),
}
# Button action -> (target status, label). The page shows those the current status allows.
STATUS_ACTIONS: dict[str, tuple[ArticleStatus, str]] = {
    "review": (ArticleStatus.IN_REVIEW, N_("Submit for review")),
    "publish": (ArticleStatus.PUBLISHED, N_("Publish")),
    "draft": (ArticleStatus.DRAFT, N_("Back to draft")),
    "archive": (ArticleStatus.ARCHIVED, N_("Archive")),
}


@dataclass(frozen=True)
class LocaleState:
    """One supported locale of one article, as the studio shows it."""

    locale: str
    present: bool
    is_source: bool = False
    status: ArticleStatus | None = None
    version: int = 0
    source_version: int | None = None
    stale: bool = False


def coverage_by_article(session: Session, articles: Sequence[Article]) -> dict[int, list[LocaleState]]:
    """Every supported locale of each article (present or not), with status and staleness.

    One query for all the versions, however many articles are listed.
    """
    numbers = versions.current_versions(session, [article.id for article in articles])
    languages = get_settings().languages
    result: dict[int, list[LocaleState]] = {}
    for article in articles:
        source_now = numbers.get((article.id, article.source_locale), 0)
        by_locale = {content.locale: content for content in article.contents}
        ordered = [article.source_locale] + [code for code in languages if code != article.source_locale]
        ordered += sorted(code for code in by_locale if code not in ordered)
        states = []
        for code in ordered:
            content = by_locale.get(code)
            if content is None:
                states.append(LocaleState(locale=code, present=False))
                continue
            states.append(
                LocaleState(
                    locale=code,
                    present=True,
                    is_source=content.is_source,
                    status=ArticleStatus(content.status),
                    version=numbers.get((article.id, code), 0),
                    source_version=content.source_version,
                    stale=versions.is_stale(content, source_now),
                )
            )
        result[article.id] = states
    return result


def split_lines(text: str) -> list[str]:
    """One item per non-empty line (questions)."""
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def split_list(text: str) -> list[str]:
    """Comma- or semicolon-separated items (tags, products)."""
    return [item.strip() for item in text.replace(";", ",").replace("\n", ",").split(",") if item.strip()]
