"""The suppression list: addresses that must not get some kind of mail, honoured by every send.

Scopes: ``marketing`` (tips, broadcasts), ``survey`` (CSAT/NPS) and ``all``. Which mail each
kind checks:

- MARKETING checks ``marketing`` and ``all``; SURVEY checks ``survey`` and ``all``.
- TRANSACTIONAL checks ``all`` — except a reply about a ticket to that ticket's own requester.
  Someone who asked us a question gets the answer even after unsubscribing or being blocked:
  unsubscribing is about mail nobody asked for (this is also how CAN-SPAM and the GDPR treat
  transactional mail), and a silent help desk is worse than a bounce.

The list is keyed by address, not by customer, so it survives a customer record being merged or
deleted and covers addresses that never were customers.

Erased addresses. When a customer is erased (``privacy.erasure``) their address leaves every row,
this list included; only its SHA-256 is kept (``ErasedAddress``). Marketing and survey mail to an
address with that hash counts as suppressed (``suppressing_scopes`` names the kind's own scope), so
an order import or a new ticket from the same person does not silently start such mail again. Only
the person's own, explicit consent ends it (``forget_erased_address``); transactional mail is not
affected.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accounts.service import normalize_email
from aftercare.pagination import window
from helpdesk.email.models import EmailKind, ErasedAddress, Suppression, SuppressionScope, SuppressionSource

SCOPES_CHECKED: dict[EmailKind, tuple[SuppressionScope, ...]] = {
    EmailKind.TRANSACTIONAL: (SuppressionScope.ALL,),
    EmailKind.SURVEY: (SuppressionScope.SURVEY, SuppressionScope.ALL),
    EmailKind.MARKETING: (SuppressionScope.MARKETING, SuppressionScope.ALL),
}


# The scope an erased address is treated as being on, per kind of mail nobody asked for.
ERASED_ADDRESS_SCOPES: dict[EmailKind, SuppressionScope] = {
    EmailKind.SURVEY: SuppressionScope.SURVEY,
    EmailKind.MARKETING: SuppressionScope.MARKETING,
}


def suppressing_scopes(session: Session, email: str, kind: EmailKind) -> list[SuppressionScope]:
    """The scopes that stop ``kind`` of mail to ``email`` (empty: may send).

    The list's own rows, and for marketing and survey mail to an erased address that kind's scope.
    """
    rows = session.scalars(
        select(Suppression.scope).where(
            Suppression.email == normalize_email(email), Suppression.scope.in_(SCOPES_CHECKED[kind])
        )
    )
    scopes = [SuppressionScope(scope) for scope in rows]
    erased_scope = ERASED_ADDRESS_SCOPES.get(kind)
    if erased_scope is not None and erased_scope not in scopes and is_erased_address(session, email):
        scopes.append(erased_scope)
    return scopes


def is_suppressed(session: Session, email: str, kind: EmailKind) -> bool:
    return bool(suppressing_scopes(session, email, kind))


def add_suppression(
    session: Session,
    email: str,
    scope: SuppressionScope,
    *,
    source: SuppressionSource,
    outbox_message_id: int | None = None,
    note: str = "",
) -> Suppression:
    """Put ``email`` on the list for ``scope``; idempotent (the first entry and its source stay)."""
    email = normalize_email(email)
    existing = session.scalar(select(Suppression).where(Suppression.email == email, Suppression.scope == scope))
    if existing is not None:
        return existing
    row = Suppression(email=email, scope=scope, source=source, outbox_message_id=outbox_message_id, note=note[:500])
    session.add(row)
    session.flush()
    return row


def remove_suppression(session: Session, email: str, scopes: Iterable[SuppressionScope] | None = None) -> int:
    """Take ``email`` off the list (all scopes by default); returns how many entries went."""
    statement = delete(Suppression).where(Suppression.email == normalize_email(email))
    if scopes is not None:
        statement = statement.where(Suppression.scope.in_(list(scopes)))
    removed = session.execute(statement).rowcount or 0
    session.flush()
    return removed


def list_suppressions(
    session: Session, *, email: str | None = None, limit: int = 100, offset: int = 0
) -> list[Suppression]:
    query = select(Suppression).order_by(Suppression.id.desc())
    if email:
        query = query.where(Suppression.email == normalize_email(email))
    return list(session.scalars(window(query, offset=offset, limit=limit)))


# --- erased addresses ----------------------------------------------------------------------------


def erased_address_hash(email: str) -> str:
    """The SHA-256 (hex) that stands for an erased address: of the address as stored, lower-cased."""
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()


def is_erased_address(session: Session, email: str) -> bool:
    """Whether ``email`` belonged to a customer who was erased (and has not opted in since)."""
    digest = erased_address_hash(email)
    return session.scalar(select(ErasedAddress.id).where(ErasedAddress.email_sha256 == digest)) is not None


def remember_erased_address(session: Session, email: str) -> ErasedAddress:
    """Keep the hash of an erased customer's address; idempotent (the first row stays)."""
    digest = erased_address_hash(email)
    existing = session.scalar(select(ErasedAddress).where(ErasedAddress.email_sha256 == digest))
    if existing is not None:
        return existing
    row = ErasedAddress(email_sha256=digest)
    session.add(row)
    session.flush()
    return row


def forget_erased_address(session: Session, email: str) -> bool:
    """The person at ``email`` chose marketing or survey mail themself: the erased hash no longer
    stops it. Returns whether there was one. Call it only for their own explicit consent."""
    removed = session.execute(
        delete(ErasedAddress).where(ErasedAddress.email_sha256 == erased_address_hash(email))
    ).rowcount
    session.flush()
    return bool(removed)
