"""ASGI entry point for uvicorn (``aftercare serve``): the app built from environment settings."""

from entry.jobs import register_jobs
from web.app import create_app

register_jobs()
app = create_app()
