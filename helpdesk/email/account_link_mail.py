"""E-mailing a link to an address: signing in, resetting a password, joining the team, deleting an account.

Whoever asks learns nothing: the pages and the API answer the same whether or not the address is
known. A sign-in link goes to a new address as to a known one (following it makes the account);
the other purposes need an account that may use them (``accounts.email_links.may_use_link``):
otherwise nothing is sent. The link goes only to the address itself, so asking gains nothing
either. The e-mail is in the account's or customer's language when we know it, else in the site's
default language.

Link paths (web.pages.email_sign_in and web.pages.account) by purpose are in ``LINK_PATHS``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.email_links import issue_email_link, may_use_link
from accounts.models import LinkPurpose, User
from accounts.service import get_customer_by_email, normalize_email
from aftercare.config import get_settings
from aftercare.db import utcnow
from helpdesk.email.models import EmailKind, OutboxMessage
from helpdesk.email.notifications import is_automated_address
from helpdesk.email.outbox import enqueue_email
from helpdesk.email.rendering import greeting, render_email

LINK_PATHS: dict[LinkPurpose, str] = {
    LinkPurpose.SIGN_IN: "/auth/email-link/",
    LinkPurpose.PASSWORD_RESET: "/auth/reset-password/",
    LinkPurpose.INVITATION: "/auth/invitation/",
    LinkPurpose.ACCOUNT_DELETION: "/account/delete/",
}


def account_link_url(base_url: str, purpose: LinkPurpose, token: str) -> str:
    return f"{base_url.rstrip('/')}{LINK_PATHS[purpose]}{token}"


def sign_in_link_url(base_url: str, token: str) -> str:
    return account_link_url(base_url, LinkPurpose.SIGN_IN, token)


def link_lifetime(purpose: LinkPurpose) -> timedelta:
    """Invitations wait days for someone to start; every other link is for someone at the keyboard now."""
    settings = get_settings()
    if purpose is LinkPurpose.INVITATION:
        return timedelta(days=settings.invitation_days)
    return timedelta(minutes=settings.email_link_minutes)


def send_account_link(
    session: Session, email: str, purpose: LinkPurpose, *, now: datetime | None = None
) -> OutboxMessage | None:
    """Issue a link for ``email`` and queue its e-mail (in the caller's transaction); None when none goes out."""
    settings = get_settings()
    now = now or utcnow()
    email = normalize_email(email)
    if is_automated_address(email) or not may_use_link(session, email, purpose):
        return None
    user = session.scalar(select(User).where(User.email == email))
    customer = get_customer_by_email(session, email)
    language = (user.language if user is not None else None) or (customer.language if customer is not None else None)
    name = (user.name if user is not None else None) or (customer.name if customer is not None else None)
    lifetime = link_lifetime(purpose)
    link, token = issue_email_link(session, email, lifetime=lifetime, purpose=purpose, now=now)
    lasts = (
        {"days": settings.invitation_days}
        if purpose is LinkPurpose.INVITATION
        else {"minutes": settings.email_link_minutes}
    )
    rendered = render_email(
        "account_link",
        language,
        {
            "purpose": str(purpose),
            "greeting": greeting(language, name),
            "link": account_link_url(settings.base_url, purpose, token),
            **lasts,
        },
    )
    return enqueue_email(
        session,
        to=email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        kind=EmailKind.TRANSACTIONAL,
        dedupe_key=f"{str(purpose).replace('_', '-')}-link:{link.id}",
        customer_id=customer.id if customer is not None else None,
        headers={"Auto-Submitted": "auto-generated"},
        language=rendered.language,
        now=now,
    )


def send_sign_in_link(session: Session, email: str, *, now: datetime | None = None) -> OutboxMessage | None:
    return send_account_link(session, email, LinkPurpose.SIGN_IN, now=now)
