"""Accounts: customers, users and roles, passwords, API tokens, login sessions, signed ticket links."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftercare.db import utcnow
from aftercare.errors import Conflict, ValidationFailed
from helpdesk.models import ApiToken, Customer, LoginSession, Role, Ticket, User

_password_hasher = PasswordHasher()
API_TOKEN_PREFIX = "ac_"
_TICKET_LINK_SALT = "aftercare.ticket-link"
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

    def can_read_ticket(self, ticket: Ticket) -> bool:
        if self.is_staff:
            return True
        if self.ticket_link_id is not None and self.ticket_link_id == ticket.id:
            return True
        return self.customer is not None and self.user is not None and ticket.requester_id == self.customer.id


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


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValidationFailed(f"password must be at least {MIN_PASSWORD_CHARS} characters")
    user.password_hash = hash_password(password)


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


def issue_api_token(session: Session, user: User, *, name: str = "default") -> str:
    """Create a token and return its plaintext; only its hash is stored."""
    plaintext = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, name=name, token_hash=_sha256(plaintext)))
    session.flush()
    return plaintext


def authenticate_token(session: Session, plaintext: str) -> User | None:
    if not plaintext.startswith(API_TOKEN_PREFIX):
        return None
    token = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _sha256(plaintext), ApiToken.revoked_at.is_(None))
    )
    if token is None or not token.user.is_active:
        return None
    return token.user


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


def end_login_session(session: Session, plaintext: str) -> None:
    login = session.scalar(select(LoginSession).where(LoginSession.session_hash == _sha256(plaintext)))
    if login is not None:
        session.delete(login)
        session.flush()


def sign_ticket_link(secret_key: str, ticket: Ticket) -> str:
    return URLSafeSerializer(secret_key, salt=_TICKET_LINK_SALT).dumps([ticket.id, ticket.requester_id])


def verify_ticket_link(session: Session, secret_key: str, token: str) -> Principal | None:
    """The principal a signed ticket link grants, or None when the link is forged or stale."""
    try:
        ticket_id, requester_id = URLSafeSerializer(secret_key, salt=_TICKET_LINK_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.requester_id != requester_id:
        return None
    return Principal(customer=ticket.requester, ticket_link_id=ticket.id)
