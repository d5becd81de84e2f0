"""ASGI middleware: request size limit and security headers."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline script anywhere: htmx and our own JS are files under /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)
# /docs and /redoc load their assets from this site (web.docs); each page bootstraps with an
# inline script, and ReDoc styles itself with inline <style> elements and a blob: web worker.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'"
)
REDOC_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'"
)
# A year; no includeSubDomains, which would also bind the operator's other sites under the domain.
STRICT_TRANSPORT_SECURITY = b"max-age=31536000"
POLICIES = {"/docs": DOCS_CONTENT_SECURITY_POLICY, "/redoc": REDOC_CONTENT_SECURITY_POLICY}


class BodySizeLimitMiddleware:
    """Refuse bodies over ``max_bytes`` with 413 before the app reads them all.

    File uploads (multipart/form-data) may be larger, up to ``multipart_max_bytes``: room for the
    files the settings allow, so that the route, not this guard, refuses a file that is too large
    (with the form and its text kept).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, multipart_max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.multipart_max_bytes = max(multipart_max_bytes or 0, max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        multipart = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        limit = self.multipart_max_bytes if multipart else self.max_bytes
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(send, limit)
            return
        received = 0
        too_large = False
        replaced = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # The app may turn our exception into its own error page; answer 413 instead.
            nonlocal replaced
            if too_large:
                if not replaced:
                    replaced = True
                    await self._reject(send, limit)
                return
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            if not replaced:
                await self._reject(send, limit)

    async def _reject(self, send: Send, limit: int) -> None:
        body = json.dumps({"detail": f"request body larger than {limit} bytes", "code": "payload_too_large"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class SecurityHeadersMiddleware:
    """Content-Security-Policy and friends on every response; HSTS when ``hsts`` (an https site)."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        policy = POLICIES.get(path, CONTENT_SECURITY_POLICY)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = {
                    b"content-security-policy": policy.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"same-origin",
                    b"x-frame-options": b"DENY",
                }
                if self.hsts:
                    extra[b"strict-transport-security"] = STRICT_TRANSPORT_SECURITY
                headers.extend((name, value) for name, value in extra.items() if name not in names)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
