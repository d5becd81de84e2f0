"""One place that turns errors into HTTP answers: JSON for the API, a page for browsers.

Besides the domain errors, two kinds of database error are the client's or the moment's, not a
bug, and so never a 500:

- A SQLite lock still busy after the busy timeout (``aftercare.db.is_database_busy``). A request
  that only reads by HTTP's contract (GET) opens its transaction without the write lock; if it
  writes after all (a search log) and loses the race for the lock, it is run once more, whole,
  with the lock taken up front (``DatabaseBusyMiddleware``). Anything still busy is a 503 with
  ``Retry-After``.
- A value the database cannot hold: an integer beyond the column's range (ids are 32-bit on
  PostgreSQL, 64-bit on SQLite), or text with a NUL character (PostgreSQL refuses it; SQLite
  keeps it). An out-of-range id in the path names nothing, so it is a 404; elsewhere it is a 422.

Anything else is a bug: a 500 (JSON or the error page) with its traceback logged, answered by
``InternalErrorMiddleware`` so that the error goes no further. Starlette's own catch-all answers
the 500 and then re-raises, and uvicorn closes a connection whose app raised, so the client's next
request on that keep-alive connection would be lost.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aftercare.db import is_database_busy
from aftercare.errors import DomainError, NotAuthenticated, RateLimited
from web.client_address import client_address
from web.deps import SAFE_METHODS, WRITE_SESSION_SCOPE_KEY

logger = logging.getLogger(__name__)

# The writer ahead holds the lock for milliseconds; a second is plenty before trying again.
BUSY_RETRY_AFTER_SECONDS = 1
# The smallest integer column in the schema (PostgreSQL INTEGER) holds up to this.
MAX_STORED_ID = 2**31 - 1
# SQLSTATE 22003, numeric_value_out_of_range (PostgreSQL).
_PG_OUT_OF_RANGE = "22003"
# What the sqlite3 driver says when a Python int does not fit SQLite's 64-bit INTEGER; matched by
# text so that an OverflowError from anywhere else stays the bug it is.
_SQLITE_INT_OVERFLOW = "too large to convert to SQLite INTEGER"
# What psycopg says, before sending anything, about a string with U+0000 in it.
_PG_NUL_TEXT = "cannot contain NUL (0x00) bytes"


def _wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _describe_location(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location if part not in ("body",)]
    return ".".join(parts) or "body"


def _validation_message(errors: list[dict[str, Any]]) -> str:
    described = [f"{_describe_location(tuple(err.get('loc', ())))}: {err.get('msg', 'invalid')}" for err in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "invalid request: " + "; ".join(described) + more


def error_response(
    request: Request,
    status_code: int,
    code: str,
    message: str,
    *,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if _wants_json(request):
        payload = {"detail": message, "code": code, **(extra or {})}
        return JSONResponse(payload, status_code=status_code, headers=headers)
    # Imported here: the page renderer depends on the app's templates, set up after this module.
    from web.templating import render_error_page

    return render_error_page(request, status_code=status_code, message=message, headers=headers)


def _json_safe_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    safe = []
    for err in errors:
        safe.append(
            {
                "loc": [str(part) for part in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    return safe


def _path_id_out_of_range(request: Request) -> str | None:
    """The first path parameter that is a whole number too large for any stored id, if any."""
    for name, value in request.path_params.items():
        text = str(value)
        if text.isascii() and text.isdigit() and int(text) > MAX_STORED_ID:
            return name
    return None


def _out_of_range_response(request: Request) -> Response:
    name = _path_id_out_of_range(request)
    if name is not None:
        return error_response(request, 404, "not_found", f"not found: no {name} that large exists")
    return error_response(
        request, 422, "value_out_of_range", f"invalid request: a number is out of range (ids go up to {MAX_STORED_ID})"
    )


def _is_out_of_range(error: BaseException) -> bool:
    if isinstance(error, OverflowError):
        return _SQLITE_INT_OVERFLOW in str(error)
    if isinstance(error, DataError):
        return getattr(error.orig, "sqlstate", None) == _PG_OUT_OF_RANGE
    return False


def _is_nul_text(error: BaseException) -> bool:
    return isinstance(error, DataError) and _PG_NUL_TEXT in str(error.orig)


def busy_response(request: Request) -> Response:
    return error_response(
        request,
        503,
        "database_busy",
        "the database is busy; please try again in a moment",
        headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
    )


class DatabaseBusyMiddleware:
    """Turns a SQLite lock that stayed busy into a retry (safe methods, once) or a 503.

    Pure ASGI, so that it sees the exception itself: a route's error passes through the exception
    handlers untouched (none is registered for OperationalError) up to here. A request is retried
    only before any of its answer was sent, with the request body it was given replayed.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pristine = dict(scope)
        received: list[Message] = []
        started = False

        async def recording_receive() -> Message:
            message = await receive()
            received.append(message)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, recording_receive, tracking_send)
            return
        except Exception as error:
            if started or not is_database_busy(error):
                raise
        if scope["method"] in SAFE_METHODS and not scope.get(WRITE_SESSION_SCOPE_KEY):
            logger.info("database busy on %s %s; running it again with the write lock", scope["method"], scope["path"])
            retry_scope = {**pristine, WRITE_SESSION_SCOPE_KEY: True}
            if "state" in pristine:
                retry_scope["state"] = dict(pristine["state"])
            replay = list(received)

            async def replaying_receive() -> Message:
                return replay.pop(0) if replay else await receive()

            started = False
            try:
                await self.app(retry_scope, replaying_receive, tracking_send)
                return
            except Exception as error:
                if started or not is_database_busy(error):
                    raise
        logger.warning("database busy on %s %s: answered 503", scope["method"], scope["path"])
        await busy_response(Request(pristine))(pristine, receive, send)


