"""Jinja2 set-up shared by every page: one environment, CSRF, translations and helpers in every template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from sqlalchemy import inspect as sa_inspect

from helpdesk.attachments.content_types import INLINE_IMAGE_TYPES
from helpdesk.notifications.mentions import mentions_html
from kb.urls import article_path
from web import i18n
from web.csrf import csrf_token, set_csrf_cookie_if_new
from web.i18n import N_
from web.uploads import attachment_limits, human_size

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

# Status and priority values are stored in English; these are the words people read.
STATUS_LABELS = {
    "new": N_("New"),
    "open": N_("Open"),
    "pending": N_("Pending"),
    "solved": N_("Solved"),
    "closed": N_("Closed"),
}
PRIORITY_LABELS = {
    "low": N_("Low"),
    "normal": N_("Normal"),
    "high": N_("High"),
    "urgent": N_("Urgent"),
}
CHANNEL_LABELS = {
    "web": N_("web form"),
    "api": N_("API"),
    "email": N_("e-mail"),
    "forum": N_("forum"),
}
LANGUAGE_SOURCE_LABELS = {
    "detected": N_("detected"),
    "customer": N_("customer's language"),
    "default": N_("site default"),
    "given": N_("chosen by the customer"),
}
_LABEL_GROUPS = {
    "status": STATUS_LABELS,
    "priority": PRIORITY_LABELS,
    "channel": CHANNEL_LABELS,
    "language_source": LANGUAGE_SOURCE_LABELS,
}
ERROR_TITLES = {
    400: N_("The request could not be understood"),
    401: N_("Please sign in"),
    403: N_("You are not allowed to do that"),
    404: N_("Page not found"),
    409: N_("That cannot be done right now"),
    413: N_("That is too large"),
    422: N_("Please check what you entered"),
    429: N_("Too many requests"),
    500: N_("Something went wrong on our side"),
}

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=select_autoescape(["html", "xml"], default_for_string=True),
    trim_blocks=False,
)
i18n.install(_env)
templates = Jinja2Templates(env=_env)
templates.env.globals["csrf_token"] = csrf_token


@pass_context
def _label_for(context: Context, group: str, value: object) -> str:
    """The words for a stored value (a status, a channel...) in the reader's language."""
    key = str(value)
    labels = _LABEL_GROUPS.get(group, {})
    return i18n.translate_label(context, labels[key]) if key in labels else key


@pass_context
def _status_label(context: Context, status: object) -> str:
    return _label_for(context, "status", status)


@pass_context
def _priority_label(context: Context, priority: object) -> str:
    return _label_for(context, "priority", priority)


@pass_context
def _language_name(context: Context, code: object) -> str:
    """A ticket's language, named in the reader's language ("polski" -> "Polish" for an English agent)."""
    key = str(code or "")
    try:
        name = i18n.babel_locale(key).get_display_name(i18n.babel_locale(i18n.context_language(context)))
    except (ValueError, TypeError, LookupError):
        return key
    return name or key


templates.env.globals["label_for"] = _label_for
templates.env.globals["status_label"] = _status_label
templates.env.globals["priority_label"] = _priority_label
templates.env.globals["language_name"] = _language_name
# One way to an article's address (kb.urls), in every template.
templates.env.globals["article_path"] = article_path
# An internal note with its @mentions marked (escaped otherwise): mentions_html(body, agents).
templates.env.globals["mentions_html"] = mentions_html
# Attachments (templates/attachments/*): which are shown as pictures, sizes, the upload limits.
templates.env.globals["inline_image_types"] = INLINE_IMAGE_TYPES
templates.env.globals["file_size"] = human_size
templates.env.globals["attachment_limits"] = attachment_limits


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _page_context(request: Request, context: dict[str, Any] | None) -> dict[str, Any]:
    language = i18n.request_language(request)
    ctx: dict[str, Any] = {
        "request": request,
        "ui_language": language,
        "ui_languages": i18n.language_choices(request),
        # Where the language switcher sends the reader back to (path and query, same site).
        "current_url": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **(context or {}),
    }
    ctx.setdefault("principal", getattr(request.state, "principal", None))
    return ctx


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
    ctx = _page_context(request, context)
    all_headers = {
        "Content-Language": ctx["ui_language"],
        # The same URL answers in several languages and, for htmx, as a fragment: caches must know.
        "Vary": "Accept-Language, Cookie, HX-Request",
        **(headers or {}),
    }
    if block is not None and is_htmx(request):
        template_obj = templates.env.get_template(template)
        html = "".join(template_obj.blocks[block](template_obj.new_context(ctx)))
        response: Response = HTMLResponse(html, status_code=status_code, headers=all_headers)
    else:
        response = templates.TemplateResponse(request, template, ctx, status_code=status_code, headers=all_headers)
    set_csrf_cookie_if_new(request, response)
    return response


def _principal_for_error_page(request: Request) -> Any:
    """The signed-in principal, reloaded if the failed request's rollback detached it.

    An error rolls the request's transaction back, which expires and detaches its objects;
    the page chrome still needs to know who is signed in.
    """
    principal = getattr(request.state, "principal", None)
    user = getattr(principal, "user", None)
    if user is None:
        return principal
    state = sa_inspect(user)
    if not state.detached and not state.expired_attributes:
        return principal
    identity = state.identity
    if not identity:
        return None
    from accounts.models import User
    from accounts.service import principal_for_user

    try:
        with request.app.state.database.session() as session:
            fresh = session.get(User, identity[0])
            return principal_for_user(fresh) if fresh is not None else None
    except Exception:  # an error page must render even when the database is the problem
        return None


def render_error_page(
    request: Request, *, status_code: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    request.state.principal = _principal_for_error_page(request)
    title = ERROR_TITLES.get(status_code, ERROR_TITLES[500] if status_code >= 500 else ERROR_TITLES[400])
    return render(
        request,
        "pages/error.html",
        {"status_code": status_code, "message": message, "title": title},
        status_code=status_code,
        headers=headers,
    )
