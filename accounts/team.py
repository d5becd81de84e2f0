"""The team: inviting staff, changing their roles, deactivating and reactivating accounts.

Only admins change the team. An invitation makes an active staff user with no password (the
invitation is pending until they choose one by the e-mailed link). Deactivating ends the person's
access at once, in the same transaction: their login sessions are deleted and their API tokens
revoked (reactivation gives neither back; they sign in again). The last active admin can be
neither demoted nor deactivated, whoever asks, so that someone can always manage the team.

Every change writes an audit entry (``accounts.audit``) with its actor and what changed, never a
password or the person's name; a request that changes nothing writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from accounts.audit import AuditAction, AuditTarget, audit_entries, record_audit
from accounts.models import ApiToken, AuditEntry, LoginSession, Role, User
from accounts.service import create_user, end_all_login_sessions, normalize_email
from aftercare.config import get_settings
from aftercare.db import utcnow
from aftercare.errors import Conflict, Forbidden, NotFound, ValidationFailed
from aftercare.pagination import Page, page_offset, paginate

STAFF_ROLES = (Role.AGENT, Role.ADMIN)
MAX_PAGE_SIZE = 100


class LastAdmin(Conflict):
    """The change would leave no active admin."""

    code = "last_admin"


class AddressTaken(Conflict):
    """The invited address already has an account: a team member's (``staff``) or a customer's."""

    code = "address_taken"

    def __init__(self, message: str, *, staff: bool) -> None:
        super().__init__(message)
        self.staff = staff


def pending_invitation(user: User) -> bool:
    """A staff member who has not yet chosen a password (by the invitation's link)."""
    return user.is_staff and user.password_hash is None


def _staff_query() -> Select[User]:
    return select(User).where(User.role.in_([str(role) for role in STAFF_ROLES]))


def list_team(session: Session, *, include_inactive: bool = True) -> list[User]:
    """Staff users, oldest first (the order they joined)."""
    query = _staff_query().order_by(User.created_at, User.id)
    if not include_inactive:
        query = query.where(User.is_active.is_(True))
    return list(session.scalars(query))


def users_page(
    session: Session, *, role: Role | None = None, active: bool | None = None, page: int = 1, page_size: int = 25
) -> Page[User]:
    """One page of users, oldest first: staff unless ``role`` names one, all or only (in)active ones."""
    offset = page_offset(page, page_size, max_page_size=MAX_PAGE_SIZE)
    query = select(User).where(User.role == str(role)) if role is not None else _staff_query()
    if active is not None:
        query = query.where(User.is_active.is_(active))
    return paginate(session, query.order_by(User.created_at, User.id), offset=offset, limit=page_size)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def _require_admin(actor: User) -> None:
    # Routes check this too; a service that changes the team says no to anyone else by itself.
    if actor.role != Role.ADMIN or not actor.is_active:
        raise Forbidden("only admins change the team")


def _check_language(language: str | None) -> str | None:
    if language is None or language == "":
        return None
    languages = get_settings().languages
    if language not in languages:
        raise ValidationFailed(f"language must be one of {', '.join(languages)}")
    return language


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationFailed("name must not be empty")
    return name


def invite_user(
    session: Session, *, email: str, name: str, role: Role, language: str | None = None, actor: User
) -> User:
    """A new staff member whose invitation is pending; the caller e-mails the invitation link."""
    _require_admin(actor)
    if role not in STAFF_ROLES:
        raise ValidationFailed("an invitation is for an agent or an admin")
    email = normalize_email(email)
    existing = session.scalar(select(User).where(User.email == email))
    if existing is not None:
        if existing.is_staff:
            raise AddressTaken(f"{email} is already on the team", staff=True)
        raise AddressTaken(f"{email} belongs to a customer account; invite staff with another address", staff=False)
    user = create_user(
        session, email=email, name=_check_name(name), role=role, language=_check_language(language), password=None
    )
    record_audit(session, AuditAction.USER_INVITED, AuditTarget.USER, user.id, actor=actor, details={"role": str(role)})
    return user


def resend_invitation(session: Session, user_id: int, *, actor: User) -> User:
    """Check that a pending invitation may go out again and record it; the caller e-mails the link."""
    _require_admin(actor)
    user = get_user(session, user_id)
    if not pending_invitation(user):
        raise Conflict(f"{user.email} has no pending invitation")
    if not user.is_active:
        raise Conflict(f"{user.email} is deactivated: reactivate them before resending the invitation")
    record_audit(
        session,
        AuditAction.USER_INVITED,
        AuditTarget.USER,
        user.id,
        actor=actor,
        details={"role": str(user.role), "resent": True},
    )
    return user


def _other_active_admins(session: Session, user: User) -> int:
    # FOR UPDATE (PostgreSQL) makes two admins demoting each other at once take turns: the second
    # re-reads the first's committed change and finds no other admin left. SQLite writers are
    # serialised already.
    query = (
        select(User.id)
        .where(User.role == str(Role.ADMIN), User.is_active.is_(True), User.id != user.id)
        .with_for_update()
    )
    return len(list(session.scalars(query)))


def _end_access(session: Session, user: User, now: datetime) -> dict[str, int]:
    """Delete the user's login sessions and revoke their live API tokens; how many of each."""
    ended = end_all_login_sessions(session, user)
    revoked = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    # Bulk statements bypass the identity map: objects already loaded must not keep stale values.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, LoginSession | ApiToken) and getattr(obj, "user_id", None) == user.id:
            session.expire(obj)
    return {
        "sessions_ended": ended,
        "tokens_revoked": revoked.rowcount if isinstance(revoked, CursorResult) else 0,
    }


def update_user(
    session: Session,
    user_id: int,
    *,
    actor: User,
    role: Role | None = None,
    is_active: bool | None = None,
    name: str | None = None,
    language: str | None = None,
) -> User:
    """Change a user's role (agent/admin), active state, name or language; ``None`` leaves it as it is.

    Everything is checked before anything changes, so a refused request changes nothing.
    ``language=""`` clears the language (the site's default applies).
    """
    _require_admin(actor)
    user = get_user(session, user_id)
    new_role = user.role if role is None else role
    new_active = user.is_active if is_active is None else is_active
    new_name = user.name if name is None else _check_name(name)
    new_language = user.language if language is None else _check_language(language)

    if new_role != user.role:
        if not user.is_staff:
            raise Conflict(f"{user.email} is a customer account: customers are not made staff here")
        if new_role not in STAFF_ROLES:
            raise ValidationFailed("a team member's role is agent or admin")
    stays_admin = new_role == Role.ADMIN and new_active
    if user.role == Role.ADMIN and user.is_active and not stays_admin and _other_active_admins(session, user) == 0:
        raise LastAdmin(f"{user.email} is the last active admin: make someone else an admin first")

    if new_name != user.name:
        user.name = new_name
        # The name itself is personal data: the trail says only that it changed.
        record_audit(session, AuditAction.USER_RENAMED, AuditTarget.USER, user.id, actor=actor)
    if new_language != user.language:
        details = {"from": user.language, "to": new_language}
        user.language = new_language
        record_audit(
            session, AuditAction.USER_LANGUAGE_CHANGED, AuditTarget.USER, user.id, actor=actor, details=details
        )
    if new_role != user.role:
        details = {"from": str(user.role), "to": str(new_role)}
        user.role = new_role
        record_audit(session, AuditAction.USER_ROLE_CHANGED, AuditTarget.USER, user.id, actor=actor, details=details)
    if new_active != user.is_active:
        user.is_active = new_active
        session.flush()
        if new_active:
            record_audit(session, AuditAction.USER_REACTIVATED, AuditTarget.USER, user.id, actor=actor)
        else:
            ended = _end_access(session, user, utcnow())
            record_audit(session, AuditAction.USER_DEACTIVATED, AuditTarget.USER, user.id, actor=actor, details=ended)
    session.flush()
    return user


@dataclass(frozen=True)
class TeamActivity:
    """One audit entry about a user, with the names of who did it and to whom (as they are now)."""

    entry: AuditEntry
    actor_name: str | None
    target_name: str | None

    @property
    def details(self) -> dict[str, Any]:
        return self.entry.details or {}


def team_activity(session: Session, *, limit: int = 20) -> list[TeamActivity]:
    """The newest audit entries about users; a name is None for the system or a user no longer here."""
    entries = audit_entries(session, target_type=AuditTarget.USER, limit=limit)
    ids = {entry.target_id for entry in entries if entry.target_id is not None}
    ids |= {entry.actor_user_id for entry in entries if entry.actor_user_id is not None}
    names: dict[int, str] = {}
    if ids:
        names = {user_id: name for user_id, name in session.execute(select(User.id, User.name).where(User.id.in_(ids)))}
    return [
        TeamActivity(
            entry=entry,
            actor_name=names.get(entry.actor_user_id) if entry.actor_user_id is not None else None,
            target_name=names.get(entry.target_id) if entry.target_id is not None else None,
        )
        for entry in entries
    ]
