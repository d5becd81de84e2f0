"""A customer's own choice of mail: tips and news (broadcasts too), and satisfaction surveys.

These are the consents the after-sales engine checks (``Customer.consent_marketing`` for tips and
broadcasts, ``consent_surveys`` for CSAT/NPS). Choosing "no" also puts the address on the
suppression list for that scope, as an unsubscribe link does; choosing "yes" again is the person's
own, explicit consent, so it takes the address off that scope's list (a bounce or an admin's block,
scope ``all``, stays).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from accounts.models import Customer
from helpdesk.email.models import EmailKind, SuppressionScope, SuppressionSource
from helpdesk.email.suppression import (
    add_suppression,
    forget_erased_address,
    remove_suppression,
    suppressing_scopes,
)


@dataclass(frozen=True)
class MailPreferences:
    tips_and_news: bool
    surveys: bool


def mail_preferences(session: Session, customer: Customer) -> MailPreferences:
    """What the customer gets now: consent given and the address not suppressed for that kind."""
    # Suppressing scopes include an erased earlier self's (helpdesk.email.suppression).
    return MailPreferences(
        tips_and_news=customer.consent_marketing
        and not suppressing_scopes(session, customer.email, EmailKind.MARKETING),
        surveys=customer.consent_surveys and not suppressing_scopes(session, customer.email, EmailKind.SURVEY),
    )


def set_mail_preferences(session: Session, customer: Customer, preferences: MailPreferences) -> MailPreferences:
    for wanted, scope in (
        (preferences.tips_and_news, SuppressionScope.MARKETING),
        (preferences.surveys, SuppressionScope.SURVEY),
    ):
        if wanted:
            remove_suppression(session, customer.email, [scope])
            # Someone whose earlier self was erased chose this again themself: the hash no longer stops it.
            forget_erased_address(session, customer.email)
        else:
            add_suppression(session, customer.email, scope, source=SuppressionSource.PREFERENCES)
    customer.consent_marketing = preferences.tips_and_news
    customer.consent_surveys = preferences.surveys
    session.flush()
    return mail_preferences(session, customer)
