"""Builders for the workers tests: customers with consent, and outbox messages."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from accounts.models import Customer
from accounts.service import get_or_create_customer
from helpdesk.email.models import EmailKind, OutboxMessage
from helpdesk.email.outbox import enqueue_email
from tests.factories import unique_email


def customer(session: Session, *, marketing: bool = True, surveys: bool = True, **overrides: Any) -> Customer:
    person = get_or_create_customer(
        session,
        overrides.pop("email", unique_email("buyer")),
        name=overrides.pop("name", "Bea Buyer"),
        language=overrides.pop("language", "en"),
    )
    person.consent_marketing = marketing
    person.consent_surveys = surveys
    session.flush()
    return person


def email(session: Session, **overrides: Any) -> OutboxMessage | None:
    values: dict[str, Any] = {
        "to": overrides.pop("to", None) or unique_email("reader"),
        "subject": "Your order has shipped",
        "text": "Hello,\n\nyour order is on its way.\n",
        "html": "<!doctype html><html><body><p>Hello,</p><p>your order is on its way.</p></body></html>",
        "kind": EmailKind.TRANSACTIONAL,
    }
    values.update(overrides)
    return enqueue_email(session, **values)
