"""The help desk's own mail: ticket confirmations and agents' replies, threaded and in the customer's language."""

from __future__ import annotations

from sqlalchemy import select

from accounts.service import Principal
from helpdesk import service
from helpdesk.email import notifications
from helpdesk.email.delivery import drain_outbox
from helpdesk.email.models import EmailKind, OutboxMessage, OutboxStatus
from helpdesk.models import MessageKind, TicketChannel
from helpdesk.schemas import MessageCreate, TicketCreate
from helpdesk.ticket_links import verify_ticket_link
from tests.factories import create_ticket, staff_principal, unique_email


def committed_ticket(session, **overrides):
    """A new ticket, committed: its confirmation is queued after the commit (TicketCreated)."""
    ticket = create_ticket(session, **overrides)
    session.commit()
    return ticket


def _outbox(session, ticket_id: int) -> list[OutboxMessage]:
    return list(
        session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket_id).order_by(OutboxMessage.id))
    )


def test_new_web_ticket_queues_a_confirmation_to_the_requester(session):
    ticket = committed_ticket(session)
    [row] = _outbox(session, ticket.id)
    assert row.to_address == ticket.requester.email
    assert row.kind == EmailKind.TRANSACTIONAL and row.status == OutboxStatus.QUEUED
    assert row.subject == f"[#{ticket.id}] {ticket.subject}"


def test_confirmation_carries_a_working_signed_ticket_link(session, settings):
    ticket = committed_ticket(session)
    [row] = _outbox(session, ticket.id)
    token = row.text_body.split("access_token=", 1)[1].split()[0]
    assert verify_ticket_link(session, settings.secret_key, token).ticket_link_id == ticket.id
    assert f"{settings.base_url}/tickets/{ticket.id}?access_token=" in row.html_body


def test_confirmation_is_in_the_ticket_language(session):
    ticket = committed_ticket(
        session,
        subject="Odkurzacz nie wraca do stacji",
        body="Dzień dobry, mój robot od wczoraj nie wraca do stacji dokującej i rozładowuje się na środku salonu.",
    )
    assert ticket.language == "pl"
    assert "Otrzymaliśmy Twoje zgłoszenie" in _outbox(session, ticket.id)[0].text_body


def test_confirmation_is_marked_automatic_so_autoresponders_stay_quiet(session):
    ticket = committed_ticket(session)
    assert _outbox(session, ticket.id)[0].headers["Auto-Submitted"] == "auto-replied"


def test_no_confirmation_to_a_noreply_address(session):
    ticket = committed_ticket(session, customer_email="no-reply@shop.example.com")
    assert _outbox(session, ticket.id) == []


def test_agent_public_reply_is_emailed_threaded_under_the_confirmation(session):
    ticket = committed_ticket(session)
    agent = staff_principal(session)
    message = service.add_message(session, ticket, MessageCreate(body="Please restart the router.\n\nThanks!"), agent)
    confirmation, reply = _outbox(session, ticket.id)
    assert reply.dedupe_key == f"ticket-message:{message.id}"
    assert reply.subject == f"Re: [#{ticket.id}] {ticket.subject}"
    assert reply.headers["In-Reply-To"] == confirmation.message_id
    assert reply.headers["References"] == confirmation.message_id
    assert reply.headers["Reply-To"]
    assert "Please restart the router." in reply.text_body and agent.user.name in reply.text_body


def test_reply_html_is_escaped(session):
    ticket = committed_ticket(session)
    service.add_message(
        session, ticket, MessageCreate(body="Use <script>alert(1)</script> & see"), staff_principal(session)
    )
    html = _outbox(session, ticket.id)[-1].html_body
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; see" in html


def test_internal_note_is_not_emailed(session):
    ticket = committed_ticket(session)
    service.add_message(
        session, ticket, MessageCreate(body="VIP customer", kind=MessageKind.INTERNAL_NOTE), staff_principal(session)
    )
    assert len(_outbox(session, ticket.id)) == 1


def test_customer_reply_is_not_emailed_back(session):
    ticket = committed_ticket(session)
    service.add_message(session, ticket, MessageCreate(body="Any news?"), Principal(customer=ticket.requester))
    assert len(_outbox(session, ticket.id)) == 1


def test_a_ticket_created_without_confirmation_gets_none(session):
    # What the e-mail intake asks for bulk mail (lists, autoresponders): never answered.
    data = TicketCreate(customer_email=unique_email("list"), subject="Newsletter", body="This week in smart homes.")
    ticket = service.create_ticket(session, data, channel=TicketChannel.EMAIL, confirm=False)
    session.commit()
    assert _outbox(session, ticket.id) == []


def test_an_email_ticket_is_confirmed_once(session):
    ticket = committed_ticket(session, channel=TicketChannel.EMAIL)
    assert len(_outbox(session, ticket.id)) == 1


def test_the_articles_given_are_listed_with_absolute_links(session, settings):
    ticket = create_ticket(session)
    offered = [notifications.Suggestion("Reset the thermostat", "/articles/reset-the-thermostat")]
    notifications.send_ticket_confirmation(session, ticket, suggestions=offered)
    text = _outbox(session, ticket.id)[0].text_body
    assert "Reset the thermostat" in text and f"{settings.base_url}/articles/reset-the-thermostat" in text


def test_agent_reply_reaches_the_smtp_server(database, smtp_sink):
    with database.session() as session:
        ticket = committed_ticket(session)
        service.add_message(session, ticket, MessageCreate(body="Fixed now."), staff_principal(session))
        ticket_id = ticket.id
    drain_outbox(database)
    subjects = sorted(delivery.message["Subject"] for delivery in smtp_sink.delivered)
    assert subjects == sorted(
        [
            f"[#{ticket_id}] My thermostat will not connect to Wi-Fi",
            f"Re: [#{ticket_id}] My thermostat will not connect to Wi-Fi",
        ]
    )
