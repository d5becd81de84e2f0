"""Demo data for this domain, loaded by ``aftercare demo`` after the help desk's own."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session


def load_demo(session: Session, echo: Callable[[str], None]) -> None:
    """Idempotent: adds only what is missing."""
