"""Unsubscribing: a page that needs a click, RFC 8058 one-click, and the mailto alternative."""

from __future__ import annotations

import re
from urllib.parse import unquote

from sqlalchemy import select

from aftercare.config import get_settings
from helpdesk.email.mail_in.intake import receive_mail
from helpdesk.email.models import EmailKind, InboundDisposition, Suppression, SuppressionScope, SuppressionSource
from helpdesk.email.outbox import enqueue_email
from helpdesk.email.unsubscribe import sign_token, unsubscribe_url
from tests.helpdesk.email import mail_samples as samples
from tests.helpdesk.email.factories import customer, email


def _marketing(session, **customer_overrides):
    person = customer(session, **customer_overrides)
    row = email(session, to=person.email, customer_id=person.id, kind=EmailKind.MARKETING)
    session.commit()
    return person, row, sign_token(get_settings(), row)


def _suppressions(session, address: str) -> list[tuple[str, str]]:
    session.expire_all()
    return [(row.scope, row.source) for row in session.scalars(select(Suppression).where(Suppression.email == address))]


def test_opening_the_link_changes_nothing(mail_client, session):
    person, _, token = _marketing(session)
    page = mail_client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and 'action="/unsubscribe/' in page.text
    assert _suppressions(session, person.email) == []


def test_page_masks_the_address_and_speaks_the_message_language(mail_client, session):
    person = customer(session, language="pl")
    row = enqueue_email(
        session,
        to=person.email,
        subject="Porada",
        text="Treść",
        kind=EmailKind.MARKETING,
        customer_id=person.id,
        language="pl",
    )
    session.commit()
    page = mail_client.get(f"/unsubscribe/{sign_token(get_settings(), row)}").text
    assert "Tak, wypisz mnie" in page
    assert person.email not in page and f"{person.email[0]}***@example.com" in page


def test_confirm_button_unsubscribes_and_withdraws_consent(mail_client, session):
    person, _, token = _marketing(session)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', mail_client.get(f"/unsubscribe/{token}").text).group(1)
    done = mail_client.post(f"/unsubscribe/{token}/confirm", data={"csrf_token": csrf})
    assert done.status_code == 200
    assert _suppressions(session, person.email) == [(SuppressionScope.MARKETING, SuppressionSource.UNSUBSCRIBE_LINK)]
    session.refresh(person)
    assert person.consent_marketing is False


def test_confirm_without_csrf_token_is_refused(mail_client, session):
    person, _, token = _marketing(session)
    mail_client.get(f"/unsubscribe/{token}")
    assert mail_client.post(f"/unsubscribe/{token}/confirm", data={}).status_code == 403
    assert _suppressions(session, person.email) == []


def test_rfc_8058_one_click_post_unsubscribes_without_cookies(mail_client, session):
    person, _, token = _marketing(session)
    response = mail_client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert _suppressions(session, person.email) == [(SuppressionScope.MARKETING, SuppressionSource.ONE_CLICK)]


def test_one_click_is_idempotent(mail_client, session):
    person, _, token = _marketing(session)
    for _ in range(2):
        assert mail_client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert len(_suppressions(session, person.email)) == 1


def test_one_click_needs_the_rfc_8058_body(mail_client, session):
    person, _, token = _marketing(session)
    assert mail_client.post(f"/unsubscribe/{token}", data={}).status_code == 400
    assert _suppressions(session, person.email) == []


def test_forged_token_is_refused(mail_client, session):
    person, row, token = _marketing(session)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert mail_client.get(f"/unsubscribe/{forged}").status_code == 404
    assert mail_client.post(f"/unsubscribe/{forged}", data={"List-Unsubscribe": "One-Click"}).status_code == 404


def test_survey_link_stops_surveys_only(mail_client, session):
    person = customer(session)
    row = email(session, to=person.email, customer_id=person.id, kind=EmailKind.SURVEY)
    session.commit()
    mail_client.post(f"/unsubscribe/{sign_token(get_settings(), row)}", data={"List-Unsubscribe": "One-Click"})
    assert _suppressions(session, person.email) == [(SuppressionScope.SURVEY, SuppressionSource.ONE_CLICK)]
    assert email(session, to=person.email, customer_id=person.id, kind=EmailKind.MARKETING) is not None


def test_unsubscribe_url_is_under_base_url(session):
    _, row, _ = _marketing(session)
    assert unsubscribe_url(get_settings(), row).startswith(get_settings().base_url + "/unsubscribe/")


def test_mailto_unsubscribe_by_mail(session):
    person, row, _ = _marketing(session)
    subject = unquote(row.headers["List-Unsubscribe"].split("subject=")[1].rstrip(">"))
    result = receive_mail(session, samples.plain(person.email, subject, "unsubscribe"), envelope_from=person.email)
    assert result.disposition == InboundDisposition.UNSUBSCRIBE
    assert _suppressions(session, person.email) == [(SuppressionScope.MARKETING, SuppressionSource.UNSUBSCRIBE_MAIL)]
