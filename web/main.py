"""ASGI entry point for uvicorn (``aftercare serve``): the app built from environment settings."""

from web.app import create_app

app = create_app()
