"""The team in the JSON API (admins only; ``accounts.team``).

- ``GET /api/v1/users``: team members (agents and admins) by default; ``?role=customer`` lists
  customer accounts; ``?active=`` keeps only active or deactivated ones. Paged like other lists.
- ``POST /api/v1/users``: invite someone (201); the invitation, a link to choose a password,
  is queued for their address in the same transaction.
- ``PATCH /api/v1/users/{id}``: change a role (agent/admin), name or language, deactivate (their
  sessions and API tokens end at once) or reactivate. The last active admin stays one (409).
- ``POST /api/v1/users/{id}/invitation``: e-mail a pending invitation again (202).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from accounts import guards, team
from accounts.models import LinkPurpose, Role, User
from accounts.schemas import InvitationSent, UserInvite, UserPage, UserRead, UserUpdate
from accounts.service import Principal
from helpdesk.email.account_link_mail import send_account_link
from web.deps import API_SIGN_IN, AdminPrincipal, DbSession
from web.openapi import error_responses

router = APIRouter(prefix="/api/v1/users", tags=["team"])


def user_read(user: User) -> UserRead:
    fields = {name: getattr(user, name) for name in UserRead.model_fields if name != "invitation_pending"}
    return UserRead(**fields, invitation_pending=team.pending_invitation(user))


def _actor(principal: Principal) -> User:
    return guards.require_user(principal, API_SIGN_IN)


@router.get("", response_model=UserPage)
def list_users(
    session: DbSession,
    principal: AdminPrincipal,
    role: Annotated[
        Role | None, Query(description="only this role; team members (agents and admins) if omitted")
    ] = None,
    active: Annotated[bool | None, Query(description="only active (true) or deactivated (false) accounts")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=team.MAX_PAGE_SIZE)] = 25,
) -> UserPage:
    """Users oldest first: the team by default."""
    found = team.users_page(session, role=role, active=active, page=page, page_size=page_size)
    return UserPage(items=[user_read(user) for user in found.items], page=page, page_size=page_size, total=found.total)


@router.post("", status_code=201, response_model=UserRead, responses=error_responses(409))
def invite_user(data: UserInvite, session: DbSession, principal: AdminPrincipal) -> UserRead:
    """Invite an agent or admin: their account waits for them to choose a password by the e-mailed link."""
    user = team.invite_user(
        session, email=data.email, name=data.name, role=data.role, language=data.language, actor=_actor(principal)
    )
    send_account_link(session, user.email, LinkPurpose.INVITATION)
    return user_read(user)


@router.patch("/{user_id}", response_model=UserRead, responses=error_responses(409))
def update_user(user_id: int, data: UserUpdate, session: DbSession, principal: AdminPrincipal) -> UserRead:
    """Change a role, name or language; deactivate or reactivate. Fields left out stay as they are."""
    # An explicit null language clears it (the site's default applies); a missing one leaves it.
    language = data.language if data.language is not None else ("" if "language" in data.model_fields_set else None)
    user = team.update_user(
        session,
        user_id,
        actor=_actor(principal),
        role=data.role,
        is_active=data.is_active,
        name=data.name,
        language=language,
    )
    return user_read(user)


@router.post("/{user_id}/invitation", status_code=202, response_model=InvitationSent, responses=error_responses(409))
def resend_invitation(user_id: int, session: DbSession, principal: AdminPrincipal) -> InvitationSent:
    """E-mail a pending invitation again, with a new link (the earlier ones keep working until they expire)."""
    user = team.resend_invitation(session, user_id, actor=_actor(principal))
    sent = send_account_link(session, user.email, LinkPurpose.INVITATION)
    return InvitationSent(user_id=user.id, queued=sent is not None)
