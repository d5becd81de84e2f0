"""Input shapes of reader feedback (a vote and the reason given after "no"), and the self-resolution
report's output shape."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

MAX_REASON_CHARS = 1000


def _reason(value: str) -> str:
    # Line breaks are fine in a reason; other control characters never are.
    value = "".join(char for char in value if char in "\n\t" or ord(char) >= 32).strip()
    if not value:
        raise ValueError("must not be empty or only whitespace")
    return value


Reason = Annotated[str, StringConstraints(max_length=MAX_REASON_CHARS), AfterValidator(_reason)]


class FeedbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    helpful: bool
    locale: Annotated[str, StringConstraints(min_length=1, max_length=16)]


class FeedbackReason(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


# ---- the self-resolution report (output) -------------------------------------------------------


class SelfResolutionFigures(BaseModel):
    """Requests offered articles on intake, and how many the customer closed with "This solved it"."""

    offered: int
    solved: int
    rate: float


class LanguageSelfResolutionRead(SelfResolutionFigures):
    language: str


class ArticleSelfResolutionRead(SelfResolutionFigures):
    article_id: int
    title: str | None  # None: the article was deleted since
    slug: str | None


class SelfResolutionReport(BaseModel):
    start: date
    end: date
    total: SelfResolutionFigures
    by_language: list[LanguageSelfResolutionRead]
    by_article: list[ArticleSelfResolutionRead]
