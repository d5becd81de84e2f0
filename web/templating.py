"""Jinja2 set-up shared by every page: one environment, CSRF and helpers in every template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from web.csrf import csrf_token, set_csrf_cookie_if_new

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.globals["csrf_token"] = csrf_token


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    block: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render a page, or only one of its blocks for an htmx request (one template, both uses)."""
    ctx = {"request": request, **(context or {})}
    ctx.setdefault("principal", getattr(request.state, "principal", None))
    if block is not None and is_htmx(request):
        template_obj = templates.env.get_template(template)
        html = "".join(template_obj.blocks[block](template_obj.new_context(ctx)))
        response: Response = HTMLResponse(html, status_code=status_code, headers=headers)
    else:
        response = templates.TemplateResponse(request, template, ctx, status_code=status_code, headers=headers)
    set_csrf_cookie_if_new(request, response)
    return response


def render_error_page(
    request: Request, *, status_code: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    return render(
        request, "pages/error.html", {"status_code": status_code, "message": message},
        status_code=status_code, headers=headers,
    )
