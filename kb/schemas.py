"""Request and response shapes of the knowledge base (articles, translations, versions).

Text is validated here (lengths, single-line titles, tags, slugs, language tags); whether a
locale is one this installation supports is the service's check, since it reads settings.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from helpdesk.schemas import LanguageTag
from kb.models import ArticleKind, ArticleStatus

MAX_TITLE_CHARS = 300
MAX_ARTICLE_BODY_CHARS = 100_000
MAX_QUESTIONS = 20
MAX_QUESTION_CHARS = 300
MAX_TAGS = 20
MAX_SLUG_CHARS = 120


def _is_word_char(char: str) -> bool:
    # Letters and digits of any script, and combining marks (Thai vowels and tone marks are marks).
    return char.isalnum() or unicodedata.category(char).startswith("M")


def _is_hyphenated_words(value: str) -> bool:
    """Words of letters/digits joined by single hyphens: 'wifi-reset', 'reset-termostatu', 'รีเซ็ต'."""
    words = value.split("-")
    return all(word and _is_word_char(word[0]) and all(_is_word_char(c) for c in word) for word in words)


def _single_line_text(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty or only whitespace")
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value):
        raise ValueError("must be a single line without control characters")
    return value


def normalize_body(value: str) -> str:
    """Markdown as written, minus what carries no meaning: CRLF, leading blank lines, trailing space.

    Every path (API, import, restore) stores the same normal form, so re-importing an export
    compares equal and creates no new version.
    """
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines).rstrip()


def _body(value: str) -> str:
    value = normalize_body(value)
    if not value:
        raise ValueError("must not be empty or only whitespace")
    return value


def _questions(values: list[str]) -> list[str]:
    # Repeating a question adds nothing to search; keep the first spelling, in the given order.
    seen: set[str] = set()
    unique: list[str] = []
    for value in values:
        key = value.casefold()
        if key not in seen:
            seen.add(key)
            unique.append(value)
    return unique


def _tag(value: str) -> str:
    cleaned = unicodedata.normalize("NFC", value.strip().lower())
    if not _is_hyphenated_words(cleaned):
        raise ValueError(f"{value!r} is not a tag: use letters, digits and hyphens (e.g. 'wifi', 'nimbus')")
    return cleaned


def _tags(values: list[str]) -> list[str]:
    return sorted(set(values))


def _slug(value: str) -> str:
    cleaned = unicodedata.normalize("NFC", value.strip().lower())
    if not _is_hyphenated_words(cleaned):
        raise ValueError(f"{value!r} is not a slug: letters and digits in words joined by single hyphens")
    if cleaned.isdigit():
        raise ValueError("a slug must not be only digits (it would read like an article id)")
    return cleaned


Title = Annotated[str, StringConstraints(max_length=MAX_TITLE_CHARS), AfterValidator(_single_line_text)]
Body = Annotated[str, StringConstraints(max_length=MAX_ARTICLE_BODY_CHARS), AfterValidator(_body)]
Question = Annotated[str, StringConstraints(max_length=MAX_QUESTION_CHARS), AfterValidator(_single_line_text)]
Questions = Annotated[list[Question], Field(max_length=MAX_QUESTIONS), AfterValidator(_questions)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_tag)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_tags)]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SLUG_CHARS), AfterValidator(_slug)]


class StrictInput(BaseModel):
    # Unknown fields are refused so that a typo ("titel") is an error, not a silent loss.
    model_config = ConfigDict(extra="forbid")


class PatchInput(StrictInput):
    """PATCH semantics: a field left out is unchanged; ``null`` is refused for required fields."""

    @model_validator(mode="before")
    @classmethod
    def _refuse_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(key for key, value in data.items() if value is None and key in cls.model_fields)
            if nulls:
                raise ValueError(f"{', '.join(nulls)}: must not be null (leave the field out to keep it)")
        return data


class ArticleCreate(StrictInput):
    title: Title
    body: Body
    kind: ArticleKind
    # None means the installation's default language.
    locale: LanguageTag | None = None
    status: ArticleStatus = ArticleStatus.DRAFT
    slug: Slug | None = None
    products: Tags = []
    tags: Tags = []
    questions: Questions = []


class ArticleUpdate(PatchInput):
    title: Title | None = None
    body: Body | None = None
    questions: Questions | None = None
    kind: ArticleKind | None = None
    status: ArticleStatus | None = None
    slug: Slug | None = None
    products: Tags | None = None
    tags: Tags | None = None


class TranslationCreate(StrictInput):
    locale: LanguageTag
    title: Title
    body: Body
    questions: Questions = []
    status: ArticleStatus = ArticleStatus.DRAFT
    # The source version this was translated from; None means the source's current version.
    source_version: Annotated[int, Field(ge=0)] | None = None


class TranslationUpdate(PatchInput):
    title: Title | None = None
    body: Body | None = None
    questions: Questions | None = None
    status: ArticleStatus | None = None
    # Saving new text marks the translation as made from the current source, unless given here.
    source_version: Annotated[int, Field(ge=0)] | None = None


class LocaleCoverage(BaseModel):
    locale: str
    status: ArticleStatus
    is_source: bool
    version: int
    # For translations: the source version they were made from, and whether the source moved on.
    source_version: int | None
    stale: bool


class ArticleSummary(BaseModel):
    id: int
    slug: str
    kind: ArticleKind
    status: ArticleStatus
    source_locale: str
    # The locale of ``title`` (and of the body in ArticleRead).
    locale: str
    title: str
    products: list[str]
    tags: list[str]
    # Locales this reader may see.
    locales: list[str]
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class ArticleRead(ArticleSummary):
    body: str
    body_html: str
    questions: list[str]
    version: int
    author_id: int | None
    # Staff only: every locale with its status and staleness, and the supported locales not yet there.
    coverage: list[LocaleCoverage] | None = None
    missing_locales: list[str] | None = None


class ArticlePage(BaseModel):
    items: list[ArticleSummary]
    page: int
    page_size: int
    total: int


class ArticleVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    locale: str
    title: str
    body: str
    questions: list[str]
    source_version: int | None
    author_id: int | None
    restored_from: int | None
    created_at: datetime


class TranslationRead(BaseModel):
    article_id: int
    locale: str
    is_source: bool
    title: str
    body: str
    body_html: str
    questions: list[str]
    status: ArticleStatus
    version: int
    source_version: int | None
    source_current_version: int
    stale: bool
    created_at: datetime
    updated_at: datetime


class TranslationList(BaseModel):
    article_id: int
    source_locale: str
    source_version: int
    items: list[TranslationRead]
    # Staff only: supported locales without a translation yet.
    missing_locales: list[str] | None = None
