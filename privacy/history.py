"""The privacy part of the audit trail, for the admin page: exports and erasures, newest first, with who did them.

Entries name the customer by id only (``accounts.audit``); the actor is a staff user, the customer
themself (their own export), or nobody: the retention job, or a customer confirming by e-mail link.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.audit import AuditAction, AuditTarget
from accounts.models import AuditEntry, User

PRIVACY_ACTIONS = (
    AuditAction.CUSTOMER_EXPORTED,
    AuditAction.CUSTOMER_ERASURE_REQUESTED,
    AuditAction.CUSTOMER_ERASED,
)


@dataclass(frozen=True)
class PrivacyEvent:
    entry: AuditEntry
    actor: User | None


def recent_privacy_events(session: Session, *, limit: int = 20) -> list[PrivacyEvent]:
    query = (
        select(AuditEntry, User)
        .outerjoin(User, User.id == AuditEntry.actor_user_id)
        .where(
            AuditEntry.target_type == str(AuditTarget.CUSTOMER),
            AuditEntry.action.in_([str(action) for action in PRIVACY_ACTIONS]),
        )
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return [PrivacyEvent(entry, actor) for entry, actor in session.execute(query)]
