"""Request and response shapes of teams, routing rules, SLA policies and business hours (named by role)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from helpdesk.models import TicketChannel, TicketPriority
from helpdesk.operations.models import AssignmentMethod
from helpdesk.schemas import LanguageTag, StrictInput, Tag

Name = Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]
Keyword = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True, to_lower=True)]
Clock = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")]
# A week is 10 080 minutes; a target beyond a year of them is a mistake, not a policy.
MAX_TARGET_MINUTES = 525_600


class Conditions(StrictInput):
    """What a ticket must be for a rule or policy to apply; every condition given must hold."""

    priority: TicketPriority | None = None
    language: LanguageTag | None = None
    channel: TicketChannel | None = None
    keywords: list[Keyword] | None = Field(
        default=None, max_length=50, description="any of these words in the subject or first message"
    )
    product_tag: Tag | None = Field(default=None, description="the requester bought a product with this tag")
    segment_id: int | None = Field(default=None, description="the requester is in this customer segment")


class SlaConditions(Conditions):
    pass


class RoutingActions(StrictInput):
    team_id: int | None = None
    priority: TicketPriority | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)


# --- business hours


class IntervalDoc(StrictInput):
    day: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")
    start: Clock
    end: Clock


class BusinessHoursCreate(StrictInput):
    name: Name
    timezone: str = Field(min_length=1, max_length=64, examples=["Europe/Warsaw"])
    intervals: list[IntervalDoc] = Field(min_length=1, max_length=70)
    holidays: list[date] = Field(default_factory=list, max_length=1000)


class BusinessHoursUpdate(StrictInput):
    name: Name | None = None
    timezone: str | None = Field(default=None, min_length=1, max_length=64)
    intervals: list[IntervalDoc] | None = Field(default=None, min_length=1, max_length=70)
    holidays: list[date] | None = Field(default=None, max_length=1000)


class BusinessHoursRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    timezone: str
    intervals: list[IntervalDoc]
    holidays: list[date]


# --- SLA policies


class SlaPolicyCreate(StrictInput):
    name: Name
    position: int | None = Field(default=None, ge=0, description="lower first; default: after the last")
    conditions: SlaConditions = Field(default_factory=SlaConditions)
    first_response_minutes: int = Field(gt=0, le=MAX_TARGET_MINUTES)
    next_response_minutes: int | None = Field(default=None, gt=0, le=MAX_TARGET_MINUTES)
    resolution_minutes: int = Field(gt=0, le=MAX_TARGET_MINUTES)
    business_hours_id: int | None = None


class SlaPolicyUpdate(StrictInput):
    name: Name | None = None
    position: int | None = Field(default=None, ge=0)
    conditions: SlaConditions | None = None
    first_response_minutes: int | None = Field(default=None, gt=0, le=MAX_TARGET_MINUTES)
    next_response_minutes: int | None = Field(default=None, gt=0, le=MAX_TARGET_MINUTES)
    resolution_minutes: int | None = Field(default=None, gt=0, le=MAX_TARGET_MINUTES)
    business_hours_id: int | None = None


class SlaPolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    position: int
    conditions: SlaConditions
    first_response_minutes: int
    next_response_minutes: int | None
    resolution_minutes: int
    business_hours_id: int | None


# --- teams


class TeamCreate(StrictInput):
    name: Name
    languages: list[LanguageTag] = Field(default_factory=list, max_length=20)
    assignment: AssignmentMethod = AssignmentMethod.ROUND_ROBIN
    business_hours_id: int | None = None


class TeamUpdate(StrictInput):
    name: Name | None = None
    languages: list[LanguageTag] | None = Field(default=None, max_length=20)
    assignment: AssignmentMethod | None = None
    business_hours_id: int | None = None


class TeamMemberSet(StrictInput):
    """Add an agent to a team, or change their skills, availability or cap there."""

    user_id: int
    languages: list[LanguageTag] = Field(default_factory=list, max_length=20)
    available: bool = True
    max_open_tickets: int | None = Field(default=None, ge=0, le=10_000)


class TeamMemberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: int
    name: str
    languages: list[str]
    available: bool
    max_open_tickets: int | None
    open_tickets: int


class TeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    languages: list[str]
    assignment: AssignmentMethod
    business_hours_id: int | None
    members: list[TeamMemberRead] = []
    created_at: datetime


# --- routing rules


class RoutingRuleCreate(StrictInput):
    name: Name
    position: int | None = Field(default=None, ge=0, description="lower first; default: after the last")
    active: bool = True
    conditions: Conditions = Field(default_factory=Conditions)
    actions: RoutingActions

    @field_validator("actions")
    @classmethod
    def _does_something(cls, value: RoutingActions) -> RoutingActions:
        if value.team_id is None and value.priority is None and not value.tags:
            raise ValueError("a rule must set a team, a priority or tags")
        return value


class RoutingRuleUpdate(StrictInput):
    name: Name | None = None
    position: int | None = Field(default=None, ge=0)
    active: bool | None = None
    conditions: Conditions | None = None
    actions: RoutingActions | None = None


class RoutingRuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    position: int
    active: bool
    conditions: Conditions
    actions: RoutingActions
