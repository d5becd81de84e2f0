"""Top-level worker commands: ``aftercare worker`` and ``aftercare mail-in``."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main ``aftercare`` app."""
