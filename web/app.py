"""The FastAPI application factory."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from aftercare import __version__
from aftercare.config import Settings, get_settings
from aftercare.db import Database
from web.docs import install_docs
from web.errors import install_error_handlers
from web.middleware import BodySizeLimitMiddleware, SecurityHeadersMiddleware
from web.openapi import install_openapi
from web.templating import STATIC_DIR

logger = logging.getLogger(__name__)

# Each module exposes ``router``; one line per domain keeps this file out of their way.
ROUTER_MODULES = (
    "web.api.health",
    "web.api.tickets",
    "web.api.ticket_actions",
    "web.api.articles",
    "web.api.search",
    "web.api.forum",
    "web.api.aftersales",
    "web.api.insights",
    "web.api.access",
    "web.api.users",
    "web.api.privacy",
    "web.api.customers",
    "web.pages.auth",
    "web.pages.account",
    "web.pages.portal",
    "web.pages.self_resolution",
    "web.pages.agent",
    "web.pages.agent_presence",
    "web.pages.notifications",
    "web.api.notifications",
    "web.pages.agent_bulk_merge",
    "web.pages.agent_customers",
    "web.pages.admin",
    "web.pages.admin_team",
    "web.pages.admin_privacy",
    "web.pages.articles",
    "web.pages.search",
    "web.pages.forum",
    "web.pages.aftersales",
    "web.api.lifecycle",
    "web.pages.lifecycle",
    "web.api.claims",
    "web.pages.claims",
    "web.pages.claims_admin",
    "web.pages.email",
    "web.api.mail",
    "web.api.attachments",
    "web.pages.attachments",
    "web.api.operations",
    "web.pages.admin_operations",
)


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_safe_to_run()
    # After-commit subscribers (aftercare.events): the confirmation e-mail with articles to try,
    # the index keeper's wake-ups, new tickets' suggestions, suggestion outcomes of replies.
    importlib.import_module("helpdesk.notifications.subscribers")
    importlib.import_module("kb.subscribers")
    importlib.import_module("aftersales.owned_products")  # suggested replies boost what the customer owns
    importlib.import_module("aftersales.ticket_facts")  # routing and SLA conditions on products and segments

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from kb.search.keeper import start_search_keeper, stop_search_keeper

        owns_database = database is None
        if owns_database:
            app.state.database = Database(settings.database_url_resolved)
        # Ready includes search: the index is loaded or built (seconds for a demo-sized KB) first.
        # A caller's database (tests) gets an inline-syncing keeper: its connection is not shareable.
        app.state.search_keeper = start_search_keeper(app.state.database, settings, background=owns_database)
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            stop_search_keeper(app.state.search_keeper)
            if owns_database:
                app.state.database.dispose()

    app = FastAPI(
        title="Aftercare",
        version=__version__,
        description="Self-hosted, AI-assisted help desk. JSON API under /api/v1.",
        lifespan=lifespan,
        # Served from the package instead of a CDN (web.docs), so they work offline.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.ready = False
    if database is not None:
        app.state.database = database

    install_error_handlers(app)
    # HSTS only where the site is reached over https: a browser would refuse plain-http development.
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.base_url.startswith("https://"))
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_request_bytes,
        # Room for the most and largest files an upload may carry, plus the form around them.
        multipart_max_bytes=settings.max_request_bytes + settings.attachment_max_count * settings.attachment_max_bytes,
    )
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    install_docs(app)

    for module_name in ROUTER_MODULES:
        app.include_router(importlib.import_module(module_name).router)
    install_openapi(app)
    return app
