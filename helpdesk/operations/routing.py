"""Routing a new ticket: the first matching rule sets its team, priority and tags, and the team's
assignment method picks an agent.

Assignment considers members who are available, active agents, and under their cap of unsolved
tickets; when any of them speaks the ticket's language, only those. Round robin keeps a pointer on
the team row (the member who got the last ticket) and takes the row lock first (``FOR UPDATE`` on
PostgreSQL; SQLite has one writer at a time anyway), so two tickets created at once never go to
the same agent by reading the same pointer.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from accounts.models import User
from aftercare.events import record
from helpdesk.events import TicketAssigned
from helpdesk.models import AuditField, Ticket, TicketEvent, TicketPriority, TicketStatus, TicketTag
from helpdesk.operations.conditions import TicketFacts, matches
from helpdesk.operations.models import AssignmentMethod, RoutingRule, Team, TeamMember

UNSOLVED = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


def _event(ticket: Ticket, field: AuditField, old: object, new: object) -> None:
    # No actor: the routing rules did it.
    ticket.events.append(
        TicketEvent(
            field=field, old_value=None if old is None else str(old), new_value=None if new is None else str(new)
        )
    )


def route_ticket(session: Session, ticket: Ticket, facts: TicketFacts) -> RoutingRule | None:
    """Apply the first active rule (by position) the ticket meets; returns it, or None."""
    rules = session.scalars(
        select(RoutingRule).where(RoutingRule.active.is_(True)).order_by(RoutingRule.position, RoutingRule.id)
    )
    rule = next((rule for rule in rules if matches(rule.conditions, facts)), None)
    if rule is None:
        return None
    actions = rule.actions or {}
    if actions.get("priority") and actions["priority"] != ticket.priority:
        _event(ticket, AuditField.PRIORITY, ticket.priority, actions["priority"])
        ticket.priority = TicketPriority(actions["priority"])
    new_tags = sorted(set(actions.get("tags") or []) - set(ticket.tags))
    if new_tags:
        old = ",".join(ticket.tags)
        ticket.tag_rows.extend(TicketTag(tag=tag) for tag in new_tags)
        _event(ticket, AuditField.TAGS, old, ",".join(sorted(ticket.tags)))
    team = session.get(Team, actions["team_id"]) if actions.get("team_id") else None
    if team is not None:
        _event(ticket, AuditField.TEAM, ticket.team_id, team.id)
        ticket.team_id = team.id
        session.flush()
        assign_in_team(session, team.id, ticket)
    return rule


def open_counts(session: Session, user_ids: list[int]) -> dict[int, int]:
    """Unsolved tickets assigned to each of these agents."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(Ticket.assignee_id, func.count(Ticket.id))
        .where(Ticket.assignee_id.in_(user_ids), Ticket.status.in_(UNSOLVED))
        .group_by(Ticket.assignee_id)
    )
    return {int(user_id): int(count) for user_id, count in rows}


def eligible_members(session: Session, team: Team, language: str) -> list[TeamMember]:
    """Who may get a ticket in ``language`` now, in user-id order."""
    members = [m for m in team.members if m.available and m.user.is_active and m.user.is_staff]
    counts = open_counts(session, [m.user_id for m in members])
    members = [m for m in members if m.max_open_tickets is None or counts.get(m.user_id, 0) < m.max_open_tickets]
    speakers = [m for m in members if language in (m.languages or [])]
    return speakers or members


def _after_pointer(members: list[TeamMember], pointer: int | None) -> list[TeamMember]:
    """Members in turn order: those after the pointer, then from the start."""
    if pointer is None:
        return members
    later = [m for m in members if m.user_id > pointer]
    return later + [m for m in members if m.user_id <= pointer]


def assign_in_team(session: Session, team_id: int, ticket: Ticket) -> User | None:
    """Pick an agent of the team for the ticket and assign it; None when nobody may take it."""
    team = session.scalars(
        select(Team)
        .where(Team.id == team_id)
        .options(selectinload(Team.members).selectinload(TeamMember.user))
        .with_for_update(of=Team)
        .execution_options(populate_existing=True)
    ).one()
    if team.assignment == AssignmentMethod.NONE:
        return None
    candidates = _after_pointer(eligible_members(session, team, ticket.language), team.last_assigned_user_id)
    if not candidates:
        return None
    if team.assignment == AssignmentMethod.LEAST_OPEN:
        counts = open_counts(session, [m.user_id for m in candidates])
        # Ties go to whoever is next in turn, so equal loads still take turns.
        chosen = min(candidates, key=lambda m: counts.get(m.user_id, 0))
    else:
        chosen = candidates[0]
    team.last_assigned_user_id = chosen.user_id
    _event(ticket, AuditField.ASSIGNEE, ticket.assignee_id, chosen.user_id)
    ticket.assignee_id = chosen.user_id
    session.flush()
    record(session, TicketAssigned(ticket_id=ticket.id, assignee_id=chosen.user_id, actor_user_id=None))
    return chosen.user