class InternalErrorMiddleware:
    """Answers an unhandled exception with a 500 and ends it there (logged with its traceback).

    Outside ``DatabaseBusyMiddleware`` (which must see a busy database's error to retry it) and
    inside the security headers. An error after the answer has started cannot be answered any
    more; that one still goes up, and the connection is rightly closed mid-answer.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:
                raise
            request = Request(scope)
            response = _internal_error(request)
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    # Innermost of the app's middleware (added first), so that its 503 gets the security headers.
    app.add_middleware(DatabaseBusyMiddleware)
    app.add_middleware(InternalErrorMiddleware)

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, error: DomainError) -> Response:
        if isinstance(error, NotAuthenticated) and not _wants_json(request) and request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else None
        extra = {"details": error.details} if error.details is not None else None
        return error_response(request, error.status_code, error.code, error.message, extra=extra, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, error: RequestValidationError) -> Response:
        errors = list(error.errors())
        return error_response(
            request, 422, "validation_failed", _validation_message(errors), extra={"errors": _json_safe_errors(errors)}
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        message = error.detail if isinstance(error.detail, str) else "request failed"
        return error_response(
            request, error.status_code, "http_error", message, headers=getattr(error, "headers", None)
        )

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, error: OverflowError) -> Response:
        if _is_out_of_range(error):
            return _out_of_range_response(request)
        return _internal_error(request)

    @app.exception_handler(DataError)
    async def _data_error(request: Request, error: DataError) -> Response:
        if _is_out_of_range(error):
            return _out_of_range_response(request)
        if _is_nul_text(error):
            return error_response(
                request, 422, "nul_character", "invalid request: text must not contain the NUL character (U+0000)"
            )
        return _internal_error(request)

    # The last resort, for an error in the middleware outside InternalErrorMiddleware (Starlette
    # answers with it, then re-raises).
    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        return _internal_error(request)


def _internal_error(request: Request) -> Response:
    # Called while handling the exception, so the traceback is still the current exception.
    logger.exception("unhandled error on %s %s from %s", request.method, request.url.path, client_address(request))
    message = "internal error; it has been logged"
    try:
        return error_response(request, 500, "internal_error", message)
    except Exception:
        # The error page itself failed (a template, the translations): answer without it.
        logger.exception("the error page failed on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": message, "code": "internal_error"}, status_code=500)
