"""Input shapes of reader feedback: a vote and the reason given after "no"."""

from __future__ import annotations

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
