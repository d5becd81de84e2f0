"""Agents' notifications: made by the help desk's events after the commit, as each agent chose."""

from __future__ import annotations

from sqlalchemy import select

from accounts.models import Role
from accounts.service import Principal, principal_for_user
from helpdesk import service
from helpdesk.email.models import OutboxMessage
from helpdesk.models import MessageKind
from helpdesk.notifications import service as notifications
from helpdesk.notifications.models import Notification, NotificationKind
from helpdesk.schemas import MessageCreate, TicketUpdate
from tests.factories import create_staff, create_ticket


def _notifications(session, user, kind=None):
    query = select(Notification).where(Notification.user_id == user.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return session.scalars(query.order_by(Notification.id)).all()


def _note(session, ticket, author, body):
    return service.add_message(
        session, ticket, MessageCreate(body=body, kind=MessageKind.INTERNAL_NOTE), principal_for_user(author)
    )


def _choose(session, user, kind, *, in_app, email, languages=()):
    notifications.set_preferences(
        session, user.id, [notifications.Preference(kind=kind, in_app=in_app, email=email, languages=languages)]
    )


def test_a_mention_in_a_note_notifies_the_mentioned_agent(session):
    ticket = create_ticket(session)
    author, mentioned = create_staff(session), create_staff(session, name="Zofia Mentionable")
    note = _note(session, ticket, author, "@Zofia can you call the customer?")
    session.commit()
    (found,) = _notifications(session, mentioned)
    assert (found.kind, found.ticket_id, found.message_id, found.actor_user_id) == (
        NotificationKind.MENTIONED,
        ticket.id,
        note.id,
        author.id,
    )


def test_one_notification_per_mentioned_agent(session):
    ticket = create_ticket(session)
    author = create_staff(session)
    first, second = create_staff(session, name="Ola Pierwsza"), create_staff(session, name="Ewa Druga")
    _note(session, ticket, author, "@Ola and @Ewa, and again @Ola")
    session.commit()
    assert (len(_notifications(session, first)), len(_notifications(session, second))) == (1, 1)


def test_mentioning_yourself_notifies_nobody(session):
    ticket = create_ticket(session)
    author = create_staff(session, name="Selma Self")
    _note(session, ticket, author, "Reminder for @Selma")
    session.commit()
    assert _notifications(session, author) == []


def test_a_mention_in_a_public_reply_notifies_nobody(session):
    ticket = create_ticket(session)
    author, named = create_staff(session), create_staff(session, name="Pablo Public")
    service.add_message(session, ticket, MessageCreate(body="@Pablo will call you"), principal_for_user(author))
    session.commit()
    assert _notifications(session, named) == []


def test_a_deactivated_agent_is_not_notified(session):
    ticket = create_ticket(session)
    author, gone = create_staff(session), create_staff(session, name="Greta Gone")
    gone.is_active = False
    _note(session, ticket, author, "@Greta")
    session.commit()
    assert _notifications(session, gone) == []


def test_assigning_a_ticket_notifies_the_assignee(session):
    ticket = create_ticket(session)
    lead, assignee = create_staff(session), create_staff(session)
    service.update_ticket(session, ticket, TicketUpdate(assignee_id=assignee.id), principal_for_user(lead))
    session.commit()
    (found,) = _notifications(session, assignee)
    assert (found.kind, found.actor_user_id) == (NotificationKind.ASSIGNED, lead.id)


def test_taking_a_ticket_yourself_notifies_nobody(session):
    ticket = create_ticket(session)
    agent = create_staff(session)
    service.update_ticket(session, ticket, TicketUpdate(assignee_id=agent.id), principal_for_user(agent))
    session.commit()
    assert _notifications(session, agent) == []


def test_a_customer_reply_notifies_the_assignee(session):
    ticket = create_ticket(session)
    assignee = create_staff(session)
    ticket.assignee_id = assignee.id
    reply = service.add_message(
        session, ticket, MessageCreate(body="Still broken"), Principal(customer=ticket.requester)
    )
    session.commit()
    (found,) = _notifications(session, assignee, NotificationKind.CUSTOMER_REPLIED)
    assert found.message_id == reply.id


def test_another_agents_reply_is_not_a_customer_reply(session):
    ticket = create_ticket(session)
    assignee, colleague = create_staff(session), create_staff(session)
    ticket.assignee_id = assignee.id
    service.add_message(session, ticket, MessageCreate(body="Try a reset"), principal_for_user(colleague))
    session.commit()
    assert _notifications(session, assignee, NotificationKind.CUSTOMER_REPLIED) == []


def test_new_tickets_notify_nobody_by_default(session):
    agent = create_staff(session)
    create_ticket(session)
    session.commit()
    assert _notifications(session, agent) == []


def test_new_tickets_notify_an_agent_who_follows_their_language(session):
    agent = create_staff(session)
    _choose(session, agent, NotificationKind.NEW_TICKET, in_app=True, email=False, languages=("pl",))
    create_ticket(session, language="en")
    polish = create_ticket(session, language="pl", subject="Termostat", body="Termostat nie działa od wczoraj.")
    session.commit()
    assert [n.ticket_id for n in _notifications(session, agent)] == [polish.id]


def test_new_tickets_in_every_language_when_none_chosen(session):
    agent = create_staff(session, role=Role.ADMIN)
    _choose(session, agent, NotificationKind.NEW_TICKET, in_app=True, email=False)
    ticket = create_ticket(session, language="en")
    session.commit()
    assert [n.ticket_id for n in _notifications(session, agent)] == [ticket.id]


def test_in_app_off_makes_no_notification(session):
    ticket = create_ticket(session)
    author, quiet = create_staff(session), create_staff(session, name="Quentin Quiet")
    _choose(session, quiet, NotificationKind.MENTIONED, in_app=False, email=False)
    _note(session, ticket, author, "@Quentin")
    session.commit()
    assert _notifications(session, quiet) == []


def test_email_on_queues_the_notice_in_the_outbox(session):
    ticket = create_ticket(session, subject="Heat pump noise")
    author = create_staff(session, name="Ada Author")
    mailed = create_staff(session, name="Marek Mailed")
    _choose(session, mailed, NotificationKind.MENTIONED, in_app=True, email=True)
    _note(session, ticket, author, "@Marek listen to the recording")
    session.commit()
    (mail,) = session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == mailed.email)).all()
    assert mail.subject == f"Ada Author mentioned you on ticket #{ticket.id}: Heat pump noise"
    assert f"/agent/tickets/{ticket.id}#message-" in mail.text_body


