"""Routing rules on new tickets and assignment inside a team (round robin, least open, skills, caps)."""

from __future__ import annotations

from helpdesk.models import TicketPriority
from helpdesk.operations import admin as ops
from helpdesk.operations.models import AssignmentMethod
from helpdesk.operations.schemas import RoutingRuleCreate, TeamCreate, TeamMemberSet
from tests.factories import create_staff, create_ticket

POLISH_BODY = "Dzień dobry, mój termostat nie łączy się z siecią Wi-Fi od wczoraj. Co mam zrobić?"


def _team(session, admin, name, members, assignment=AssignmentMethod.ROUND_ROBIN):
    team = ops.create_team(session, TeamCreate(name=name, languages=["pl"], assignment=assignment), admin)
    for user, extra in members:
        ops.set_member(session, team.id, TeamMemberSet(user_id=user.id, **extra), admin)
    return team


def _route_polish_to(session, admin, team):
    ops.create_routing_rule(
        session,
        RoutingRuleCreate(name="Polish", conditions={"language": "pl"}, actions={"team_id": team.id}),
        admin,
    )


def test_polish_tickets_go_to_the_polish_desk_round_robin(session, admin):
    a, b = create_staff(session, name="Agnieszka"), create_staff(session, name="Bartek")
    desk = _team(session, admin, "Polish desk", [(a, {"languages": ["pl"]}), (b, {"languages": ["pl"]})])
    _route_polish_to(session, admin, desk)

    tickets = [create_ticket(session, subject="Termostat offline", body=POLISH_BODY, language="pl") for _ in range(3)]

    assert [t.team_id for t in tickets] == [desk.id] * 3
    # A, B, then A again: each in turn.
    assert [t.assignee_id for t in tickets] == [a.id, b.id, a.id]


def test_a_ticket_no_rule_matches_stays_unrouted(session, admin):
    a = create_staff(session)
    _route_polish_to(session, admin, _team(session, admin, "Polish desk", [(a, {})]))
    ticket = create_ticket(session, language="en")
    assert (ticket.team_id, ticket.assignee_id) == (None, None)


def test_the_first_matching_rule_wins(session, admin):
    a, b = create_staff(session), create_staff(session)
    warranty = _team(session, admin, "Warranty", [(a, {})])
    general = _team(session, admin, "General", [(b, {})])
    ops.create_routing_rule(
        session,
        RoutingRuleCreate(
            name="Warranty words",
            conditions={"keywords": ["warranty", "gwarancja"]},
            actions={"team_id": warranty.id, "priority": "high", "tags": ["warranty"]},
        ),
        admin,
    )
    ops.create_routing_rule(session, RoutingRuleCreate(name="All", actions={"team_id": general.id}), admin)

    ticket = create_ticket(session, subject="Is this under warranty?", body="The screen cracked after a week.")

    assert ticket.team_id == warranty.id
    assert ticket.priority == TicketPriority.HIGH
    assert ticket.tags == ["warranty"]


def test_unavailable_and_capped_agents_are_skipped(session, admin):
    away, full, free = create_staff(session), create_staff(session), create_staff(session)
    team = _team(
        session,
        admin,
        "Desk",
        [(away, {"available": False}), (full, {"max_open_tickets": 1}), (free, {})],
    )
    ops.create_routing_rule(session, RoutingRuleCreate(name="All", actions={"team_id": team.id}), admin)

    first, second, third = (create_ticket(session) for _ in range(3))

    # "full" takes one and reaches the cap; "away" never gets any.
    assert [first.assignee_id, second.assignee_id, third.assignee_id] == [full.id, free.id, free.id]


def test_members_speaking_the_language_come_first(session, admin):
    english, polish = create_staff(session), create_staff(session)
    team = _team(session, admin, "Desk", [(english, {"languages": ["en"]}), (polish, {"languages": ["pl"]})])
    ops.create_routing_rule(session, RoutingRuleCreate(name="All", actions={"team_id": team.id}), admin)

    tickets = [create_ticket(session, subject="Termostat", body=POLISH_BODY, language="pl") for _ in range(2)]

    assert [t.assignee_id for t in tickets] == [polish.id, polish.id]


def test_least_open_picks_the_agent_with_fewest_unsolved_tickets(session, admin):
    busy, idle = create_staff(session), create_staff(session)
    team = _team(session, admin, "Desk", [(busy, {}), (idle, {})], assignment=AssignmentMethod.LEAST_OPEN)
    for _ in range(2):
        create_ticket(session).assignee_id = busy.id
    session.flush()
    ops.create_routing_rule(session, RoutingRuleCreate(name="All", actions={"team_id": team.id}), admin)

    assert create_ticket(session).assignee_id == idle.id


def test_routing_is_on_the_ticket_history(session, admin):
    a = create_staff(session)
    team = _team(session, admin, "Desk", [(a, {})])
    ops.create_routing_rule(session, RoutingRuleCreate(name="All", actions={"team_id": team.id}), admin)

    ticket = create_ticket(session)

    assert [(e.field, e.new_value, e.actor_user_id) for e in ticket.events] == [
        ("team", str(team.id), None),
        ("assignee", str(a.id), None),
    ]
