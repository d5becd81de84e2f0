"""HTTP layer: the FastAPI app, the JSON API under /api/v1 and the Jinja2 + htmx pages."""
