"""The operations API contract: teams, routing rules, SLA policies, business hours; ticket reads carry team and SLA."""

from __future__ import annotations

from accounts.audit import AuditAction, audit_entries
from accounts.models import Role
from tests.factories import create_staff, token_for


def _admin(session):
    return token_for(session, create_staff(session, role=Role.ADMIN))


def test_create_a_team_with_languages(client, session):
    response = client.post("/api/v1/teams", json={"name": "Polish desk", "languages": ["pl"]}, headers=_admin(session))
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["languages"], body["members"]) == ("Polish desk", ["pl"], [])


def test_a_team_name_is_taken_once(client, session):
    headers = _admin(session)
    client.post("/api/v1/teams", json={"name": "Warranty"}, headers=headers)
    assert client.post("/api/v1/teams", json={"name": "warranty"}, headers=headers).status_code == 409


def test_agents_may_read_teams_but_not_create_them(client, session):
    agent = token_for(session, create_staff(session))
    assert client.get("/api/v1/teams", headers=agent).status_code == 200
    assert client.post("/api/v1/teams", json={"name": "Mine"}, headers=agent).status_code == 403


def test_routing_rule_contract_and_the_ticket_read(client, session):
    headers = _admin(session)
    agent = create_staff(session, name="Agnieszka")
    team = client.post("/api/v1/teams", json={"name": "Polish desk", "languages": ["pl"]}, headers=headers).json()
    client.put(f"/api/v1/teams/{team['id']}/members", json={"user_id": agent.id, "languages": ["pl"]}, headers=headers)
    rule = client.post(
        "/api/v1/routing-rules",
        json={"name": "Polish", "conditions": {"language": "pl"}, "actions": {"team_id": team["id"], "tags": ["pl"]}},
        headers=headers,
    )
    assert rule.status_code == 201
    assert rule.json()["conditions"]["language"] == "pl"
    policy = client.post(
        "/api/v1/sla-policies",
        json={"name": "Standard", "conditions": {}, "first_response_minutes": 60, "resolution_minutes": 480},
        headers=headers,
    ).json()

    created = client.post(
        "/api/v1/tickets",
        json={
            "customer_email": "jan@example.com",
            "subject": "Termostat",
            "body": "Termostat nie działa.",
            "language": "pl",
        },
        headers=headers,
    ).json()

    assert created["team_id"] == team["id"]
    assert created["assignee"]["id"] == agent.id
    assert created["sla"]["policy_id"] == policy["id"]
    assert created["sla"]["breached"] is False
    assert set(created["sla"]) == {"policy_id", "first_response_due_at", "resolution_due_at", "breached"}


def test_a_rule_that_does_nothing_is_refused(client, session):
    response = client.post(
        "/api/v1/routing-rules", json={"name": "Empty", "conditions": {}, "actions": {}}, headers=_admin(session)
    )
    assert response.status_code == 422


def test_a_rule_naming_a_missing_team_is_refused(client, session):
    response = client.post(
        "/api/v1/routing-rules", json={"name": "Lost", "actions": {"team_id": 999999}}, headers=_admin(session)
    )
    assert response.status_code == 422
    assert "team 999999" in response.json()["detail"]


def test_sla_policy_with_business_hours(client, session):
    headers = _admin(session)
    hours = client.post(
        "/api/v1/business-hours",
        json={
            "name": "Warsaw",
            "timezone": "Europe/Warsaw",
            "intervals": [{"day": 0, "start": "09:00", "end": "17:00"}],
            "holidays": ["2026-12-24"],
        },
        headers=headers,
    )
    assert hours.status_code == 201
    policy = client.post(
        "/api/v1/sla-policies",
        json={
            "name": "Office hours",
            "conditions": {"priority": "urgent"},
            "first_response_minutes": 30,
            "next_response_minutes": 60,
            "resolution_minutes": 240,
            "business_hours_id": hours.json()["id"],
        },
        headers=headers,
    )
    assert policy.status_code == 201
    assert policy.json()["business_hours_id"] == hours.json()["id"]


def test_an_unknown_time_zone_is_refused(client, session):
    response = client.post(
        "/api/v1/business-hours",
        json={
            "name": "Nowhere",
            "timezone": "Mars/Olympus",
            "intervals": [{"day": 0, "start": "09:00", "end": "17:00"}],
        },
        headers=_admin(session),
    )
    assert response.status_code == 422


def test_changes_are_in_the_audit_trail(client, session):
    client.post("/api/v1/teams", json={"name": "Audited"}, headers=_admin(session))
    assert audit_entries(session, limit=1)[0].action == str(AuditAction.TEAM_CREATED)


def test_a_ticket_without_policy_reads_an_empty_sla(client, session):
    headers = _admin(session)
    created = client.post(
        "/api/v1/tickets",
        json={"customer_email": "no-sla@example.com", "subject": "Hello", "body": "A question about my order."},
        headers=headers,
    ).json()
    assert created["team_id"] is None
    assert created["sla"] == {
        "policy_id": None,
        "first_response_due_at": None,
        "resolution_due_at": None,
        "breached": False,
    }
