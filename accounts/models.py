"""Tables of identity: customers, users and their roles, API tokens, login sessions, e-mailed sign-in links."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftercare.db import Base, TimestampMixin, utcnow


class Role(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    ADMIN = "admin"


class Customer(TimestampMixin, Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: addresses are compared case-insensitively everywhere.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str | None] = mapped_column(String(16))
    consent_marketing: Mapped[bool] = mapped_column(default=False)
    consent_surveys: Mapped[bool] = mapped_column(default=True)
    # Set when the person was erased (GDPR Art. 17): the row stays so that tickets and reports keep
    # their counts, with its address and name replaced (privacy.erasure).
    erased_at: Mapped[datetime | None]


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str | None] = mapped_column(String(16))
    # A customer account is the login of one customer record; staff have none.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), unique=True)

    customer: Mapped[Customer | None] = relationship()

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.AGENT, Role.ADMIN)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="default")
    # SHA-256 of a 256-bit random token: enough against guessing, cheap to check per request.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # Chosen at creation; None never expires. The prefix (the first characters) names it in lists.
    expires_at: Mapped[datetime | None]
    prefix: Mapped[str] = mapped_column(String(16), default="", server_default="")

    user: Mapped[User] = relationship()


class LoginSession(Base):
    """A browser login; the cookie carries only a random id, so logout ends it for good."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    user_agent: Mapped[str] = mapped_column(String(300), default="")

    user: Mapped[User] = relationship()


class LinkPurpose(StrEnum):
    """What an e-mailed link is for; a link works only for its own purpose."""

    SIGN_IN = "sign_in"
    PASSWORD_RESET = "password_reset"
    INVITATION = "invitation"
    ACCOUNT_DELETION = "account_deletion"


class EmailSignInLink(Base):
    """A sign-in link e-mailed to an address: works once, for a few minutes.

    Only the SHA-256 of its random token is kept, as for login sessions. The address, not a customer,
    is what it belongs to: a new address gets a link too, and its account is made only when the link
    is followed (so asking for links creates nothing).
    """

    __tablename__ = "email_sign_in_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Lower-cased, as customers' and users' addresses are.
    email: Mapped[str] = mapped_column(String(320), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    purpose: Mapped[LinkPurpose] = mapped_column(String(32), default=LinkPurpose.SIGN_IN, server_default="sign_in")


class AuditEntry(Base):
    """One change to accounts or personal data: who did what to whom, and when.

    ``details`` holds what changed (a role from and to), never the personal data itself: an erasure
    is recorded by the customer's id alone.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # None for the system (a scheduled job) or a customer acting on their own account by link.
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()
