"""The confirmation e-mail answers on intake: articles in the customer's language, honest wording,
and a "This solved it" link, delivered through a real SMTP server (aiosmtpd) for the web form and
the e-mail channel alike."""

from __future__ import annotations

import smtplib
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

import kb.feedback.subscribers
from helpdesk.email import notifications
from helpdesk.email.delivery import drain_outbox
from helpdesk.email.models import OutboxMessage
from helpdesk.email.rendering import render_email
from helpdesk.models import TicketStatus
from tests.factories import create_ticket, unique_email
from tests.helpdesk.email import mail_samples as samples
from tests.web.search_support import e5, keeper, publish_small_kb  # noqa: F401 - fixtures

POLISH_WIFI_TITLE = "Ponowne łączenie termostatu Nimbus z Wi-Fi"  # the translation publish_small_kb adds
POLISH_SUBJECT = "Termostat nie łączy się z Wi-Fi"
POLISH_BODY = "Dzień dobry, od wczoraj termostat pokazuje offline w aplikacji i nie łączy się z routerem."


def _text_of(delivery) -> str:
    return delivery.message.get_body(preferencelist=("plain",)).get_content()


def _html_of(delivery) -> str:
    return delivery.message.get_body(preferencelist=("html",)).get_content()


def _only_delivery_to(smtp_sink, address: str):
    [delivery] = [item for item in smtp_sink.delivered if address in item.rcpt_tos]
    return delivery


def test_web_confirmation_links_the_polish_translation(database, smtp_sink, settings, keeper):
    with database.session() as session:
        wifi = publish_small_kb(session)[0]
        ticket = create_ticket(session, subject=POLISH_SUBJECT, body=POLISH_BODY)
        address, slug = ticket.requester.email, wifi.slug
    drain_outbox(database)
    text = _text_of(_only_delivery_to(smtp_sink, address))
    assert POLISH_WIFI_TITLE in text
    assert f"{settings.base_url}/articles/{slug}?lang=pl" in text


def test_web_confirmation_html_links_the_polish_translation(database, smtp_sink, settings, keeper):
    with database.session() as session:
        wifi = publish_small_kb(session)[0]
        ticket = create_ticket(session, subject=POLISH_SUBJECT, body=POLISH_BODY)
        address, slug = ticket.requester.email, wifi.slug
    drain_outbox(database)
    html = _html_of(_only_delivery_to(smtp_sink, address))
    assert f'<a href="{settings.base_url}/articles/{slug}?lang=pl">{POLISH_WIFI_TITLE}</a>' in html


def test_confirmation_carries_a_signed_this_solved_it_link(database, smtp_sink, settings, keeper):
    with database.session() as session:
        wifi = publish_small_kb(session)[0]
        ticket = create_ticket(session, subject=POLISH_SUBJECT, body=POLISH_BODY)
        address, ticket_id, article_id = ticket.requester.email, ticket.id, wifi.id
    drain_outbox(database)
    text = _text_of(_only_delivery_to(smtp_sink, address))
    # The Polish words of helpdesk/email/strings.py, then the link to the page that asks before closing.
    assert f"To rozwiązało problem: {settings.base_url}/tickets/{ticket_id}/solved/{article_id}?access_token=" in text


def test_email_channel_confirmation_links_the_polish_translation(database, receiver, smtp_sink, settings, keeper):
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


def test_offered_articles_are_recorded_for_the_self_resolution_rate(session, keeper):
    from kb.feedback.models import IntakeSuggestion

    wifi = publish_small_kb(session)[0]
    ticket = create_ticket(session, subject=POLISH_SUBJECT, body=POLISH_BODY)
    session.commit()  # offered by the confirmation, queued after the commit
    rows = list(session.scalars(select(IntakeSuggestion).where(IntakeSuggestion.ticket_id == ticket.id)))
    assert (wifi.id, "pl", "pl") in {(row.article_id, row.locale, row.language) for row in rows}
    assert ticket.status == TicketStatus.NEW


def test_a_failing_search_still_confirms_the_ticket(database, monkeypatch):
    def broken(session, ticket):
        raise RuntimeError("search is down")

    # Failure injected where the subscriber asks for articles; the rest is the real path.
    monkeypatch.setattr(kb.feedback.subscribers, "intake_suggestions", broken)
    with database.session() as session:
        ticket_id = create_ticket(session).id
    with database.session() as session:
        [row] = session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket_id))
    assert row.subject.startswith(f"[#{ticket_id}]")


def _render(suggestions: list[notifications.Suggestion]) -> str:
    from helpdesk.models import Ticket

    return render_email(
        "ticket_confirmation",
        "en",
        {
            "ticket": Ticket(id=7, subject="Wi-Fi"),
            "greeting": "Hello,",
            "link": "https://help.example.com/t/7",
            "is_reply": False,
            "suggestions": suggestions,
        },
    ).text


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


# A fresh interpreter (this one subscribed at conftest): what a `aftercare mail-in` process has.
_SUBSCRIBERS_AFTER_THE_CLI = """
from typer.testing import CliRunner
from aftercare.events import subscribers
from entry.cli import app
from helpdesk.events import TicketCreated
CliRunner().invoke(app, ["mail-in", "--help"])
print(sorted(f"{h.__module__}.{h.__name__}" for h in subscribers(TicketCreated)))
"""


def test_a_cli_process_confirms_new_tickets_with_articles():
    result = subprocess.run(
        [sys.executable, "-c", _SUBSCRIBERS_AFTER_THE_CLI],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.returncode == 0, result.stderr
    assert "kb.feedback.subscribers.confirm_ticket" in result.stdout
