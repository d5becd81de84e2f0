"""The team service: invitations, role changes, deactivation and reactivation, the last admin, the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.audit import AuditAction, AuditTarget, audit_entries
from accounts.models import ApiToken, LoginSession, Role
from accounts.service import create_api_token, resolve_login_session, start_login_session
from accounts.team import (
    AddressTaken,
    LastAdmin,
    invite_user,
    list_team,
    pending_invitation,
    resend_invitation,
    team_activity,
    update_user,
    users_page,
)
from aftercare.errors import Conflict, Forbidden, ValidationFailed
from tests.factories import create_customer_user, create_staff, unique_email


def _trail(session, user):
    return [
        (entry.action, entry.details)
        for entry in audit_entries(session, target_type=AuditTarget.USER, target_id=user.id)
    ]


def test_invite_makes_an_active_staff_user_whose_invitation_is_pending(session):
    admin = create_staff(session, role=Role.ADMIN)
    user = invite_user(session, email="New.Agent@Example.com", name=" Nadia ", role=Role.AGENT, actor=admin)
    assert (user.email, user.name, user.role, user.is_active) == ("new.agent@example.com", "Nadia", Role.AGENT, True)
    assert pending_invitation(user)


def test_invite_is_audited_with_its_actor_and_role(session):
    admin = create_staff(session, role=Role.ADMIN)
    user = invite_user(session, email=unique_email(), name="Ines", role=Role.ADMIN, actor=admin)
    [entry] = audit_entries(session, target_type=AuditTarget.USER, target_id=user.id)
    assert (entry.action, entry.actor_user_id, entry.details) == (AuditAction.USER_INVITED, admin.id, {"role": "admin"})


def test_inviting_a_team_members_address_is_a_conflict_that_says_so(session):
    admin = create_staff(session, role=Role.ADMIN)
    agent = create_staff(session)
    with pytest.raises(AddressTaken, match="already on the team") as caught:
        invite_user(session, email=agent.email.upper(), name="Again", role=Role.AGENT, actor=admin)
    assert caught.value.staff


def test_inviting_a_customers_address_is_a_conflict_that_says_so(session):
    admin = create_staff(session, role=Role.ADMIN)
    customer = create_customer_user(session)
    with pytest.raises(AddressTaken, match="customer account") as caught:
        invite_user(session, email=customer.email, name="Casey", role=Role.AGENT, actor=admin)
    assert not caught.value.staff


def test_an_invitation_is_for_agents_and_admins_only(session):
    admin = create_staff(session, role=Role.ADMIN)
    with pytest.raises(ValidationFailed):
        invite_user(session, email=unique_email(), name="Cust", role=Role.CUSTOMER, actor=admin)


def test_an_invitation_in_a_language_the_site_does_not_offer_is_refused(session):
    admin = create_staff(session, role=Role.ADMIN)
    with pytest.raises(ValidationFailed, match="language"):
        invite_user(session, email=unique_email(), name="Kim", role=Role.AGENT, language="xx", actor=admin)


def test_agents_cannot_invite(session):
    agent = create_staff(session)
    with pytest.raises(Forbidden):
        invite_user(session, email=unique_email(), name="Friend", role=Role.AGENT, actor=agent)


def test_role_change_is_audited_with_from_and_to(session):
    admin = create_staff(session, role=Role.ADMIN)
    agent = create_staff(session)
    update_user(session, agent.id, actor=admin, role=Role.ADMIN)
    assert agent.role == Role.ADMIN
    assert _trail(session, agent) == [(AuditAction.USER_ROLE_CHANGED, {"from": "agent", "to": "admin"})]


def test_a_change_to_what_is_already_there_writes_nothing(session):
    admin = create_staff(session, role=Role.ADMIN)
    agent = create_staff(session, language="en")
    update_user(session, agent.id, actor=admin, role=Role.AGENT, is_active=True, name=agent.name, language="en")
    assert _trail(session, agent) == []


def test_a_rename_is_audited_without_the_name(session):
    admin = create_staff(session, role=Role.ADMIN)
    agent = create_staff(session)
    update_user(session, agent.id, actor=admin, name="Renata Renamed")
    assert _trail(session, agent) == [(AuditAction.USER_RENAMED, {})]


def test_customers_are_not_made_staff_here(session):
    admin = create_staff(session, role=Role.ADMIN)
    customer = create_customer_user(session)
    with pytest.raises(Conflict, match="customer account"):
        update_user(session, customer.id, actor=admin, role=Role.AGENT)


def test_staff_are_not_made_customers_here(session):
    admin = create_staff(session, role=Role.ADMIN)
    agent = create_staff(session)
    with pytest.raises(ValidationFailed):
        update_user(session, agent.id, actor=admin, role=Role.CUSTOMER)


def test_deactivation_ends_login_sessions_and_revokes_api_tokens(session):
    admin = create_staff(session, role=Role.ADMIN)
    agent = create_staff(session)
    cookie = start_login_session(session, agent, lifetime=timedelta(hours=1))
    create_api_token(session, agent, name="ci")
    update_user(session, agent.id, actor=admin, is_active=False)
    assert session.scalars(select(LoginSession).where(LoginSession.user_id == agent.id)).all() == []
    assert all(
        token.revoked_at is not None for token in session.scalars(select(ApiToken).where(ApiToken.user_id == agent.id))
    )
    assert resolve_login_session(session, cookie) is None


def test_deactivation_is_audited_with_what_ended(session):
    admin = create_staff(session, role=Role.ADMIN)
    agent = create_staff(session)
    start_login_session(session, agent, lifetime=timedelta(hours=1))
    update_user(session, agent.id, actor=admin, is_active=False)
    assert _trail(session, agent) == [(AuditAction.USER_DEACTIVATED, {"sessions_ended": 1, "tokens_revoked": 0})]


def test_reactivation_makes_the_account_active_again_and_is_audited(session):
    admin = create_staff(session, role=Role.ADMIN)
    agent = create_staff(session)
    update_user(session, agent.id, actor=admin, is_active=False)
    update_user(session, agent.id, actor=admin, is_active=True)
    assert agent.is_active
    assert _trail(session, agent)[0] == (AuditAction.USER_REACTIVATED, {})


def test_the_last_admin_cannot_demote_themselves(session):
    admin = create_staff(session, role=Role.ADMIN)
    with pytest.raises(LastAdmin):
        update_user(session, admin.id, actor=admin, role=Role.AGENT)
    assert admin.role == Role.ADMIN


def test_the_last_admin_cannot_deactivate_themselves(session):
    admin = create_staff(session, role=Role.ADMIN)
    with pytest.raises(LastAdmin):
        update_user(session, admin.id, actor=admin, is_active=False)
    assert admin.is_active


def test_a_refused_change_changes_nothing_else_it_asked_for(session):
    admin = create_staff(session, role=Role.ADMIN)
    name = admin.name
    with pytest.raises(LastAdmin):
        update_user(session, admin.id, actor=admin, role=Role.AGENT, name="Someone Else")
    assert (admin.name, _trail(session, admin)) == (name, [])


def test_an_admin_may_step_down_once_a_second_admin_exists(session):
    admin = create_staff(session, role=Role.ADMIN)
    create_staff(session, role=Role.ADMIN)
    update_user(session, admin.id, actor=admin, role=Role.AGENT)
    assert admin.role == Role.AGENT


def test_a_deactivated_admin_does_not_count_as_the_second_admin(session):
    admin = create_staff(session, role=Role.ADMIN)
    other = create_staff(session, role=Role.ADMIN)
    update_user(session, other.id, actor=admin, is_active=False)
    with pytest.raises(LastAdmin):
        update_user(session, admin.id, actor=admin, is_active=False)


def test_the_team_lists_staff_and_not_customers(session):
    agent = create_staff(session)
    customer = create_customer_user(session)
    ids = {user.id for user in list_team(session)}
    assert agent.id in ids and customer.id not in ids


def test_the_team_without_inactive_members_leaves_out_the_deactivated(session):
    admin = create_staff(session, role=Role.ADMIN)
    agent = create_staff(session)
    update_user(session, agent.id, actor=admin, is_active=False)
    assert agent.id not in {user.id for user in list_team(session, include_inactive=False)}


def test_users_page_filters_by_role_and_active_state(session):
    admin = create_staff(session, role=Role.ADMIN)
    agent = create_staff(session)
    update_user(session, agent.id, actor=admin, is_active=False)
    found = users_page(session, role=Role.AGENT, active=False)
    assert ([user.id for user in found.items], found.total) == ([agent.id], 1)


def test_resending_is_for_pending_invitations_only(session):
    admin = create_staff(session, role=Role.ADMIN)
    member = create_staff(session, password="a long enough password")
    with pytest.raises(Conflict, match="no pending invitation"):
        resend_invitation(session, member.id, actor=admin)


def test_resending_a_pending_invitation_is_audited(session):
    admin = create_staff(session, role=Role.ADMIN)
    user = invite_user(session, email=unique_email(), name="Pat", role=Role.AGENT, actor=admin)
    resend_invitation(session, user.id, actor=admin)
    assert _trail(session, user)[0] == (AuditAction.USER_INVITED, {"role": "agent", "resent": True})


def test_team_activity_names_who_did_what_to_whom(session):
    admin = create_staff(session, role=Role.ADMIN, name="Ada Admin")
    agent = create_staff(session, name="Abe Agent")
    update_user(session, agent.id, actor=admin, role=Role.ADMIN)
    newest = team_activity(session, limit=1)[0]
    assert (newest.actor_name, newest.entry.action, newest.target_name) == (
        "Ada Admin",
        AuditAction.USER_ROLE_CHANGED,
        "Abe Agent",
    )
