"""``aftercare purchases ...``: purchase import and after-sales commands."""

import typer

app = typer.Typer(help="Purchases and after-sales programmes.", no_args_is_help=True)
