"""Sign-in by e-mailed link: issuing a link to an address, and following it to a customer account.

- A link is a random token; only its SHA-256 is stored (as for login sessions), with the address it
  went to and when it expires. It works once: following it marks it used with one conditional
  UPDATE (``used_at IS NULL``), so two browsers following the same link at once cannot both get in.
- Following a link signs in the address's account; the first time, it makes one: a customer user
  attached to the ``Customer`` with that address (or a new customer). Staff addresses get no link:
  staff sign in with their password, and a link would be a way round it.
- Looking at a link (``check_email_link``) changes nothing: mail scanners open links.
- A link has a purpose (``LinkPurpose``): signing in, resetting a password ("forgot password", for
  staff too), accepting an invitation to the team, confirming that a customer wants their account
  deleted. A link works only for its own purpose, and only while its address may still use it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts.models import EmailSignInLink, LinkPurpose, Role, User
from accounts.service import get_or_create_customer, normalize_email
from aftercare.db import utcnow
from aftercare.errors import ValidationFailed

# Longer than any token we issue (43 characters); anything longer names nothing and is not hashed.
MAX_TOKEN_CHARS = 200


class EmailLinkState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class EmailLinkCheck:
    state: EmailLinkState
    link: EmailSignInLink | None = None


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _account(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email))


def may_sign_in_by_link(session: Session, email: str) -> bool:
    """Whether a link may go to this address: a customer's, an unknown one, not staff or a deactivated account."""
    user = _account(session, normalize_email(email))
    return user is None or (user.role == Role.CUSTOMER and user.is_active)


def may_use_link(session: Session, email: str, purpose: LinkPurpose) -> bool:
    """Whether a link for ``purpose`` may go to (and still work for) this address.

    Sign-in: see ``may_sign_in_by_link``. Password reset and invitation: an active account with
    this address. Account deletion: an active customer account.
    """
    if purpose is LinkPurpose.SIGN_IN:
        return may_sign_in_by_link(session, email)
    user = _account(session, normalize_email(email))
    if user is None or not user.is_active:
        return False
    if purpose is LinkPurpose.ACCOUNT_DELETION:
        return user.role == Role.CUSTOMER and user.customer_id is not None
    return True


def issue_email_link(
    session: Session,
    email: str,
    *,
    lifetime: timedelta,
    purpose: LinkPurpose = LinkPurpose.SIGN_IN,
    now: datetime | None = None,
) -> tuple[EmailSignInLink, str]:
    """A new link for ``email``; returns the row and the token, which goes only into the e-mail."""
    email = normalize_email(email)
    if "@" not in email:
        raise ValidationFailed(f"{email!r} is not an email address")
    now = now or utcnow()
    plaintext = secrets.token_urlsafe(32)
    link = EmailSignInLink(
        email=email, token_hash=_sha256(plaintext), created_at=now, expires_at=now + lifetime, purpose=purpose
    )
    session.add(link)
    session.flush()
    return link, plaintext


def check_email_link(
    session: Session,
    plaintext: str,
    *,
    purpose: LinkPurpose = LinkPurpose.SIGN_IN,
    now: datetime | None = None,
) -> EmailLinkCheck:
    """What a link is worth now for ``purpose``, without using it (another purpose's link is unknown)."""
    if not plaintext or len(plaintext) > MAX_TOKEN_CHARS:
        return EmailLinkCheck(EmailLinkState.UNKNOWN)
    link = session.scalar(select(EmailSignInLink).where(EmailSignInLink.token_hash == _sha256(plaintext)))
    if link is None or link.purpose != purpose:
        return EmailLinkCheck(EmailLinkState.UNKNOWN)
    if link.used_at is not None:
        return EmailLinkCheck(EmailLinkState.USED, link)
    if link.expires_at <= (now or utcnow()):
        return EmailLinkCheck(EmailLinkState.EXPIRED, link)
    if not may_use_link(session, link.email, purpose):
        return EmailLinkCheck(EmailLinkState.UNKNOWN, link)
    return EmailLinkCheck(EmailLinkState.VALID, link)


def redeem_email_link(
    session: Session,
    plaintext: str,
    *,
    purpose: LinkPurpose = LinkPurpose.SIGN_IN,
    now: datetime | None = None,
) -> tuple[EmailLinkState, User | None]:
    """Use a link: its account when it was valid (a sign-in link makes the customer's on first
    use), else why not."""
    now = now or utcnow()
    check = check_email_link(session, plaintext, purpose=purpose, now=now)
    if check.state is not EmailLinkState.VALID or check.link is None:
        return check.state, None
    # The check above read the row; only this UPDATE decides, so one of two racing requests wins.
    result = session.execute(
        update(EmailSignInLink)
        .where(
            EmailSignInLink.id == check.link.id,
            EmailSignInLink.used_at.is_(None),
            EmailSignInLink.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not isinstance(result, CursorResult) or result.rowcount != 1:
        return EmailLinkState.USED, None
    session.expire(check.link)
    if purpose is LinkPurpose.SIGN_IN:
        return EmailLinkState.VALID, customer_account(session, check.link.email)
    return EmailLinkState.VALID, _account(session, check.link.email)


def delete_old_links(session: Session, *, older_than: timedelta, now: datetime | None = None) -> int:
    """Forget links that expired more than ``older_than`` ago (they hold addresses); returns how many."""
    cutoff = (now or utcnow()) - older_than
    result = session.execute(
        delete(EmailSignInLink).where(EmailSignInLink.expires_at < cutoff).execution_options(synchronize_session=False)
    )
    return result.rowcount if isinstance(result, CursorResult) else 0


def customer_account(session: Session, email: str) -> User:
    """The address's customer user, made now if it has none, attached to its customer record."""
    email = normalize_email(email)
    user = _account(session, email)
    if user is not None:
        return user
    try:
        # Two links to one new address followed at once both get here; the loser's insert fails on
        # the unique address, only its savepoint is rolled back, and it signs in the winner's account.
        with session.begin_nested():
            customer = get_or_create_customer(session, email)
            user = User(
                email=email,
                name=customer.name or email.split("@", 1)[0],
                role=Role.CUSTOMER,
                language=customer.language,
                customer=customer,
            )
            session.add(user)
            session.flush()
    except IntegrityError:
        found = _account(session, email)
        if found is None:
            raise
        return found
    return user
