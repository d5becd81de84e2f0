"""Admin pages for operations (``helpdesk.operations.admin``): ``/admin/teams``, ``/admin/sla``, ``/admin/routing``.

Each lists what there is and has a form to add one (POST with a CSRF token). A refused form is
answered with the page again, the admin's input kept and the reason shown (422); an accepted one
redirects back (POST, redirect, GET). Agents may look; only admins reach these pages.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from accounts.models import Role, User
from accounts.service import Principal
from aftercare.errors import DomainError
from helpdesk.models import TicketChannel, TicketPriority
from helpdesk.operations import admin
from helpdesk.operations.models import AssignmentMethod
from helpdesk.operations.schemas import RoutingRuleCreate, SlaPolicyCreate, TeamCreate, TeamMemberSet
from web import i18n
from web.csrf import verify_csrf
from web.deps import DbSession, PageAdmin
from web.pages.forms import localized_field_errors
from web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
Csrf = [Depends(verify_csrf)]
TEMPLATE = "admin/operations.html"


def _words(value: str) -> list[str]:
    return [word.strip() for word in value.split(",") if word.strip()]


def _blank_none(value: str) -> str | None:
    return value.strip() or None


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    section: str,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    agents = session.query(User).filter(User.role.in_([Role.AGENT, Role.ADMIN]), User.is_active.is_(True)).all()
    context: dict[str, Any] = {
        "section": section,
        "form": form or {},
        "errors": errors or {},
        "teams": [admin.team_read(session, team) for team in admin.list_teams(session, principal)],
        "policies": admin.list_sla_policies(session, principal),
        "rules": admin.list_routing_rules(session, principal),
        "hours": admin.list_business_hours(session, principal),
        "agents": sorted(agents, key=lambda user: user.name),
        "priorities": list(TicketPriority),
        "channels": list(TicketChannel),
        "assignments": list(AssignmentMethod),
    }
    return render(request, TEMPLATE, context, status_code=status_code, headers={"Cache-Control": "no-store"})


async def _form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {key: str(value) for key, value in data.items() if key != "csrf_token"}


def _refused(request: Request, error: Exception) -> dict[str, str]:
    if isinstance(error, ValidationError):
        return localized_field_errors(error, i18n.translator(request))
    assert isinstance(error, DomainError)
    return {"form": error.message}


@router.get("/teams")
def teams_page(request: Request, session: DbSession, principal: PageAdmin) -> Response:
    return _page(request, session, principal, "teams")


@router.post("/teams", dependencies=Csrf)
async def create_team(request: Request, session: DbSession, principal: PageAdmin) -> Response:
    form = await _form(request)
    try:
        data = TeamCreate(
            name=form.get("name", ""),
            languages=_words(form.get("languages", "")),
            assignment=form.get("assignment") or AssignmentMethod.ROUND_ROBIN,
        )
        admin.create_team(session, data, principal)
    except (ValidationError, DomainError) as error:
        return _page(request, session, principal, "teams", form=form, errors=_refused(request, error), status_code=422)
    return RedirectResponse("/admin/teams", status_code=303)


@router.post("/teams/{team_id}/members", dependencies=Csrf)
async def set_member(team_id: int, request: Request, session: DbSession, principal: PageAdmin) -> Response:
    form = await _form(request)
    try:
        cap = _blank_none(form.get("max_open_tickets", ""))
        data = TeamMemberSet(
            user_id=int(form.get("user_id") or 0),
            languages=_words(form.get("languages", "")),
            available=form.get("available") == "on",
            max_open_tickets=int(cap) if cap and cap.isdigit() else None,
        )
        admin.set_member(session, team_id, data, principal)
    except (ValidationError, DomainError) as error:
        return _page(request, session, principal, "teams", form=form, errors=_refused(request, error), status_code=422)
    return RedirectResponse("/admin/teams", status_code=303)


@router.get("/sla")
def sla_page(request: Request, session: DbSession, principal: PageAdmin) -> Response:
    return _page(request, session, principal, "sla")


@router.post("/sla", dependencies=Csrf)
async def create_policy(request: Request, session: DbSession, principal: PageAdmin) -> Response:
    form = await _form(request)
    try:
        conditions = {key: form[key] for key in ("priority", "language", "channel") if form.get(key)}
        hours = _blank_none(form.get("business_hours_id", ""))
        data = SlaPolicyCreate.model_validate(
            {
                "name": form.get("name", ""),
                "conditions": conditions,
                "first_response_minutes": form.get("first_response_minutes") or None,
                "resolution_minutes": form.get("resolution_minutes") or None,
                "business_hours_id": hours,
            },
            strict=False,
        )
        admin.create_sla_policy(session, data, principal)
    except (ValidationError, DomainError) as error:
        return _page(request, session, principal, "sla", form=form, errors=_refused(request, error), status_code=422)
    return RedirectResponse("/admin/sla", status_code=303)


@router.get("/routing")
def routing_page(request: Request, session: DbSession, principal: PageAdmin) -> Response:
    return _page(request, session, principal, "routing")


@router.post("/routing", dependencies=Csrf)
async def create_rule(request: Request, session: DbSession, principal: PageAdmin) -> Response:
    form = await _form(request)
    try:
        conditions: dict[str, Any] = {key: form[key] for key in ("language", "channel") if form.get(key)}
        if _words(form.get("keywords", "")):
            conditions["keywords"] = _words(form.get("keywords", ""))
        actions: dict[str, Any] = {"team_id": _blank_none(form.get("team_id", ""))}
        if form.get("priority"):
            actions["priority"] = form["priority"]
        if _words(form.get("tags", "")):
            actions["tags"] = _words(form.get("tags", ""))
        data = RoutingRuleCreate.model_validate(
            {"name": form.get("name", ""), "conditions": conditions, "actions": actions}, strict=False
        )
        admin.create_routing_rule(session, data, principal)
    except (ValidationError, DomainError) as error:
        return _page(
            request, session, principal, "routing", form=form, errors=_refused(request, error), status_code=422
        )
    return RedirectResponse("/admin/routing", status_code=303)
