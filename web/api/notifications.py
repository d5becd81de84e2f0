"""Agents' notifications in the JSON API (staff only; each agent sees only their own).

- ``GET /api/v1/notifications?unread=true``: newest first, with the unread count.
- ``POST /api/v1/notifications/read`` ``{"ids": [...]}`` or ``{"all": true}``.
- ``GET`` / ``PUT /api/v1/notification-preferences``: per kind, in-app and e-mail on or off.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from accounts import guards
from accounts.models import User
from accounts.service import Principal
from helpdesk.notifications import service
from helpdesk.notifications.models import Notification
from helpdesk.notifications.schemas import (
    MarkedRead,
    NotificationList,
    NotificationPreferenceRead,
    NotificationPreferencesUpdate,
    NotificationRead,
    NotificationsRead,
)
from web.deps import API_SIGN_IN, DbSession, StaffPrincipal

router = APIRouter(prefix="/api/v1", tags=["notifications"])


def _user(principal: Principal) -> User:
    return guards.require_user(principal, API_SIGN_IN)


def notification_read(notification: Notification) -> NotificationRead:
    anchor = f"#message-{notification.message_id}" if notification.message_id is not None else ""
    return NotificationRead(
        id=notification.id,
        kind=notification.kind,
        ticket_id=notification.ticket_id,
        ticket_subject=notification.ticket.subject,
        message_id=notification.message_id,
        actor_user_id=notification.actor_user_id,
        actor_name=notification.actor.name if notification.actor is not None else None,
        created_at=notification.created_at,
        read_at=notification.read_at,
        url=f"/agent/tickets/{notification.ticket_id}{anchor}",
    )


@router.get("/notifications", response_model=NotificationList)
def list_notifications(
    session: DbSession,
    principal: StaffPrincipal,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)] = 50,
    before_id: Annotated[int | None, Query(ge=1, description="page on: older than this notification")] = None,
) -> NotificationList:
    user = _user(principal)
    found = service.list_notifications(session, user.id, unread_only=unread, limit=limit, before_id=before_id)
    return NotificationList(
        items=[notification_read(n) for n in found], unread_count=service.unread_count(session, user.id)
    )


@router.post("/notifications/read", response_model=MarkedRead)
def mark_read(data: NotificationsRead, session: DbSession, principal: StaffPrincipal) -> MarkedRead:
    """Mark your notifications read; ids of others' notifications change nothing."""
    user = _user(principal)
    marked = service.mark_read(session, user.id, ids=data.ids, everything=data.all)
    return MarkedRead(marked=marked, unread_count=service.unread_count(session, user.id))


def _preferences_read(session: DbSession, user_id: int) -> list[NotificationPreferenceRead]:
    return [
        NotificationPreferenceRead(kind=p.kind, in_app=p.in_app, email=p.email, languages=list(p.languages))
        for p in service.preferences(session, user_id).values()
    ]


@router.get("/notification-preferences", response_model=list[NotificationPreferenceRead])
def get_preferences(session: DbSession, principal: StaffPrincipal) -> list[NotificationPreferenceRead]:
    return _preferences_read(session, _user(principal).id)


@router.put("/notification-preferences", response_model=list[NotificationPreferenceRead])
def put_preferences(
    data: NotificationPreferencesUpdate, session: DbSession, principal: StaffPrincipal
) -> list[NotificationPreferenceRead]:
    """Set the given kinds (the others keep their settings); the result lists every kind."""
    user = _user(principal)
    service.set_preferences(
        session,
        user.id,
        [
            service.Preference(kind=p.kind, in_app=p.in_app, email=p.email, languages=tuple(p.languages))
            for p in data.preferences
        ],
    )
    return _preferences_read(session, user.id)
