"""One place that turns errors into HTTP answers: JSON for the API, a page for browsers."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from fastapi.responses import RedirectResponse
from urllib.parse import quote

from aftercare.errors import DomainError, NotAuthenticated, RateLimited

logger = logging.getLogger(__name__)


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
    request: Request, status_code: int, code: str, message: str, *, extra: dict[str, Any] | None = None,
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


def install_error_handlers(app: FastAPI) -> None:
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
        return error_response(request, error.status_code, "http_error", message, headers=getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "internal_error", "internal error; it has been logged")
