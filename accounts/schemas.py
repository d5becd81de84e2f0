"""Request and response shapes for API tokens and sign-in links (named by role).

A token's secret appears in exactly one response: ``ApiTokenCreated``, the answer to creating it.
Every other shape shows only its prefix.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from accounts.service import MAX_TOKEN_NAME_CHARS, TokenState

# A token's lifetime when asked in days: up to ten years (a longer one is "no expiry": omit it).
MAX_TOKEN_DAYS = 3650


class ApiTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TOKEN_NAME_CHARS)]
    expires_in_days: Annotated[int | None, Field(ge=1, le=MAX_TOKEN_DAYS)] = Field(
        default=None, description="the token stops working this many days from now; omit for no expiry"
    )
    expires_at: AwareDatetime | None = Field(
        default=None, description="or an exact time with its zone (not both); must be in the future"
    )


class ApiTokenRead(BaseModel):
    id: int
    user_id: int
    name: str
    prefix: str = Field(description="the token's first characters, to recognise it; empty for tokens made before")
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    state: TokenState


class ApiTokenCreated(ApiTokenRead):
    token: str = Field(description="the secret: shown this once, never again")


class EmailLinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=320, description="the address to send a sign-in link to")


class EmailLinkRequested(BaseModel):
    detail: str = Field(description="the same words whether or not the address is known")
