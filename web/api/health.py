"""Liveness and readiness: ``GET /healthz`` answers 200 once the app can serve."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

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
    return JSONResponse({"status": "ok"})
