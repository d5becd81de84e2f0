"""Agents' notifications: who is told what, in the app and by e-mail, as each agent chose.

``notify`` is the one way a notification is made: never to the agent who caused it, never to an
inactive or non-staff account, and only through the channels the agent's preference for that kind
allows (``DEFAULTS`` for a kind the agent never set). In-app notifications are rows; the e-mail
copy goes through the outbox in the same transaction. Reading is per agent: nobody reads or marks
another agent's notifications.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from accounts.models import User
from aftercare.config import get_settings
from aftercare.db import utcnow
from aftercare.errors import ValidationFailed
from helpdesk.email.addressing import one_line
from helpdesk.email.models import EmailKind
from helpdesk.email.outbox import enqueue_email
from helpdesk.email.rendering import render_email
from helpdesk.models import Message, Ticket
from helpdesk.notifications.models import Notification, NotificationKind, NotificationPreference

# (in-app, e-mail) for a kind the agent has not chosen. New tickets are opt-in: a busy desk would
# drown everyone otherwise.
DEFAULTS: dict[NotificationKind, tuple[bool, bool]] = {
    NotificationKind.NEW_TICKET: (False, False),
    NotificationKind.ASSIGNED: (True, True),
    NotificationKind.MENTIONED: (True, True),
    NotificationKind.CUSTOMER_REPLIED: (True, False),
}
MAX_PAGE_SIZE = 100
# Staff mail is in English (agents work in the desk's language); the template's words.
EMAIL_WORDS: dict[NotificationKind, str] = {
    NotificationKind.NEW_TICKET: "New ticket #{ticket_id}: {subject}",
    NotificationKind.ASSIGNED: "{actor} assigned ticket #{ticket_id} to you: {subject}",
    NotificationKind.MENTIONED: "{actor} mentioned you on ticket #{ticket_id}: {subject}",
    NotificationKind.CUSTOMER_REPLIED: "The customer replied on your ticket #{ticket_id}: {subject}",
}


@dataclass(frozen=True)
class Preference:
    kind: NotificationKind
    in_app: bool
    email: bool
    # New tickets: the languages followed; empty is every language.
    languages: tuple[str, ...] = ()


def preferences(session: Session, user_id: int) -> dict[NotificationKind, Preference]:
    """The agent's choice for every kind, defaults filled in."""
    rows = {
        row.kind: row
        for row in session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user_id))
    }
    chosen: dict[NotificationKind, Preference] = {}
    for kind in NotificationKind:
        row = rows.get(kind)
        if row is None:
            in_app, email = DEFAULTS[kind]
            chosen[kind] = Preference(kind=kind, in_app=in_app, email=email)
        else:
            languages = tuple(code for code in row.languages.split(",") if code)
            chosen[kind] = Preference(kind=kind, in_app=row.in_app, email=row.email, languages=languages)
    return chosen


def set_preferences(
    session: Session, user_id: int, choices: Iterable[Preference]
) -> dict[NotificationKind, Preference]:
    """Store the given kinds' choices (others keep theirs); languages must be the desk's."""
    supported = set(get_settings().languages)
    for choice in choices:
        unknown = sorted(set(choice.languages) - supported)
        if unknown:
            raise ValidationFailed(
                f"language(s) {', '.join(unknown)} are not used here; choose from {', '.join(sorted(supported))}"
            )
        row = session.get(NotificationPreference, (user_id, NotificationKind(choice.kind)))
        if row is None:
            row = NotificationPreference(user_id=user_id, kind=NotificationKind(choice.kind))
            session.add(row)
        row.in_app = choice.in_app
        row.email = choice.email
        row.languages = ",".join(sorted(set(choice.languages)))
    session.flush()
    return preferences(session, user_id)


def notify(
    session: Session,
    *,
    user: User,
    kind: NotificationKind,
    ticket: Ticket,
    message_id: int | None = None,
    actor_user_id: int | None = None,
) -> Notification | None:
    """Tell ``user`` about ``ticket`` as their preference says; the row, or None without one."""
    if user.id == actor_user_id or not user.is_active or not user.is_staff:
        return None
    preference = preferences(session, user.id)[kind]
    notification = None
    if preference.in_app:
        notification = Notification(
            user_id=user.id, kind=kind, ticket_id=ticket.id, message_id=message_id, actor_user_id=actor_user_id
        )
        session.add(notification)
        session.flush()
    if preference.email:
        actor = session.get(User, actor_user_id) if actor_user_id is not None else None
        _queue_email(session, user, kind, ticket, actor, message_id)
    return notification


def _queue_email(
    session: Session, user: User, kind: NotificationKind, ticket: Ticket, actor: User | None, message_id: int | None
) -> None:
    settings = get_settings()
    message = session.get(Message, message_id) if message_id is not None else None
    rendered = render_email(
        "agent_notification",
        "en",
        {
            "headline": EMAIL_WORDS[kind].format(
                actor=one_line(actor.name) if actor is not None else "Someone",
                ticket_id=ticket.id,
                subject=one_line(ticket.subject),
            ),
            "excerpt": message.body[:2000] if message is not None else "",
            "link": f"{settings.base_url.rstrip('/')}/agent/tickets/{ticket.id}"
            + (f"#message-{message_id}" if message_id is not None else ""),
            "settings_link": f"{settings.base_url.rstrip('/')}/agent/notifications/preferences",
        },
    )
    enqueue_email(
        session,
        to=user.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        kind=EmailKind.TRANSACTIONAL,
        # Not the ticket's: an agent's notice must not thread into the customer's conversation.
        headers={"Auto-Submitted": "auto-generated"},
        language=rendered.language,
    )


def list_notifications(
    session: Session, user_id: int, *, unread_only: bool = False, limit: int = 50, before_id: int | None = None
) -> list[Notification]:
    """The agent's notifications, newest first (``before_id`` pages on)."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"limit must be 1 to {MAX_PAGE_SIZE}")
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    query = query.options(selectinload(Notification.ticket), selectinload(Notification.actor))
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def unread_count(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count(Notification.id)).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(
    session: Session, user_id: int, *, ids: Iterable[int] = (), everything: bool = False, now: datetime | None = None
) -> int:
    """Mark the agent's own notifications read (the given ids, or all); how many changed."""
    now = now or utcnow()
    statement = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if not everything:
        wanted = list(ids)
        if not wanted:
            return 0
        statement = statement.where(Notification.id.in_(wanted))
    result = session.execute(statement.values(read_at=now).execution_options(synchronize_session=False))
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
