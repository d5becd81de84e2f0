"""``aftercare kb ...``: knowledge-base commands (import, export, reindex)."""

import typer

app = typer.Typer(help="Knowledge base: import, export, reindex.", no_args_is_help=True)
