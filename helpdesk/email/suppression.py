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
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accounts.service import normalize_email
from aftercare.pagination import window
from helpdesk.email.models import EmailKind, Suppression, SuppressionScope, SuppressionSource

SCOPES_CHECKED: dict[EmailKind, tuple[SuppressionScope, ...]] = {
    EmailKind.TRANSACTIONAL: (SuppressionScope.ALL,),
    EmailKind.SURVEY: (SuppressionScope.SURVEY, SuppressionScope.ALL),
    EmailKind.MARKETING: (SuppressionScope.MARKETING, SuppressionScope.ALL),
}


def suppressing_scopes(session: Session, email: str, kind: EmailKind) -> list[SuppressionScope]:
    """The scopes on the list that stop ``kind`` of mail to ``email`` (empty: may send)."""
    rows = session.scalars(
        select(Suppression.scope).where(
            Suppression.email == normalize_email(email), Suppression.scope.in_(SCOPES_CHECKED[kind])
        )
    )
    return [SuppressionScope(scope) for scope in rows]


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
