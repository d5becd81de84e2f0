"""Operations in the JSON API (``helpdesk.operations``): agents read, admins change; every change audited.

- ``/api/v1/teams``: ``POST {name, languages?, assignment?, business_hours_id?}``, ``GET``,
  ``GET/PATCH /{id}``, ``PUT /{id}/members`` (add or change one member), ``DELETE /{id}/members/{user_id}``.
- ``/api/v1/routing-rules``: ``POST {name, position?, conditions: {language?, channel?, keywords?,
  product_tag?, segment_id?}, actions: {team_id?, priority?, tags?}}``, ``GET``, ``PATCH/DELETE /{id}``.
- ``/api/v1/sla-policies``: ``POST {name, conditions: {priority?, language?, channel?, ...},
  first_response_minutes, next_response_minutes?, resolution_minutes, business_hours_id?}``, ``GET``,
  ``PATCH/DELETE /{id}``. No business hours: around the clock.
- ``/api/v1/business-hours``: ``POST {name, timezone, intervals: [{day, start, end}], holidays?}``,
  ``GET``, ``PATCH /{id}``.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from helpdesk.operations import admin
from helpdesk.operations.schemas import (
    BusinessHoursCreate,
    BusinessHoursRead,
    BusinessHoursUpdate,
    RoutingRuleCreate,
    RoutingRuleRead,
    RoutingRuleUpdate,
    SlaPolicyCreate,
    SlaPolicyRead,
    SlaPolicyUpdate,
    TeamCreate,
    TeamMemberSet,
    TeamRead,
    TeamUpdate,
)
from web.deps import AdminPrincipal, DbSession, StaffPrincipal
from web.openapi import error_responses

router = APIRouter(prefix="/api/v1", tags=["operations"])


# --- teams


@router.get("/teams", response_model=list[TeamRead])
def list_teams(session: DbSession, principal: StaffPrincipal) -> list[TeamRead]:
    return [admin.team_read(session, team) for team in admin.list_teams(session, principal)]


@router.post("/teams", status_code=201, response_model=TeamRead, responses=error_responses(409, 422))
def create_team(data: TeamCreate, session: DbSession, principal: AdminPrincipal) -> TeamRead:
    return admin.team_read(session, admin.create_team(session, data, principal))


@router.get("/teams/{team_id}", response_model=TeamRead, responses=error_responses(404))
def get_team(team_id: int, session: DbSession, principal: StaffPrincipal) -> TeamRead:
    return admin.team_read(session, admin.get_team(session, team_id))


@router.patch("/teams/{team_id}", response_model=TeamRead, responses=error_responses(404, 409, 422))
def update_team(team_id: int, data: TeamUpdate, session: DbSession, principal: AdminPrincipal) -> TeamRead:
    return admin.team_read(session, admin.update_team(session, team_id, data, principal))


@router.put("/teams/{team_id}/members", response_model=TeamRead, responses=error_responses(404, 422))
def set_member(team_id: int, data: TeamMemberSet, session: DbSession, principal: AdminPrincipal) -> TeamRead:
    """Add an agent to the team, or change their languages, availability or cap there."""
    return admin.team_read(session, admin.set_member(session, team_id, data, principal))


@router.delete("/teams/{team_id}/members/{user_id}", response_model=TeamRead, responses=error_responses(404))
def remove_member(team_id: int, user_id: int, session: DbSession, principal: AdminPrincipal) -> TeamRead:
    return admin.team_read(session, admin.remove_member(session, team_id, user_id, principal))


# --- routing rules


@router.get("/routing-rules", response_model=list[RoutingRuleRead])
def list_routing_rules(session: DbSession, principal: StaffPrincipal) -> list[RoutingRuleRead]:
    return [RoutingRuleRead.model_validate(rule) for rule in admin.list_routing_rules(session, principal)]


@router.post("/routing-rules", status_code=201, response_model=RoutingRuleRead, responses=error_responses(422))
def create_routing_rule(data: RoutingRuleCreate, session: DbSession, principal: AdminPrincipal) -> RoutingRuleRead:
    return RoutingRuleRead.model_validate(admin.create_routing_rule(session, data, principal))


@router.patch("/routing-rules/{rule_id}", response_model=RoutingRuleRead, responses=error_responses(404, 422))
def update_routing_rule(
    rule_id: int, data: RoutingRuleUpdate, session: DbSession, principal: AdminPrincipal
) -> RoutingRuleRead:
    return RoutingRuleRead.model_validate(admin.update_routing_rule(session, rule_id, data, principal))


@router.delete("/routing-rules/{rule_id}", status_code=204, responses=error_responses(404))
def delete_routing_rule(rule_id: int, session: DbSession, principal: AdminPrincipal) -> Response:
    admin.delete_routing_rule(session, rule_id, principal)
    return Response(status_code=204)


# --- SLA policies


@router.get("/sla-policies", response_model=list[SlaPolicyRead])
def list_sla_policies(session: DbSession, principal: StaffPrincipal) -> list[SlaPolicyRead]:
    return [SlaPolicyRead.model_validate(policy) for policy in admin.list_sla_policies(session, principal)]


@router.post("/sla-policies", status_code=201, response_model=SlaPolicyRead, responses=error_responses(409, 422))
def create_sla_policy(data: SlaPolicyCreate, session: DbSession, principal: AdminPrincipal) -> SlaPolicyRead:
    return SlaPolicyRead.model_validate(admin.create_sla_policy(session, data, principal))


@router.patch("/sla-policies/{policy_id}", response_model=SlaPolicyRead, responses=error_responses(404, 409, 422))
def update_sla_policy(
    policy_id: int, data: SlaPolicyUpdate, session: DbSession, principal: AdminPrincipal
) -> SlaPolicyRead:
    return SlaPolicyRead.model_validate(admin.update_sla_policy(session, policy_id, data, principal))


@router.delete("/sla-policies/{policy_id}", status_code=204, responses=error_responses(404))
def delete_sla_policy(policy_id: int, session: DbSession, principal: AdminPrincipal) -> Response:
    admin.delete_sla_policy(session, policy_id, principal)
    return Response(status_code=204)


# --- business hours


@router.get("/business-hours", response_model=list[BusinessHoursRead])
def list_business_hours(session: DbSession, principal: StaffPrincipal) -> list[BusinessHoursRead]:
    return [BusinessHoursRead.model_validate(hours) for hours in admin.list_business_hours(session, principal)]


@router.post("/business-hours", status_code=201, response_model=BusinessHoursRead, responses=error_responses(409, 422))
def create_business_hours(
    data: BusinessHoursCreate, session: DbSession, principal: AdminPrincipal
) -> BusinessHoursRead:
    return BusinessHoursRead.model_validate(admin.create_business_hours(session, data, principal))


@router.patch("/business-hours/{hours_id}", response_model=BusinessHoursRead, responses=error_responses(404, 409, 422))
def update_business_hours(
    hours_id: int, data: BusinessHoursUpdate, session: DbSession, principal: AdminPrincipal
) -> BusinessHoursRead:
    return BusinessHoursRead.model_validate(admin.update_business_hours(session, hours_id, data, principal))
