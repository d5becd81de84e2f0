"""A customer's own mail preferences (helpdesk.email.preferences): consents and the suppression list agree."""

from __future__ import annotations

from accounts.service import get_or_create_customer
from helpdesk.email.models import EmailKind, SuppressionScope, SuppressionSource
from helpdesk.email.preferences import MailPreferences, mail_preferences, set_mail_preferences
from helpdesk.email.suppression import add_suppression, is_erased_address, is_suppressed, remember_erased_address
from tests.factories import unique_email


def _customer(session, *, marketing: bool, surveys: bool):
    customer = get_or_create_customer(session, unique_email("prefs"))
    customer.consent_marketing, customer.consent_surveys = marketing, surveys
    session.flush()
    return customer


def test_saying_no_to_tips_withdraws_consent_and_suppresses_marketing(session):
    customer = _customer(session, marketing=True, surveys=True)
    set_mail_preferences(session, customer, MailPreferences(tips_and_news=False, surveys=True))
    assert customer.consent_marketing is False
    assert is_suppressed(session, customer.email, EmailKind.MARKETING)
    assert not is_suppressed(session, customer.email, EmailKind.SURVEY)


def test_saying_yes_again_lifts_an_unsubscribe_of_that_kind(session):
    customer = _customer(session, marketing=False, surveys=False)
    add_suppression(session, customer.email, SuppressionScope.SURVEY, source=SuppressionSource.UNSUBSCRIBE_LINK)
    set_mail_preferences(session, customer, MailPreferences(tips_and_news=False, surveys=True))
    assert customer.consent_surveys is True and not is_suppressed(session, customer.email, EmailKind.SURVEY)


def test_a_block_of_all_mail_stays_whatever_the_customer_chooses(session):
    customer = _customer(session, marketing=False, surveys=False)
    add_suppression(session, customer.email, SuppressionScope.ALL, source=SuppressionSource.HARD_BOUNCE)
    shown = set_mail_preferences(session, customer, MailPreferences(tips_and_news=True, surveys=True))
    # Consent is recorded, but nothing goes to an address that bounced; the page says what is true.
    assert shown == MailPreferences(tips_and_news=False, surveys=False)


def test_an_unsubscribed_customer_is_shown_as_not_getting_that_mail(session):
    customer = _customer(session, marketing=True, surveys=True)
    add_suppression(session, customer.email, SuppressionScope.MARKETING, source=SuppressionSource.ONE_CLICK)
    assert mail_preferences(session, customer) == MailPreferences(tips_and_news=False, surveys=True)


def test_an_erased_persons_own_new_consent_lifts_the_erased_address_block(session):
    customer = _customer(session, marketing=False, surveys=False)
    remember_erased_address(session, customer.email)
    assert mail_preferences(session, customer) == MailPreferences(tips_and_news=False, surveys=False)
    shown = set_mail_preferences(session, customer, MailPreferences(tips_and_news=True, surveys=False))
    assert shown.tips_and_news and not is_erased_address(session, customer.email)
