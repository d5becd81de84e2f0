"""Setting up operations: business hours, SLA policies, teams and their members, routing rules.

Agents may read all of it; only admins change it, and every change is written to the audit trail
(``accounts.audit``) in the same transaction.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from accounts import guards
from accounts.audit import AuditAction, AuditTarget, record_audit
from accounts.models import User
from accounts.service import Principal
from aftercare.errors import Conflict, NotFound, ValidationFailed
from helpdesk.operations.business_hours import calendar_from
from helpdesk.operations.models import BusinessHours, RoutingRule, SlaPolicy, Team, TeamMember
from helpdesk.operations.routing import open_counts
from helpdesk.operations.schemas import (
    BusinessHoursCreate,
    BusinessHoursUpdate,
    RoutingRuleCreate,
    RoutingRuleUpdate,
    SlaPolicyCreate,
    SlaPolicyUpdate,
    TeamCreate,
    TeamMemberRead,
    TeamMemberSet,
    TeamRead,
    TeamUpdate,
)


def _changes(data: BaseModel) -> dict[str, Any]:
    """The fields given in an update, as JSON-ready values (for the row and the audit entry alike)."""
    dumped: dict[str, Any] = data.model_dump(mode="json", exclude_unset=True)
    return dumped


def _unique(session: Session, model: type[Any], name: str, *, except_id: int | None = None) -> None:
    query = select(model.id).where(func.lower(model.name) == name.lower())
    if except_id is not None:
        query = query.where(model.id != except_id)
    if session.scalar(query.limit(1)) is not None:
        raise Conflict(f"the name {name!r} is taken")


def _next_position(session: Session, model: type[Any]) -> int:
    return int(session.scalar(select(func.coalesce(func.max(model.position), -1))) or 0) + 1


def _require_hours(session: Session, hours_id: int | None) -> None:
    if hours_id is not None and session.get(BusinessHours, hours_id) is None:
        raise ValidationFailed(f"business hours {hours_id} do not exist")


# --- business hours


def list_business_hours(session: Session, principal: Principal) -> list[BusinessHours]:
    guards.require_staff(principal)
    return list(session.scalars(select(BusinessHours).order_by(BusinessHours.name)))


def _check_calendar(values: dict[str, Any]) -> None:
    calendar_from(values["timezone"], values["intervals"], values["holidays"])


def create_business_hours(session: Session, data: BusinessHoursCreate, principal: Principal) -> BusinessHours:
    guards.require_admin(principal)
    values = data.model_dump(mode="json")
    _check_calendar(values)
    _unique(session, BusinessHours, data.name)
    hours = BusinessHours(**values)
    session.add(hours)
    session.flush()
    record_audit(
        session,
        AuditAction.BUSINESS_HOURS_CREATED,
        AuditTarget.BUSINESS_HOURS,
        hours.id,
        actor=principal.user,
        details=values,
    )
    return hours


def get_business_hours(session: Session, hours_id: int) -> BusinessHours:
    hours = session.get(BusinessHours, hours_id)
    if hours is None:
        raise NotFound(f"business hours {hours_id} not found")
    return hours


def update_business_hours(
    session: Session, hours_id: int, data: BusinessHoursUpdate, principal: Principal
) -> BusinessHours:
    guards.require_admin(principal)
    hours = get_business_hours(session, hours_id)
    changes = _changes(data)
    merged = {"timezone": hours.timezone, "intervals": hours.intervals, "holidays": hours.holidays, **changes}
    _check_calendar(merged)
    if "name" in changes:
        _unique(session, BusinessHours, changes["name"], except_id=hours.id)
    for key, value in changes.items():
        setattr(hours, key, value)
    session.flush()
    record_audit(
        session,
        AuditAction.BUSINESS_HOURS_UPDATED,
        AuditTarget.BUSINESS_HOURS,
        hours.id,
        actor=principal.user,
        details=changes,
    )
    return hours


# --- SLA policies


def list_sla_policies(session: Session, principal: Principal) -> list[SlaPolicy]:
    guards.require_staff(principal)
    return list(session.scalars(select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id)))


def get_sla_policy(session: Session, policy_id: int) -> SlaPolicy:
    policy = session.get(SlaPolicy, policy_id)
    if policy is None:
        raise NotFound(f"SLA policy {policy_id} not found")
    return policy


def create_sla_policy(session: Session, data: SlaPolicyCreate, principal: Principal) -> SlaPolicy:
    guards.require_admin(principal)
    _unique(session, SlaPolicy, data.name)
    _require_hours(session, data.business_hours_id)
    values = data.model_dump(mode="json", exclude_none=False)
    values["conditions"] = data.conditions.model_dump(mode="json", exclude_none=True)
    if values["position"] is None:
        values["position"] = _next_position(session, SlaPolicy)
    policy = SlaPolicy(**values)
    session.add(policy)
    session.flush()
    record_audit(
        session, AuditAction.SLA_POLICY_CREATED, AuditTarget.SLA_POLICY, policy.id, actor=principal.user, details=values
    )
    return policy


def update_sla_policy(session: Session, policy_id: int, data: SlaPolicyUpdate, principal: Principal) -> SlaPolicy:
    """Changes apply to tickets created from now on; running clocks keep the targets they started with."""
    guards.require_admin(principal)
    policy = get_sla_policy(session, policy_id)
    changes = _changes(data)
    if "name" in changes:
        _unique(session, SlaPolicy, changes["name"], except_id=policy.id)
    if "business_hours_id" in changes:
        _require_hours(session, changes["business_hours_id"])
    if data.conditions is not None:
        changes["conditions"] = data.conditions.model_dump(mode="json", exclude_none=True)
    for key, value in changes.items():
        setattr(policy, key, value)
    session.flush()
    record_audit(
        session,
        AuditAction.SLA_POLICY_UPDATED,
        AuditTarget.SLA_POLICY,
        policy.id,
        actor=principal.user,
        details=changes,
    )
    return policy


def delete_sla_policy(session: Session, policy_id: int, principal: Principal) -> None:
    guards.require_admin(principal)
    _delete_recorded(session, get_sla_policy(session, policy_id), AuditAction.SLA_POLICY_DELETED, principal)


# --- teams


def list_teams(session: Session, principal: Principal) -> list[Team]:
    guards.require_staff(principal)
    return list(
        session.scalars(
            select(Team).options(selectinload(Team.members).selectinload(TeamMember.user)).order_by(Team.name)
        )
    )


def get_team(session: Session, team_id: int) -> Team:
    team = session.get(Team, team_id, options=[selectinload(Team.members).selectinload(TeamMember.user)])
    if team is None:
        raise NotFound(f"team {team_id} not found")
    return team


def team_read(session: Session, team: Team) -> TeamRead:
    counts = open_counts(session, [m.user_id for m in team.members])
    return TeamRead(
        id=team.id,
        name=team.name,
        languages=list(team.languages or []),
        assignment=team.assignment,
        business_hours_id=team.business_hours_id,
        created_at=team.created_at,
        members=[
            TeamMemberRead(
                user_id=m.user_id,
                name=m.user.name,
                languages=list(m.languages or []),
                available=m.available,
                max_open_tickets=m.max_open_tickets,
                open_tickets=counts.get(m.user_id, 0),
            )
            for m in team.members
        ],
    )


def create_team(session: Session, data: TeamCreate, principal: Principal) -> Team:
    guards.require_admin(principal)
    _unique(session, Team, data.name)
    _require_hours(session, data.business_hours_id)
    values = data.model_dump(mode="json")
    team = Team(**values)
    session.add(team)
    session.flush()
    record_audit(session, AuditAction.TEAM_CREATED, AuditTarget.TEAM, team.id, actor=principal.user, details=values)
    return get_team(session, team.id)


def update_team(session: Session, team_id: int, data: TeamUpdate, principal: Principal) -> Team:
    guards.require_admin(principal)
    team = get_team(session, team_id)
    changes = _changes(data)
    if "name" in changes:
        _unique(session, Team, changes["name"], except_id=team.id)
    if "business_hours_id" in changes:
        _require_hours(session, changes["business_hours_id"])
    for key, value in changes.items():
        setattr(team, key, value)
    session.flush()
    record_audit(session, AuditAction.TEAM_UPDATED, AuditTarget.TEAM, team.id, actor=principal.user, details=changes)
    return team


def set_member(session: Session, team_id: int, data: TeamMemberSet, principal: Principal) -> Team:
    guards.require_admin(principal)
    team = get_team(session, team_id)
    user = session.get(User, data.user_id)
    if user is None or not user.is_staff:
        raise ValidationFailed(f"user {data.user_id} is not an agent")
    values = data.model_dump(mode="json")
    member = next((m for m in team.members if m.user_id == data.user_id), None)
    if member is None:
        member = TeamMember(user=user)
        team.members.append(member)
    member.languages = values["languages"]
    member.available = data.available
    member.max_open_tickets = data.max_open_tickets
    session.flush()
    record_audit(session, AuditAction.TEAM_MEMBER_SET, AuditTarget.TEAM, team.id, actor=principal.user, details=values)
    return team


def remove_member(session: Session, team_id: int, user_id: int, principal: Principal) -> Team:
    guards.require_admin(principal)
    team = get_team(session, team_id)
    member = next((m for m in team.members if m.user_id == user_id), None)
    if member is None:
        raise NotFound(f"user {user_id} is not in team {team_id}")
    team.members.remove(member)
    session.flush()
    record_audit(
        session,
        AuditAction.TEAM_MEMBER_REMOVED,
        AuditTarget.TEAM,
        team.id,
        actor=principal.user,
        details={"user_id": user_id},
    )
    return team


# --- routing rules


def list_routing_rules(session: Session, principal: Principal) -> list[RoutingRule]:
    guards.require_staff(principal)
    return list(session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)))


def get_routing_rule(session: Session, rule_id: int) -> RoutingRule:
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(f"routing rule {rule_id} not found")
    return rule


def _require_team(session: Session, actions: dict[str, Any]) -> None:
    team_id = actions.get("team_id")
    if team_id is not None and session.get(Team, team_id) is None:
        raise ValidationFailed(f"team {team_id} does not exist")


def create_routing_rule(session: Session, data: RoutingRuleCreate, principal: Principal) -> RoutingRule:
    guards.require_admin(principal)
    values = data.model_dump(mode="json")
    values["conditions"] = data.conditions.model_dump(mode="json", exclude_none=True)
    values["actions"] = data.actions.model_dump(mode="json", exclude_none=True)
    _require_team(session, values["actions"])
    if values["position"] is None:
        values["position"] = _next_position(session, RoutingRule)
    rule = RoutingRule(**values)
    session.add(rule)
    session.flush()
    record_audit(
        session,
        AuditAction.ROUTING_RULE_CREATED,
        AuditTarget.ROUTING_RULE,
        rule.id,
        actor=principal.user,
        details=values,
    )
    return rule


def update_routing_rule(session: Session, rule_id: int, data: RoutingRuleUpdate, principal: Principal) -> RoutingRule:
    guards.require_admin(principal)
    rule = get_routing_rule(session, rule_id)
    changes = _changes(data)
    if data.conditions is not None:
        changes["conditions"] = data.conditions.model_dump(mode="json", exclude_none=True)
    if data.actions is not None:
        changes["actions"] = data.actions.model_dump(mode="json", exclude_none=True)
        _require_team(session, changes["actions"])
    for key, value in changes.items():
        setattr(rule, key, value)
    session.flush()
    record_audit(
        session,
        AuditAction.ROUTING_RULE_UPDATED,
        AuditTarget.ROUTING_RULE,
        rule.id,
        actor=principal.user,
        details=changes,
    )
    return rule


def delete_routing_rule(session: Session, rule_id: int, principal: Principal) -> None:
    guards.require_admin(principal)
    _delete_recorded(session, get_routing_rule(session, rule_id), AuditAction.ROUTING_RULE_DELETED, principal)


def _delete_recorded(session: Session, row: SlaPolicy | RoutingRule, action: AuditAction, principal: Principal) -> None:
    """Delete a policy or rule, naming it in the audit trail (the row itself is gone afterwards)."""
    target = AuditTarget.SLA_POLICY if isinstance(row, SlaPolicy) else AuditTarget.ROUTING_RULE
    record_audit(session, action, target, row.id, actor=principal.user, details={"name": row.name})
    session.delete(row)
    session.flush()
