"""The audit trail of accounts and personal data (invitations, role changes, (de)activations, exports,
erasures) and of how tickets are routed and timed (teams, routing rules, SLA policies, business hours).

Entries are written in the same transaction as the change they record, so one never exists without
the other. They name people by id only: the trail must survive an erasure without keeping what was erased.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import AuditEntry, User


class AuditAction(StrEnum):
    USER_INVITED = "user.invited"
    USER_ROLE_CHANGED = "user.role_changed"
    USER_RENAMED = "user.renamed"
    USER_LANGUAGE_CHANGED = "user.language_changed"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    PASSWORD_SET = "user.password_set"
    CUSTOMER_UPDATED = "customer.updated"
    CUSTOMER_EXPORTED = "customer.exported"
    CUSTOMER_ERASURE_REQUESTED = "customer.erasure_requested"
    CUSTOMER_ERASED = "customer.erased"
    # Help-desk operations (helpdesk.operations.admin): who changed how tickets are routed and timed.
    TEAM_CREATED = "team.created"
    TEAM_UPDATED = "team.updated"
    TEAM_MEMBER_SET = "team.member_set"
    TEAM_MEMBER_REMOVED = "team.member_removed"
    ROUTING_RULE_CREATED = "routing_rule.created"
    ROUTING_RULE_UPDATED = "routing_rule.updated"
    ROUTING_RULE_DELETED = "routing_rule.deleted"
    SLA_POLICY_CREATED = "sla_policy.created"
    SLA_POLICY_UPDATED = "sla_policy.updated"
    SLA_POLICY_DELETED = "sla_policy.deleted"
    BUSINESS_HOURS_CREATED = "business_hours.created"
    BUSINESS_HOURS_UPDATED = "business_hours.updated"


class AuditTarget(StrEnum):
    USER = "user"
    CUSTOMER = "customer"
    TEAM = "team"
    ROUTING_RULE = "routing_rule"
    SLA_POLICY = "sla_policy"
    BUSINESS_HOURS = "business_hours"


def record_audit(
    session: Session,
    action: AuditAction,
    target_type: AuditTarget,
    target_id: int | None,
    *,
    actor: User | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        action=str(action),
        target_type=str(target_type),
        target_id=target_id,
        actor_user_id=actor.id if actor is not None else None,
        details=details or {},
    )
    session.add(entry)
    session.flush()
    return entry


def audit_entries(
    session: Session,
    *,
    target_type: AuditTarget | None = None,
    target_id: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """The newest entries first, optionally about one target."""
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)
    if target_type is not None:
        query = query.where(AuditEntry.target_type == str(target_type))
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    return list(session.scalars(query))
