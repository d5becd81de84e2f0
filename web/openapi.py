"""The published OpenAPI document tells the truth about errors and authentication.

FastAPI documents every 422 as its own ``HTTPValidationError`` (``detail`` as a list), but this
app answers every error, 422 included, with one JSON body (``web.errors``)::

    {"detail": "<message>", "code": "<machine code>", ...}

plus ``errors`` (the field-by-field list) on a request validation failure and ``details`` when a
domain error carries them. ``install_openapi`` post-processes the generated document once:

- the error body is a component, ``ErrorRead``, and every error response refers to it;
- each operation lists the errors it can really give, derived from what the route depends on
  (authentication, path ids, parameters, a body) plus what a route declares itself with
  ``responses=error_responses(...)`` (conflicts, rate limits, references to other rows);
- the bearer token and the ticket's signed link are security schemes, required where a route
  requires them.

The contract test (``tests/web/test_openapi_contract.py``) runs schemathesis over this document
and fails on any response that it does not describe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from web import deps

ERROR_SCHEMA_NAME = "ErrorRead"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
# FastAPI's own validation error models, which no response of this app has.
FASTAPI_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError")

ERROR_SCHEMAS: dict[str, Any] = {
    ERROR_SCHEMA_NAME: {
        "title": ERROR_SCHEMA_NAME,
        "type": "object",
        "description": "Every error answer: a message for people and a stable code for programs.",
        "required": ["detail", "code"],
        "properties": {
            "detail": {"type": "string", "description": "What went wrong, in English."},
            "code": {
                "type": "string",
                "description": (
                    "A stable machine code, e.g. validation_failed, value_out_of_range, nul_character, "
                    "not_authenticated, forbidden, not_found, conflict, invalid_transition, payload_too_large, "
                    "rate_limited, database_busy, http_error."
                ),
            },
            "errors": {
                "type": "array",
                "description": "With code validation_failed: each invalid field.",
                "items": {"$ref": "#/components/schemas/ErrorField"},
            },
            "details": {"description": "Further facts about the error, when it has any."},
        },
    },
    "ErrorField": {
        "title": "ErrorField",
        "type": "object",
        "required": ["loc", "msg", "type"],
        "properties": {
            "loc": {"type": "array", "items": {"type": "string"}, "description": "Where, e.g. ['query', 'limit']."},
            "msg": {"type": "string"},
            "type": {"type": "string"},
        },
    },
}

RETRY_AFTER_HEADER = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
}

ERROR_DESCRIPTIONS = {
    400: "Bad request",
    401: "No credentials, or an invalid or revoked token",
    403: "Authenticated, but not allowed to do this",
    404: "Not found (or not visible to this caller)",
    409: "Conflicts with the current state (e.g. a duplicate, or a status change that is not allowed)",
    413: "Request body too large",
    422: "Invalid request: a parameter or the body (see errors), or a value the database cannot hold",
    429: "Too many requests from this client",
    503: "The database is busy; try again after Retry-After seconds",
}

# The security schemes: an API token (``aftercare create-user``), or one ticket's signed link.
BEARER = "bearerAuth"
TICKET_LINK_HEADER = "ticketLinkHeader"
TICKET_LINK_QUERY = "ticketLinkQuery"
SECURITY_SCHEMES: dict[str, Any] = {
    BEARER: {"type": "http", "scheme": "bearer", "description": "An API token from `aftercare create-user`."},
    TICKET_LINK_HEADER: {
        "type": "apiKey",
        "in": "header",
        "name": deps.TICKET_TOKEN_HEADER,
        "description": "A ticket's signed access token: reads and replies to that one ticket.",
    },
    TICKET_LINK_QUERY: {
        "type": "apiKey",
        "in": "query",
        "name": deps.TICKET_TOKEN_QUERY,
        "description": "The same signed access token, as in the link e-mailed to the customer.",
    },
}
# Who a route lets in, by the principal dependency it has.
STAFF_CALLS = {deps.require_api_staff, deps.require_api_admin}
PRINCIPAL_CALLS = {deps.get_api_principal}
SECURITY_STAFF: list[dict[str, list[str]]] = [{BEARER: []}]
SECURITY_OPTIONAL: list[dict[str, list[str]]] = [{}, {BEARER: []}, {TICKET_LINK_HEADER: []}, {TICKET_LINK_QUERY: []}]

# Operations whose modules others own, and the errors they give besides the derived ones (kept
# here so that documenting them needs no edit there); a module of one's own says it with
# ``responses=error_responses(...)`` on the route instead.
ROUTE_ERRORS: dict[tuple[str, str], tuple[int, ...]] = {
    ("POST", "/api/v1/tickets"): (429,),
    # A closed ticket takes no reply (409); a customer's replies are rate limited.
    ("POST", "/api/v1/tickets/{ticket_id}/messages"): (409, 429),
    ("PATCH", "/api/v1/tickets/{ticket_id}"): (409,),
    ("GET", "/api/v1/search"): (429,),
}
# Routes that answer their own bodies, not ErrorRead (a health check's 503 says what is down).
OWN_ERROR_BODIES = {("GET", "/healthz")}
HEALTH_RESPONSES: dict[str, Any] = {
    "200": {
        "description": "Ready to serve",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HealthRead"}}},
    },
    "503": {
        "description": "Starting, or a part it needs (the database) is unavailable",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HealthRead"}}},
    },
}
HEALTH_SCHEMA: dict[str, Any] = {
    "title": "HealthRead",
    "type": "object",
    "required": ["status"],
    "properties": {"status": {"type": "string", "description": "ok, starting or unavailable"}},
    "description": "Further fields say which part is unavailable.",
}


def error_response(status: int) -> dict[str, Any]:
    """One documented error response (the value under ``responses[status]``)."""
    response: dict[str, Any] = {
        "description": ERROR_DESCRIPTIONS.get(status, "Error"),
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if status in (429, 503):
        response["headers"] = dict(RETRY_AFTER_HEADER)
    return response


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """For a route's ``responses=``: the errors it gives besides the ones derived from its signature."""
    return {status: error_response(status) for status in statuses}


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and so ``/openapi.json`` and ``/docs``) return the corrected document."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        # FastAPI caches its document (and makes a new one when routes are added): correct each
        # new one once, in place; the error component is the mark of a corrected one.
        schema = generate()
        if ERROR_SCHEMA_NAME not in schema.get("components", {}).get("schemas", {}):
            document_errors(schema, app.routes)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_errors(schema: dict[str, Any], routes: Iterable[Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in FASTAPI_ERROR_SCHEMAS:
        schemas.pop(name, None)
    schemas.update(ERROR_SCHEMAS)
    schemas["HealthRead"] = HEALTH_SCHEMA
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)

    dependencies = _route_dependencies(routes)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            key = (method.upper(), path)
            if key in OWN_ERROR_BODIES:
                operation["responses"] = dict(HEALTH_RESPONSES)
                continue
            _document_operation(operation, dependencies.get(key, set()), ROUTE_ERRORS.get(key, ()))
    return schema


def _document_operation(operation: dict[str, Any], calls: set[Any], extra: Iterable[int]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    statuses: set[int] = set(extra)
    # Every route reads the database; on SQLite a lock still held after the busy timeout is a 503.
    statuses.add(503)
    parameters = operation.get("parameters", [])
    if parameters or "requestBody" in operation:
        # Invalid input, a number beyond what a column holds, or text PostgreSQL cannot store.
        statuses.add(422)
    if "requestBody" in operation:
        # A body that is not even text (bytes that are not UTF-8) is a 400; one over the limit a 413.
        statuses.update((400, 413))
    if any(parameter.get("in") == "path" for parameter in parameters):
        statuses.add(404)
    if calls & STAFF_CALLS:
        statuses.update((401, 403))
        operation["security"] = SECURITY_STAFF
    elif calls & PRINCIPAL_CALLS:
        # Anonymous callers are welcome, but a token that is sent must be valid.
        statuses.add(401)
        operation["security"] = SECURITY_OPTIONAL
    for status in sorted(statuses):
        existing = responses.get(str(status))
        if existing is None or _is_fastapi_validation_error(existing):
            responses[str(status)] = error_response(status)
    # Errors declared on the route with error_responses() keep their text but share the body.
    for status, response in responses.items():
        if status.isdigit() and int(status) >= 400 and "content" in response:
            response["content"] = {"application/json": {"schema": ERROR_REF}}


def _is_fastapi_validation_error(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref", "").rsplit("/", 1)[-1] in FASTAPI_ERROR_SCHEMAS


def _route_dependencies(routes: Iterable[Any]) -> dict[tuple[str, str], set[Any]]:
    """(method, path) -> every dependency function of that API route, nested ones included."""
    found: dict[tuple[str, str], set[Any]] = {}
    # Included routers are expanded into the routes as served (FastAPI's own walk for the document).
    for context in routing.iter_route_contexts(list(routes)):
        if not isinstance(context.original_route, APIRoute) or not context.include_in_schema:
            continue
        calls = set(_dependency_calls(context.dependant))
        for method in context.methods or ():
            found[(method, context.path_format)] = calls
    return found


def _dependency_calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _dependency_calls(dependency)
