"""Agents' notifications pages: the bell's count, the list, marking read, and the preferences.

The bell in the header (``agent/_bell.html``) asks ``/agent/notifications/bell`` for the unread
count on load and every 20 seconds. Every change is a POST with the CSRF token; each agent sees
and marks only their own notifications.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from accounts.models import User
from accounts.service import Principal
from aftercare.errors import DomainError
from helpdesk.notifications import service
from helpdesk.notifications.models import NotificationKind
from web.csrf import verify_csrf
from web.deps import AppSettings, DbSession, PageStaff
from web.i18n import N_
from web.templating import render

router = APIRouter(prefix="/agent/notifications", include_in_schema=False)
PAGE_SIZE = 50

KIND_LABELS = {
    NotificationKind.NEW_TICKET: N_("New tickets"),
    NotificationKind.ASSIGNED: N_("A ticket is assigned to me"),
    NotificationKind.MENTIONED: N_("I am mentioned in a note"),
    NotificationKind.CUSTOMER_REPLIED: N_("The customer replies on my ticket"),
}


def _user(principal: Principal) -> User:
    assert principal.user is not None  # staff pages are signed-in users
    return principal.user


@router.get("/bell")
def bell(request: Request, session: DbSession, principal: PageStaff) -> Response:
    count = service.unread_count(session, _user(principal).id)
    return render(request, "agent/_bell_count.html", {"unread": count}, headers={"Cache-Control": "no-store"})


@router.get("")
def notifications_page(
    request: Request,
    session: DbSession,
    principal: PageStaff,
    unread: bool = False,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    user = _user(principal)
    found = service.list_notifications(session, user.id, unread_only=unread, limit=PAGE_SIZE, before_id=before)
    older = found[-1].id if len(found) == PAGE_SIZE else None
    context = {
        "notifications": found,
        "unread_count": service.unread_count(session, user.id),
        "unread_only": unread,
        "older_url": f"/agent/notifications?before={older}" + ("&unread=true" if unread else "") if older else None,
    }
    return render(request, "agent/notifications.html", context)


@router.post("/read", dependencies=[Depends(verify_csrf)])
def mark_read(
    session: DbSession,
    principal: PageStaff,
    ids: Annotated[list[int], Form()] = [],  # noqa: B006 - FastAPI copies form defaults
    all: Annotated[str, Form()] = "",
) -> Response:
    service.mark_read(session, _user(principal).id, ids=ids, everything=bool(all))
    return RedirectResponse("/agent/notifications", status_code=303)


def _preferences_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    user: User,
    *,
    saved: bool,
    error: str = "",
    status_code: int = 200,
) -> Response:
    context = {
        "preferences": list(service.preferences(session, user.id).values()),
        "labels": KIND_LABELS,
        "languages": settings.languages,
        "saved": saved,
        "error": error,
    }
    return render(request, "agent/notification_preferences.html", context, status_code=status_code)


@router.get("/preferences")
def preferences_page(
    request: Request, session: DbSession, settings: AppSettings, principal: PageStaff, saved: bool = False
) -> Response:
    return _preferences_page(request, session, settings, _user(principal), saved=saved)


@router.post("/preferences", dependencies=[Depends(verify_csrf)])
def save_preferences(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PageStaff,
    # Checkboxes: each ticked box sends its kind; an unticked one sends nothing.
    in_app: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies form defaults
    email: Annotated[list[str], Form()] = [],  # noqa: B006
    languages: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    choices = [
        service.Preference(
            kind=kind,
            in_app=kind.value in in_app,
            email=kind.value in email,
            languages=tuple(languages) if kind == NotificationKind.NEW_TICKET else (),
        )
        for kind in NotificationKind
    ]
    user = _user(principal)
    try:
        with session.begin_nested():
            service.set_preferences(session, user.id, choices)
    except DomainError as error:
        return _preferences_page(
            request, session, settings, user, saved=False, error=error.message, status_code=error.status_code
        )
    return RedirectResponse("/agent/notifications/preferences?saved=true", status_code=303)
