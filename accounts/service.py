"""Accounts: customers, users and roles, passwords, API tokens, login sessions, principals.

API tokens: only a SHA-256 of each is stored, with a short prefix that names it in lists; a token
may expire (chosen at creation) and can be revoked by its owner or an admin. A revoked, expired or
unknown token is told apart (``check_api_token``) so that the API can say which.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from accounts.models import ApiToken, Customer, LoginSession, Role, User
from aftercare.db import utcnow
from aftercare.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed

_password_hasher = PasswordHasher()
API_TOKEN_PREFIX = "ac_"
# What lists show of a token: "ac_" and 8 of its random characters (48 bits: tells tokens apart,
# leaves 210 secret bits).
API_TOKEN_SHOWN_CHARS = len(API_TOKEN_PREFIX) + 8
MAX_TOKEN_NAME_CHARS = 100
# Live tokens one user may hold: plenty for scripts and integrations, and a bound on what a
# customer account can pile up (lists of tokens are not paged).
MAX_LIVE_TOKENS_PER_USER = 100
# Writing last_used_at on every request would make each API read a write; a minute is precise enough.
TOKEN_LAST_USED_RESOLUTION = timedelta(minutes=1)
MIN_PASSWORD_CHARS = 10


@dataclass(frozen=True)
class Principal:
    """Who is acting: a signed-in user, a customer, or a holder of one ticket's signed link."""

    user: User | None = None
    customer: Customer | None = None
    ticket_link_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.user is not None and self.user.is_staff

    @property
    def is_admin(self) -> bool:
        return self.user is not None and self.user.role == Role.ADMIN

    @property
    def is_anonymous(self) -> bool:
        return self.user is None and self.customer is None and self.ticket_link_id is None


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check so that unknown accounts can't be told apart.
        _password_hasher.hash(password)
        return False
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def get_customer_by_email(session: Session, email: str) -> Customer | None:
    return session.scalar(select(Customer).where(Customer.email == normalize_email(email)))


def get_or_create_customer(
    session: Session, email: str, *, name: str | None = None, language: str | None = None
) -> Customer:
    customer = get_customer_by_email(session, email)
    if customer is None:
        customer = Customer(email=normalize_email(email), name=name or "", language=language)
        session.add(customer)
        session.flush()
        return customer
    # Fill what we did not know; never overwrite what the customer told us before.
    if name and not customer.name:
        customer.name = name
    if language and not customer.language:
        customer.language = language
    return customer


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role,
    password: str | None = None,
    language: str | None = None,
) -> User:
    email = normalize_email(email)
    if not email or "@" not in email:
        raise ValidationFailed(f"{email!r} is not an email address")
    if not name.strip():
        raise ValidationFailed("name must not be empty")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email} already exists")
    if password is not None and len(password) < MIN_PASSWORD_CHARS:
        raise ValidationFailed(f"password must be at least {MIN_PASSWORD_CHARS} characters")
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password) if password else None,
        language=language,
    )
    if role == Role.CUSTOMER:
        user.customer = get_or_create_customer(session, email, name=name.strip(), language=language)
    session.add(user)
    session.flush()
    return user


MAX_NAME_CHARS = 200


def update_profile(session: Session, user: User, *, name: str, language: str | None) -> User:
    """A user's own name and language; a customer's record follows their account (e-mail to them uses it)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise ValidationFailed(f"the name must be 1 to {MAX_NAME_CHARS} characters")
    user.name = name
    user.language = language or None
    if user.customer is not None:
        user.customer.name = name
        user.customer.language = language or None
    session.flush()
    return user


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValidationFailed(f"password must be at least {MIN_PASSWORD_CHARS} characters")


def change_password(session: Session, user: User, password: str) -> User:
    """A new password for ``user``; every browser signed in as them is signed out (a reset is often
    because someone else knew the old one)."""
    check_new_password(password)
    user.password_hash = hash_password(password)
    end_all_login_sessions(session, user)
    session.flush()
    return user


def set_password(session: Session, email: str, password: str) -> User:
    """Give the user with this address a new password (operators: ``aftercare set-password``)."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise NotFound(f"no user with email {normalize_email(email)}")
    return change_password(session, user, password)


