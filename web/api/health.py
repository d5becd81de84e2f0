"""Liveness and readiness: ``GET /healthz`` answers 200 once the app can serve.

With a shared rate-limit store configured (``AFTERCARE_RATE_LIMIT_STORAGE_URL=redis://...``) it
also says which store the limits count in, ``"rate_limits": {"store": "redis", "ok": true}``. One
that is unreachable does not stop the app, which counts in memory meanwhile (``web.ratelimit``),
so that is still a 200, with ``{"store": "memory (redis unreachable)", "ok": false, "error": ...}``
for whoever watches. With the default in-memory store nothing there can be down, and the answer
is ``{"status": "ok"}`` alone.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from web import ratelimit

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    if not getattr(request.app.state, "ready", False):
        return JSONResponse({"status": "starting"}, status_code=503)
    try:
        with request.app.state.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # the database being down is exactly what this reports
        return JSONResponse({"status": "unavailable", "database": str(error)[:200]}, status_code=503)
    body: dict[str, object] = {"status": "ok"}
    limits = ratelimit.status(request.app.state.settings.rate_limit_storage_url)
    if limits.shared_store_configured:
        body["rate_limits"] = limits.as_dict()
    return JSONResponse(body)
