"""Request and response shapes for API tokens, sign-in links and the team (named by role).

A token's secret appears in exactly one response: ``ApiTokenCreated``, the answer to creating it.
Every other shape shows only its prefix.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from accounts.models import Role
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


# --- the team (accounts.team) ---------------------------------------------------------------------

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Language = Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)]


def _staff_role(role: Role | None) -> Role | None:
    if role is not None and role not in (Role.AGENT, Role.ADMIN):
        raise ValueError("a team member's role is agent or admin")
    return role


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: Role
    is_active: bool
    language: str | None
    invitation_pending: bool = Field(description="a team member who has not yet chosen a password by the invitation")
    created_at: datetime
    updated_at: datetime


class UserPage(BaseModel):
    items: list[UserRead]
    page: int
    page_size: int
    total: int


class UserInvite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=320, description="the invitation (a link to choose a password) goes here")
    name: Name
    role: Role = Field(default=Role.AGENT, description="agent or admin")
    language: Language | None = Field(default=None, description="one of the site's languages; omit for its default")

    _check_role = field_validator("role")(_staff_role)


class UserUpdate(BaseModel):
    """What to change; a field left out (or null) stays as it is, except ``language``: null clears it."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = Field(default=None, description="agent or admin (customers are not made staff here)")
    is_active: bool | None = Field(
        default=None, description="false deactivates: their sessions and API tokens end at once"
    )
    name: Name | None = None
    language: Language | None = Field(default=None, description="one of the site's languages; null for its default")

    _check_role = field_validator("role")(_staff_role)


class InvitationSent(BaseModel):
    user_id: int
    queued: bool = Field(description="false when no e-mail could go to the address (e.g. an automated one)")
