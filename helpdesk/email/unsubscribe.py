"""Unsubscribing: signed links, the RFC 8058 headers, and what an unsubscribe does.

Every marketing and survey message carries

    List-Unsubscribe: <https://.../unsubscribe/TOKEN>, <mailto:REPLY-TO?subject=unsubscribe%20TOKEN>
    List-Unsubscribe-Post: List-Unsubscribe=One-Click

TOKEN is the message's Message-ID signed with itsdangerous (salt ``aftercare.unsubscribe``, so a
ticket link or a CSRF token can never pass as one); it is known before the row is written, so
the headers go in with the insert. The outbox row says which address and which kind of mail
(marketing or survey) the link stops, and reports can count unsubscribes per programme.

Three ways in, one effect (``unsubscribe``): the page's confirm button, the mail provider's
one-click POST (RFC 8058), and a mail to the reply-to address with the token in the subject.
The effect is a suppression-list entry for that address and scope, and the matching consent
flag turned off on the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Customer
from aftercare.config import Settings
from helpdesk.email.addressing import address_of, reply_to
from helpdesk.email.models import EmailKind, OutboxMessage, SuppressionScope, SuppressionSource
from helpdesk.email.suppression import add_suppression

_SALT = "aftercare.unsubscribe"
ONE_CLICK_FIELD = "List-Unsubscribe"
ONE_CLICK_VALUE = "One-Click"


@dataclass(frozen=True)
class UnsubscribeTarget:
    message: OutboxMessage
    scope: SuppressionScope

    @property
    def address(self) -> str:
        return self.message.to_address


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt=_SALT)


def sign_token(settings: Settings, message: OutboxMessage) -> str:
    return _token_for(settings, message.message_id)


def _token_for(settings: Settings, message_id: str) -> str:
    return _serializer(settings).dumps(message_id)


def _url_for(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/unsubscribe/{token}"


def unsubscribe_url(settings: Settings, message: OutboxMessage) -> str:
    return _url_for(settings, sign_token(settings, message))


def list_unsubscribe_headers(settings: Settings, message_id: str) -> dict[str, str]:
    """The RFC 8058 headers of the message with this Message-ID."""
    token = _token_for(settings, message_id)
    mailto = f"mailto:{address_of(reply_to(settings))}?subject={quote('unsubscribe ' + token)}"
    return {
        "List-Unsubscribe": f"<{_url_for(settings, token)}>, <{mailto}>",
        "List-Unsubscribe-Post": f"{ONE_CLICK_FIELD}={ONE_CLICK_VALUE}",
    }


def scope_for(kind: EmailKind) -> SuppressionScope | None:
    if kind == EmailKind.MARKETING:
        return SuppressionScope.MARKETING
    if kind == EmailKind.SURVEY:
        return SuppressionScope.SURVEY
    return None


def resolve_token(session: Session, settings: Settings, token: str) -> UnsubscribeTarget | None:
    """What a token unsubscribes from, or None for a forged, damaged or unknown one."""
    try:
        message_id = _serializer(settings).loads(token)
    except BadSignature:
        return None
    if not isinstance(message_id, str):
        return None
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.message_id == message_id))
    if message is None:
        return None
    scope = scope_for(EmailKind(message.kind))
    return None if scope is None else UnsubscribeTarget(message=message, scope=scope)


def unsubscribe(session: Session, target: UnsubscribeTarget, *, source: SuppressionSource) -> None:
    """Stop this kind of mail to this address; idempotent, so repeated clicks are harmless."""
    add_suppression(session, target.address, target.scope, source=source, outbox_message_id=target.message.id)
    customer = session.get(Customer, target.message.customer_id) if target.message.customer_id else None
    if customer is not None and customer.email == target.address:
        if target.scope == SuppressionScope.MARKETING:
            customer.consent_marketing = False
        elif target.scope == SuppressionScope.SURVEY:
            customer.consent_surveys = False
    session.flush()


def mask_address(address: str) -> str:
    """``j***@example.com``: enough for the reader to recognise, little for a shoulder-surfer."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if local else address
