"""Server-rendered pages (Jinja2 + htmx): customer portal, agent workspace, admin studio."""
