"""The lifecycle e-mails and the review invitation: subject, text and HTML in the customer's language.

Per-customer fields (name, product, order number, dates, amount) are put into the sentences with
``str.format`` and the sentences into autoescaped templates (``aftersales.emails.render_email``):
a name like ``<b>x</b>`` arrives as text, never as markup. The purchase confirmation and the
payment reminder are transactional: they carry the order's facts and nothing else (no tips, no
offers); the outbox adds no marketing footer to transactional mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from accounts.models import Customer
from aftercare.config import get_settings
from aftersales.claim_strings import long_date
from aftersales.email_strings import strings_for
from aftersales.emails import EmailContent, greeting_line, render_email
from aftersales.lifecycle_strings import lifecycle_strings_for
from aftersales.models import Product, Purchase


@dataclass(frozen=True)
class Link:
    href: str
    label: str


def _name(customer: Customer) -> str:
    return (customer.name or "").strip() or customer.email.split("@")[0]


def _compose(
    customer: Customer, subject_key: str, paragraphs: list[str], link: Link | None, fields: dict[str, str]
) -> EmailContent:
    language, frame = strings_for(customer.language)
    _, words = lifecycle_strings_for(language)
    context = {
        "w": frame,
        "greeting": greeting_line(frame, customer),
        "paragraphs": paragraphs,
        "link": link,
        "language": language,
    }
    return EmailContent(
        subject=words[subject_key].format(**fields),
        text=render_email("lifecycle.txt", **context),
        html=render_email("lifecycle.html", **context),
        language=language,
    )


def _fields(customer: Customer, purchase: Purchase | None, language: str, *, day: date | None = None) -> dict[str, str]:
    fields = {"name": _name(customer)}
    if purchase is not None:
        fields |= {
            "product": purchase.product.name,
            "order": purchase.external_order_id,
            "amount": f"{purchase.amount} {purchase.currency}",
            "date": long_date((day or purchase.purchased_at.date()), language),
        }
    return fields


def welcome_email(customer: Customer, purchase: Purchase) -> EmailContent:
    language, words = lifecycle_strings_for(customer.language)
    fields = _fields(customer, purchase, language)
    link = Link(get_settings().base_url + "/", words["help_centre"])
    return _compose(customer, "welcome_subject", [words["welcome_body"].format(**fields)], link, fields)


def confirmation_email(customer: Customer, purchase: Purchase) -> EmailContent:
    language, words = lifecycle_strings_for(customer.language)
    fields = _fields(customer, purchase, language)
    paragraphs = [words["confirmation_body"].format(**fields), words["confirmation_amount"].format(**fields)]
    return _compose(customer, "confirmation_subject", paragraphs, None, fields)


def payment_reminder_email(customer: Customer, purchase: Purchase, *, due_today: bool) -> EmailContent:
    assert purchase.due_at is not None
    language, words = lifecycle_strings_for(customer.language)
    fields = _fields(customer, purchase, language, day=purchase.due_at.date())
    line = words["payment_today" if due_today else "payment_before"].format(**fields)
    paragraphs = [line, words["confirmation_amount"].format(**fields), words["payment_ignore"]]
    return _compose(customer, "payment_subject", paragraphs, None, fields)


def service_reminder_email(customer: Customer, purchase: Purchase, service_on: date) -> EmailContent:
    language, words = lifecycle_strings_for(customer.language)
    fields = _fields(customer, purchase, language, day=service_on)
    return _compose(customer, "service_subject", [words["service_body"].format(**fields)], None, fields)


def winback_email(customer: Customer, survey_link: str) -> EmailContent:
    _, words = lifecycle_strings_for(customer.language)
    fields = _fields(customer, None, "en")
    link = Link(survey_link, words["winback_link"])
    return _compose(customer, "winback_subject", [words["winback_body"]], link, fields)


def review_email(customer: Customer, product: Product, link: str) -> EmailContent:
    _, words = lifecycle_strings_for(customer.language)
    fields = {"name": _name(customer), "product": product.name}
    return _compose(
        customer, "review_subject", [words["review_body"].format(**fields)], Link(link, words["review_link"]), fields
    )
