"""Agents' notifications from the help desk's events; importing this module subscribes them all.

Every process imports it at start (``web.app.create_app``, ``entry.cli``, ``tests/conftest.py``;
see ``aftercare.events``). Each handler opens its own unit of work after the ticket's commit, so
that a notification (or its e-mail) never exists for work that rolled back.
"""

from __future__ import annotations

from sqlalchemy import select

from accounts.models import Role, User
from aftercare.db import Database
from aftercare.events import subscribe
from helpdesk.events import MessageAdded, TicketAssigned, TicketCreated
from helpdesk.models import Message, MessageKind, Ticket
from helpdesk.notifications import mentions
from helpdesk.notifications.models import NotificationKind, NotificationPreference
from helpdesk.notifications.service import notify, preferences


def notify_new_ticket(event: TicketCreated, database: Database) -> None:
    """Agents who follow new tickets (every language, or the ticket's) hear of it while unassigned."""
    with database.session(write=True) as session:
        ticket = session.get(Ticket, event.ticket_id)
        if ticket is None or ticket.assignee_id is not None:
            return
        # Only agents with a row can have opted in (the default is off).
        followers = session.scalars(
            select(User)
            .join(NotificationPreference, NotificationPreference.user_id == User.id)
            .where(
                NotificationPreference.kind == NotificationKind.NEW_TICKET,
                User.is_active,
                User.role.in_([Role.AGENT, Role.ADMIN]),
            )
            .order_by(User.id)
        ).all()
        for user in followers:
            languages = preferences(session, user.id)[NotificationKind.NEW_TICKET].languages
            if languages and ticket.language not in languages:
                continue
            author = ticket.messages[0].author_user_id if ticket.messages else None
            notify(session, user=user, kind=NotificationKind.NEW_TICKET, ticket=ticket, actor_user_id=author)


def notify_assignee(event: TicketAssigned, database: Database) -> None:
    with database.session(write=True) as session:
        ticket = session.get(Ticket, event.ticket_id)
        assignee = session.get(User, event.assignee_id)
        # Reassigned again before this ran: the ticket's present assignee is the one who matters.
        if ticket is None or assignee is None or ticket.assignee_id != assignee.id:
            return
        notify(session, user=assignee, kind=NotificationKind.ASSIGNED, ticket=ticket, actor_user_id=event.actor_user_id)


def notify_on_message(event: MessageAdded, database: Database) -> None:
    """A note's mentions; a customer's reply to the ticket's assignee."""
    with database.session(write=True) as session:
        message = session.get(Message, event.message_id)
        if message is None:
            return
        ticket = message.ticket
        if event.kind == MessageKind.INTERNAL_NOTE:
            staff = mentions.active_staff(session)
            by_id = {user.id: user for user in staff}
            for user_id in mentions.mentioned_user_ids(message.body, staff):
                notify(
                    session,
                    user=by_id[user_id],
                    kind=NotificationKind.MENTIONED,
                    ticket=ticket,
                    message_id=message.id,
                    actor_user_id=event.author_user_id,
                )
        elif event.from_customer and ticket.assignee is not None:
            notify(
                session,
                user=ticket.assignee,
                kind=NotificationKind.CUSTOMER_REPLIED,
                ticket=ticket,
                message_id=message.id,
                actor_user_id=event.author_user_id,
            )


subscribe(TicketCreated, notify_new_ticket)
subscribe(TicketAssigned, notify_assignee)
subscribe(MessageAdded, notify_on_message)
