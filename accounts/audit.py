"""The audit trail of accounts and personal data: invitations, role changes, (de)activations, exports, erasures.

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


class AuditTarget(StrEnum):
    USER = "user"
    CUSTOMER = "customer"


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
