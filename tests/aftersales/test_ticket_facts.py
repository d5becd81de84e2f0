"""Routing on what the requester bought and which segment they are in (``aftersales.ticket_facts``)."""

from __future__ import annotations

import importlib

import pytest

from accounts.models import Role
from accounts.service import principal_for_user
from aftersales import segments
from aftersales.schemas import SegmentCreate, SegmentFilters
from helpdesk.operations import admin as ops
from helpdesk.operations.schemas import RoutingRuleCreate, TeamCreate
from tests.aftersales import factories as f
from tests.factories import create_staff, create_ticket

# As every process does at start (web.app, the CLI).
importlib.import_module("aftersales.ticket_facts")


@pytest.fixture
def admin(session):
    return principal_for_user(create_staff(session, role=Role.ADMIN))


def test_a_buyer_of_a_tagged_product_goes_to_its_team(session, admin):
    buyer = f.customer(session)
    f.buy(session, buyer, f.product(session, tags=["warranty-plus"]))
    team = ops.create_team(session, TeamCreate(name="Warranty"), admin)
    ops.create_routing_rule(
        session,
        RoutingRuleCreate(name="Plus", conditions={"product_tag": "warranty-plus"}, actions={"team_id": team.id}),
        admin,
    )
    assert create_ticket(session, customer_email=buyer.email).team_id == team.id
    assert create_ticket(session).team_id is None


def test_a_segment_member_goes_to_its_team(session, admin):
    polish = f.customer(session, language="pl")
    segment = segments.create_segment(
        session, SegmentCreate(name="Polish buyers", filters=SegmentFilters(languages=["pl"]))
    )
    team = ops.create_team(session, TeamCreate(name="VIP"), admin)
    ops.create_routing_rule(
        session,
        RoutingRuleCreate(name="Segment", conditions={"segment_id": segment.id}, actions={"team_id": team.id}),
        admin,
    )
    assert create_ticket(session, customer_email=polish.email).team_id == team.id
