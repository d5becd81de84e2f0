"""E-mailing a sign-in link to whoever asks for one with an address (customers sign in without a password).

Whoever asks learns nothing: the pages and the API answer the same whether or not the address is
known, and a new address gets a link as a known one does (following it makes the account). The link
goes only to the address itself, so asking gains nothing either. Staff and deactivated accounts get
no link (``accounts.email_links``). The e-mail is in the customer's language when their record has
one, else in the site's default language.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from accounts.email_links import issue_email_link, may_sign_in_by_link
from accounts.service import get_customer_by_email, normalize_email
from aftercare.config import get_settings
from aftercare.db import utcnow
from helpdesk.email.models import EmailKind, OutboxMessage
from helpdesk.email.notifications import is_automated_address
from helpdesk.email.outbox import enqueue_email
from helpdesk.email.rendering import greeting, render_email


def sign_in_link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/auth/email-link/{token}"


def send_sign_in_link(session: Session, email: str, *, now: datetime | None = None) -> OutboxMessage | None:
    """Issue a link for ``email`` and queue its e-mail (in the caller's transaction); None when none goes out."""
    settings = get_settings()
    now = now or utcnow()
    email = normalize_email(email)
    if is_automated_address(email) or not may_sign_in_by_link(session, email):
        return None
    customer = get_customer_by_email(session, email)
    language = customer.language if customer is not None else None
    link, token = issue_email_link(session, email, lifetime=timedelta(minutes=settings.email_link_minutes), now=now)
    rendered = render_email(
        "sign_in_link",
        language,
        {
            "greeting": greeting(language, customer.name if customer is not None else None),
            "link": sign_in_link_url(settings.base_url, token),
            "minutes": settings.email_link_minutes,
        },
    )
    return enqueue_email(
        session,
        to=email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        kind=EmailKind.TRANSACTIONAL,
        dedupe_key=f"sign-in-link:{link.id}",
        customer_id=customer.id if customer is not None else None,
        headers={"Auto-Submitted": "auto-generated"},
        language=rendered.language,
        now=now,
    )
