"""``aftercare purchases ...``: purchase import and after-sales passes run by hand.

``import FILE.csv`` imports every valid row and reports each invalid one with its row number
(the header is row 1); known order ids are skipped, so re-running the same file adds nothing.
With ``--all-or-nothing`` a single invalid row aborts the import and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Purchases and after-sales programmes.", no_args_is_help=True)

# Rows per committed unit of work: a crash loses at most one batch, and a re-run skips the rest.
IMPORT_BATCH_ROWS = 500
MAX_ERRORS_SHOWN = 50


class _AllOrNothing(Exception):
    """Raised inside the unit of work to roll the whole import back."""


def _fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _stop_if_busy(error: Exception, *, kept: str) -> None:
    """A SQLite lock still held by another writer after the busy timeout: say so, exit 75 (EX_TEMPFAIL)."""
    from aftercare.db import is_database_busy

    if is_database_busy(error):
        _fail(f"the database stayed locked by another writer; {kept}; run the command again", code=75)


def _database():
    from pydantic import ValidationError

    from aftercare.config import get_settings
    from aftercare.db import Database

    try:
        settings = get_settings()
    except ValidationError as error:
        _fail(f"invalid settings: {error}")
        raise
    return Database(settings.database_url_resolved)


def _count_rows(path: Path) -> int:
    import csv

    with path.open(newline="", encoding="utf-8-sig") as stream:
        return max(sum(1 for _ in csv.reader(stream)) - 1, 0)


def _batches(rows, size: int):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@app.command("import")
def import_csv(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="CSV file with a header row."),
    all_or_nothing: bool = typer.Option(
        False, "--all-or-nothing", help="Write nothing at all when any row is invalid."
    ),
) -> None:
    """Import purchases from a CSV file (columns: external_order_id, customer_email, sku, amount,
    currency, purchased_at; optional: customer_name, customer_language, product_name, quantity, channel,
    marketing_consent)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from aftersales.purchases import ImportReport, MissingColumns, import_rows, read_csv_rows

    console = Console(stderr=True)
    total_rows = _count_rows(file)
    database = _database()
    report = ImportReport()
    try:
        with (
            file.open(newline="", encoding="utf-8-sig") as stream,
            Progress(
                TextColumn("[bold]importing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=False,
            ) as progress,
        ):
            task = progress.add_task("rows", total=total_rows)
            rows = read_csv_rows(stream)
            if all_or_nothing:
                try:
                    with database.session(write=True) as session:
                        report = import_rows(session, rows, on_row=lambda _: progress.advance(task))
                        if report.errors:
                            raise _AllOrNothing
                except _AllOrNothing:
                    pass
            else:
                for batch in _batches(rows, IMPORT_BATCH_ROWS):
                    with database.session(write=True) as session:
                        part = import_rows(session, batch, on_row=lambda _: progress.advance(task))
                    report.created += part.created
                    report.unchanged += part.unchanged
                    report.errors.extend(part.errors)
    except MissingColumns as error:
        _fail(str(error))
    except UnicodeDecodeError:
        _fail(f"{file} is not UTF-8 text; export the CSV as UTF-8")
    except (OperationalError, ProgrammingError) as error:
        if "no such table" in str(error) or "does not exist" in str(error):
            _fail("the database has no schema yet; run 'aftercare db upgrade' first")
        _stop_if_busy(
            error,
            kept="nothing was imported"
            if all_or_nothing
            else "the batches committed so far are kept and a re-run skips them",
        )
        raise
    finally:
        database.dispose()
    for error in report.errors[:MAX_ERRORS_SHOWN]:
        typer.secho(f"row {error.row}: {error.message}", fg=typer.colors.RED, err=True)
    if len(report.errors) > MAX_ERRORS_SHOWN:
        typer.secho(f"... and {len(report.errors) - MAX_ERRORS_SHOWN} more row errors", fg=typer.colors.RED, err=True)
    if all_or_nothing and report.errors:
        typer.echo(f"nothing imported: {len(report.errors)} invalid row(s) of {report.rows}")
        raise typer.Exit(1)
    typer.echo(
        f"imported {report.created} new purchase(s), {report.unchanged} already known, "
        f"{len(report.errors)} invalid row(s)"
    )
    if report.errors:
        raise typer.Exit(1)


@app.command("schedule")
def schedule() -> None:
    """Run the daily pass now: enrol recent buyers, enqueue due tips, send survey invitations."""
    from sqlalchemy.exc import OperationalError

    from aftersales.programmes import run_scheduling_pass
    from aftersales.surveys import run_survey_pass

    database = _database()
    try:
        with database.session(write=True) as session:
            tips = run_scheduling_pass(session)
            surveys = run_survey_pass(session)
    except OperationalError as error:
        _stop_if_busy(error, kept="nothing was changed")
        raise
    finally:
        database.dispose()
    typer.echo(
        f"enrolled {tips.enrolled}, tips due {tips.due}, enqueued {tips.enqueued}, declined {tips.declined}, "
        f"without an article {tips.no_article}; surveys: {surveys['csat']} CSAT, {surveys['nps']} NPS"
    )


@app.command("scan-lapsed")
def scan_lapsed() -> None:
    """Recompute the lapsed-buyer list from purchase history."""
    from sqlalchemy.exc import OperationalError

    from aftersales.lapsed import scan

    database = _database()
    try:
        with database.session(write=True) as session:
            count = scan(session)
    except OperationalError as error:
        _stop_if_busy(error, kept="nothing was changed")
        raise
    finally:
        database.dispose()
    typer.echo(f"{count} lapsed buyer(s)")
