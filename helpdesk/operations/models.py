"""Tables of help-desk operations: business-hours calendars, SLA policies, breaches, teams, routing rules.

A ticket's own SLA clock (its policy, due times, pause) lives on the ``tickets`` row
(``helpdesk.models.Ticket``), where the inbox sorts and filters by it without a join.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from aftercare.db import Base, TimestampMixin, utcnow


class AssignmentMethod(StrEnum):
    # Each available agent in turn (a pointer on the team row, moved under a row lock).
    ROUND_ROBIN = "round_robin"
    # The available agent with the fewest open tickets.
    LEAST_OPEN = "least_open"
    # The team gets the ticket; nobody in it is picked.
    NONE = "none"


class SlaTarget(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class BusinessHours(TimestampMixin, Base):
    """A calendar: the hours a desk works each week in its time zone, and the days it does not."""

    __tablename__ = "business_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    # [{"day": 0..6 (Monday first), "start": "09:00", "end": "17:00"}, ...], local time.
    intervals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # ["2026-12-25", ...]: local dates on which the desk is closed all day.
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list)


class SlaPolicy(TimestampMixin, Base):
    """Targets for tickets matching its conditions; policies are tried by position, the first match wins."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    # A Conditions document (helpdesk.operations.schemas); empty matches every ticket.
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    first_response_minutes: Mapped[int]
    next_response_minutes: Mapped[int | None]
    resolution_minutes: Mapped[int]
    # None: the clock runs around the clock.
    business_hours_id: Mapped[int | None] = mapped_column(ForeignKey("business_hours.id", ondelete="SET NULL"))

    business_hours: Mapped[BusinessHours | None] = relationship()


class SlaBreach(Base):
    """A target a ticket missed, recorded once per ticket and target (by the worker's breach pass)."""

    __tablename__ = "sla_breaches"
    __table_args__ = (UniqueConstraint("ticket_id", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id", ondelete="SET NULL"), index=True)
    target: Mapped[SlaTarget] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(index=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Team(TimestampMixin, Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # The languages the team answers in (informational; members' skills steer assignment).
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    assignment: Mapped[AssignmentMethod] = mapped_column(String(16), default=AssignmentMethod.ROUND_ROBIN)
    business_hours_id: Mapped[int | None] = mapped_column(ForeignKey("business_hours.id", ondelete="SET NULL"))
    # Round robin: the member who got the last ticket (the next one goes to the member after).
    last_assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    members: Mapped[list[TeamMember]] = relationship(
        back_populates="team", cascade="all, delete-orphan", order_by="TeamMember.user_id"
    )


class TeamMember(Base):
    """An agent in a team (an agent may be in several), with skills, availability and a cap."""

    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    # Languages the agent answers in; empty: any.
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    available: Mapped[bool] = mapped_column(default=True)
    # At most this many unsolved tickets assigned (new, open, pending); None: no cap.
    max_open_tickets: Mapped[int | None] = mapped_column(Integer)

    team: Mapped[Team] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class RoutingRule(TimestampMixin, Base):
    """Tried by position on every new ticket; the first rule whose conditions all hold applies its actions."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0, index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # A Conditions document (helpdesk.operations.schemas).
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A RoutingActions document: {team_id?, priority?, tags?}.
    actions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


__all__ = [
    "AssignmentMethod",
    "BusinessHours",
    "RoutingRule",
    "SlaBreach",
    "SlaPolicy",
    "SlaTarget",
    "Team",
    "TeamMember",
]