def test_email_off_queues_nothing(session):
    ticket = create_ticket(session)
    author, unmailed = create_staff(session), create_staff(session, name="Nadia Nomail")
    _choose(session, unmailed, NotificationKind.MENTIONED, in_app=True, email=False)
    _note(session, ticket, author, "@Nadia")
    session.commit()
    assert session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == unmailed.email)).all() == []


def test_the_email_escapes_the_note_in_html(session):
    ticket = create_ticket(session)
    author, mailed = create_staff(session), create_staff(session, name="Hania Html")
    _choose(session, mailed, NotificationKind.MENTIONED, in_app=False, email=True)
    _note(session, ticket, author, "@Hania <img src=x onerror=alert(1)>")
    session.commit()
    (mail,) = session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == mailed.email)).all()
    assert "<img" not in mail.html_body and "&lt;img" in mail.html_body


def test_mark_read_changes_only_the_agents_own_notifications(session):
    ticket = create_ticket(session)
    author = create_staff(session)
    one, two = create_staff(session, name="Una One"), create_staff(session, name="Tom Two")
    _note(session, ticket, author, "@Una @Tom")
    session.commit()
    theirs = _notifications(session, two)[0]
    assert notifications.mark_read(session, one.id, ids=[theirs.id]) == 0
    assert notifications.unread_count(session, two.id) == 1


def test_mark_all_read_empties_the_unread_count(session):
    ticket = create_ticket(session)
    author, reader = create_staff(session), create_staff(session, name="Rita Reader")
    _note(session, ticket, author, "@Rita first")
    _note(session, ticket, author, "@Rita second")
    session.commit()
    notifications.mark_read(session, reader.id, everything=True)
    assert notifications.unread_count(session, reader.id) == 0


def test_preferences_fill_in_defaults_for_kinds_never_chosen(session):
    agent = create_staff(session)
    chosen = notifications.preferences(session, agent.id)
    assert (chosen[NotificationKind.NEW_TICKET].in_app, chosen[NotificationKind.MENTIONED].in_app) == (False, True)
