"""CSRF protection for forms and htmx: the signed double-submit cookie pattern (OWASP).

A random value lives in an HttpOnly cookie; forms carry HMAC(secret, value). A forged
cross-site form can't read the cookie, so it can't produce the matching token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

from aftercare.errors import Forbidden

CSRF_COOKIE = "aftercare_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def _sign(secret_key: str, value: str) -> str:
    return hmac.new(secret_key.encode(), f"csrf:{value}".encode(), hashlib.sha256).hexdigest()


def ensure_csrf_cookie(request: Request) -> str:
    """The browser's CSRF value, creating one for this response if it has none yet."""
    value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_value", None)
    if not value:
        value = secrets.token_urlsafe(32)
        request.state.new_csrf_value = value
    return value


def csrf_token(request: Request) -> str:
    return _sign(request.app.state.settings.secret_key, ensure_csrf_cookie(request))


def set_csrf_cookie_if_new(request: Request, response: Response) -> None:
    value = getattr(request.state, "new_csrf_value", None)
    if value and not request.cookies.get(CSRF_COOKIE):
        settings = request.app.state.settings
        response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/")


async def verify_csrf(request: Request) -> None:
    """Dependency for every state-changing page route."""
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not cookie or not sent:
        raise Forbidden("missing CSRF token; reload the page and try again")
    expected = _sign(request.app.state.settings.secret_key, cookie)
    if not hmac.compare_digest(expected, sent):
        raise Forbidden("invalid CSRF token; reload the page and try again")
