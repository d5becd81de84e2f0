"""The confirmation e-mail answers on intake: articles in the customer's language, honest wording,
and a "This solved it" link, delivered through a real SMTP server (aiosmtpd) for the web form and
the e-mail channel alike."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from helpdesk.models import TicketStatus
from kb.feedback import self_resolution
from tests.factories import create_ticket, unique_email
from tests.web.search_support import e5, keeper, publish_small_kb  # noqa: F401 - fixtures
from tests.helpdesk.email import mail_samples as samples
from helpdesk.email import notifications
from helpdesk.email.delivery import drain_outbox
from helpdesk.email.models import OutboxMessage
from helpdesk.email.rendering import render_email

POLISH_WIFI_TITLE = "Ponowne łączenie termostatu Nimbus z Wi-Fi"  # the translation publish_small_kb adds
POLISH_SUBJECT = "Termostat nie łączy się z Wi-Fi"
POLISH_BODY = "Dzień dobry, od wczoraj termostat pokazuje offline w aplikacji i nie łączy się z routerem."


@pytest.fixture
def suggester() -> Iterator[None]:
    """What the web app and the CLI plug in at start-up."""
    self_resolution.install()
    try:
        yield
    finally:
        self_resolution.uninstall()


def _text_of(delivery) -> str:
    return delivery.message.get_body(preferencelist=("plain",)).get_content()


def _html_of(delivery) -> str:
    return delivery.message.get_body(preferencelist=("html",)).get_content()


def _only_delivery_to(smtp_sink, address: str):
    [delivery] = [item for item in smtp_sink.delivered if address in item.rcpt_tos]
    return delivery


def test_web_confirmation_links_the_polish_translation(database, smtp_sink, settings, keeper, suggester):
    with database.session() as session:
        wifi = publish_small_kb(session)[0]
        ticket = create_ticket(session, subject=POLISH_SUBJECT, body=POLISH_BODY)
        address, slug = ticket.requester.email, wifi.slug
    drain_outbox(database)
    text = _text_of(_only_delivery_to(smtp_sink, address))
    assert POLISH_WIFI_TITLE in text
    assert f"{settings.base_url}/articles/{slug}?lang=pl" in text


def test_web_confirmation_html_links_the_polish_translation(database, smtp_sink, settings, keeper, suggester):
    with database.session() as session:
        wifi = publish_small_kb(session)[0]
        ticket = create_ticket(session, subject=POLISH_SUBJECT, body=POLISH_BODY)
        address, slug = ticket.requester.email, wifi.slug
    drain_outbox(database)
    html = _html_of(_only_delivery_to(smtp_sink, address))
    assert f'<a href="{settings.base_url}/articles/{slug}?lang=pl">{POLISH_WIFI_TITLE}</a>' in html


def test_confirmation_carries_a_signed_this_solved_it_link(database, smtp_sink, settings, keeper, suggester):
    with database.session() as session:
        wifi = publish_small_kb(session)[0]
        ticket = create_ticket(session, subject=POLISH_SUBJECT, body=POLISH_BODY)
        address, ticket_id, article_id = ticket.requester.email, ticket.id, wifi.id
    drain_outbox(database)
    text = _text_of(_only_delivery_to(smtp_sink, address))
    # The Polish words of helpdesk/email/strings.py, then the link to the page that asks before closing.
    assert f"To rozwiązało problem: {settings.base_url}/tickets/{ticket_id}/solved/{article_id}?access_token=" in text


def test_email_channel_confirmation_links_the_polish_translation(
    database, receiver, smtp_sink, settings, keeper, suggester
):
    with database.session() as session:
        wifi = publish_small_kb(session)[0]
        slug = wifi.slug
    sender = unique_email("mailer")
    with smtplib.SMTP(receiver.hostname, receiver.port, timeout=30) as client:
        client.sendmail(sender, ["support@help.example.com"], samples.plain(sender, POLISH_SUBJECT, POLISH_BODY))
    drain_outbox(database)
    delivery = _only_delivery_to(smtp_sink, sender)
    assert delivery.message["Subject"].startswith("Re: [#")
    text = _text_of(delivery)
    assert POLISH_WIFI_TITLE in text and f"{settings.base_url}/articles/{slug}?lang=pl" in text


def test_offered_articles_are_recorded_for_the_self_resolution_rate(session, keeper, suggester):
    from kb.feedback.models import IntakeSuggestion

    wifi = publish_small_kb(session)[0]
    ticket = create_ticket(session, subject=POLISH_SUBJECT, body=POLISH_BODY)
    rows = list(session.scalars(select(IntakeSuggestion).where(IntakeSuggestion.ticket_id == ticket.id)))
    assert (wifi.id, "pl", "pl") in {(row.article_id, row.locale, row.language) for row in rows}
    assert ticket.status == TicketStatus.NEW


def test_a_failing_suggester_still_confirms_the_ticket(session):
    def broken(session, ticket):
        raise RuntimeError("search is down")

    notifications.set_suggester(broken)
    try:
        ticket = create_ticket(session)
    finally:
        notifications.set_suggester(None)
    [row] = session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id))
    assert f"[#{ticket.id}]" in row.subject


def _render(suggestions: list[notifications.Suggestion]) -> str:
    from helpdesk.models import Ticket

    return render_email("ticket_confirmation", "en", {
        "ticket": Ticket(id=7, subject="Wi-Fi"), "greeting": "Hello,", "link": "https://help.example.com/t/7",
        "is_reply": False, "suggestions": suggestions,
    }).text


def test_unclaimed_suggestions_only_might_help():
    text = _render([notifications.Suggestion("Reset", "https://help.example.com/articles/reset", answers=False)])
    assert "these articles might help" in text
    assert "may answer" not in text


def test_a_claimed_answer_may_answer_the_question():
    text = _render([notifications.Suggestion("Reset", "https://help.example.com/articles/reset", answers=True)])
    assert "This article may answer your question" in text


def test_a_source_article_says_its_language():
    text = _render([notifications.Suggestion("Reset", "https://help.example.com/articles/reset", language="en")])
    assert "- Reset (English)" in text


def test_the_mail_in_command_plugs_in_the_suggester():
    from typer.testing import CliRunner

    from entry.cli import app

    try:
        result = CliRunner().invoke(app, ["mail-in", "--help"])
        assert result.exit_code == 0
        assert notifications._suggester is self_resolution.intake_suggestions
    finally:
        self_resolution.uninstall()


def test_other_commands_leave_the_suggester_alone():
    from typer.testing import CliRunner

    from entry.cli import app

    CliRunner().invoke(app, ["db", "--help"])
    assert notifications._suggester is notifications.suggest
