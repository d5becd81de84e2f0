"""Demo knowledge base: 30+ articles for the Nimbus thermostat, Aurora vacuum and Pulse earbuds.

The texts live as Markdown files with front matter in ``kb/demo_content/`` and load through the
same importer as ``aftercare kb import``. Idempotent: only missing articles and translations are
added, so running ``aftercare demo`` again never undoes an admin's edits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Role, User
from kb.importing import import_records, read_import_path

DEMO_CONTENT_DIR = Path(__file__).parent / "demo_content"
DEMO_AUTHOR_EMAIL = "admin@example.com"


def load_demo(session: Session, echo: Callable[[str], None]) -> None:
    """Idempotent: adds only what is missing."""
    author = session.scalar(select(User).where(User.email == DEMO_AUTHOR_EMAIL, User.role == Role.ADMIN))
    records = read_import_path(DEMO_CONTENT_DIR)
    report = import_records(session, records, author=author, only_missing=True)
    echo(
        f"  knowledge base: {len(report.created)} new articles and translations, {len(report.unchanged)} already there"
    )