def authenticate_password(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.is_active:
        verify_password(None, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if _password_hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    return user


class TokenState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


class TokenExpired(NotAuthenticated):
    code = "token_expired"


class TokenRevoked(NotAuthenticated):
    code = "token_revoked"


class TokenInvalid(NotAuthenticated):
    code = "invalid_token"


def create_api_token(
    session: Session,
    user: User,
    *,
    name: str = "default",
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the plaintext, which is shown once and never stored."""
    now = now or utcnow()
    name = name.strip()
    if not name or len(name) > MAX_TOKEN_NAME_CHARS:
        raise ValidationFailed(f"a token's name must be 1 to {MAX_TOKEN_NAME_CHARS} characters")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise ValidationFailed("expires_at needs a time zone (e.g. 2030-01-31T00:00:00Z)")
        if expires_at <= now:
            raise ValidationFailed("expires_at must be in the future")
    live = (
        session.scalar(
            select(func.count(ApiToken.id)).where(
                ApiToken.user_id == user.id,
                ApiToken.revoked_at.is_(None),
                or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
            )
        )
        or 0
    )
    if live >= MAX_LIVE_TOKENS_PER_USER:
        raise Conflict(f"you already have {live} live API tokens; revoke some before creating more")
    plaintext = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        token_hash=_sha256(plaintext),
        prefix=plaintext[:API_TOKEN_SHOWN_CHARS],
        expires_at=expires_at,
        created_at=now,
    )
    session.add(token)
    session.flush()
    return token, plaintext


def issue_api_token(session: Session, user: User, *, name: str = "default", expires_at: datetime | None = None) -> str:
    """Create a token and return its plaintext; only its hash is stored."""
    return create_api_token(session, user, name=name, expires_at=expires_at)[1]


def check_api_token(session: Session, plaintext: str, *, now: datetime | None = None) -> tuple[TokenState, User | None]:
    """What a presented token is worth: the user when valid, else why not (and records its use)."""
    if not plaintext.startswith(API_TOKEN_PREFIX):
        return TokenState.UNKNOWN, None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _sha256(plaintext)))
    if token is None or not token.user.is_active:
        return TokenState.UNKNOWN, None
    if token.revoked_at is not None:
        return TokenState.REVOKED, None
    now = now or utcnow()
    if token.expires_at is not None and token.expires_at <= now:
        return TokenState.EXPIRED, None
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.flush()
    return TokenState.VALID, token.user


def require_token_user(session: Session, plaintext: str) -> User:
    """The token's user, or the NotAuthenticated error that says what is wrong with it."""
    state, user = check_api_token(session, plaintext)
    if state is TokenState.EXPIRED:
        raise TokenExpired("this API token has expired; create a new one")
    if state is TokenState.REVOKED:
        raise TokenRevoked("this API token has been revoked")
    if user is None:
        raise TokenInvalid("invalid API token")
    return user


def list_api_tokens(session: Session, user: User | None = None) -> list[ApiToken]:
    """Tokens newest first: one user's, or everyone's (None; for admins)."""
    query = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(session.scalars(query))


def revoke_api_token(session: Session, token_id: int, by: User, *, now: datetime | None = None) -> ApiToken:
    """Revoke a token of ``by``'s own, or anyone's when ``by`` is an admin. Revoking twice keeps
    the first time. Someone else's token is "not found": its existence is none of their business."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != by.id and by.role != Role.ADMIN):
        raise NotFound(f"no API token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        session.flush()
    return token


def token_status(token: ApiToken, *, now: datetime | None = None) -> TokenState:
    if token.revoked_at is not None:
        return TokenState.REVOKED
    if token.expires_at is not None and token.expires_at <= (now or utcnow()):
        return TokenState.EXPIRED
    return TokenState.VALID


def principal_for_user(user: User) -> Principal:
    return Principal(user=user, customer=user.customer)


def start_login_session(session: Session, user: User, *, lifetime: timedelta, user_agent: str = "") -> str:
    plaintext = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            user=user,
            session_hash=_sha256(plaintext),
            expires_at=utcnow() + lifetime,
            user_agent=user_agent[:300],
        )
    )
    session.flush()
    return plaintext


def resolve_login_session(session: Session, plaintext: str) -> User | None:
    login = session.scalar(select(LoginSession).where(LoginSession.session_hash == _sha256(plaintext)))
    if login is None or login.expires_at <= utcnow() or not login.user.is_active:
        return None
    return login.user


def end_all_login_sessions(session: Session, user: User) -> int:
    """Sign ``user`` out of every browser at once; returns how many sessions ended."""
    result = session.execute(
        delete(LoginSession).where(LoginSession.user_id == user.id).execution_options(synchronize_session=False)
    )
    return result.rowcount if isinstance(result, CursorResult) else 0


def end_login_session(session: Session, plaintext: str) -> None:
    login = session.scalar(select(LoginSession).where(LoginSession.session_hash == _sha256(plaintext)))
    if login is not None:
        session.delete(login)
        session.flush()
