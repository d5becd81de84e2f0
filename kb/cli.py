"""``aftercare kb ...``: knowledge-base commands (import, export; reindex is added by the search work)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from kb.importing import ImportFailed

app = typer.Typer(help="Knowledge base: import, export, reindex.", no_args_is_help=True)


# Without a terminal (a log, CI), reindex progress is a line on stderr at most this often.
PROGRESS_LOG_SECONDS = 5.0


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    MARKDOWN = "markdown"


class _DryRun(Exception):
    """Raised inside the unit of work to roll it back after a dry run."""


def _fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@contextmanager
def _unit_of_work(*, write: bool = False) -> Iterator[Session]:
    """A committed-on-success session on the configured database, with operator-friendly errors.

    ``write=True`` for commands that write: on SQLite they take the write lock before their first
    read (``aftercare.db``), so a server writing at the same time makes them wait, not fail.
    """
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from aftercare.config import get_settings
    from aftercare.db import Database, is_database_busy

    try:
        settings = get_settings()
    except ValidationError as error:
        _fail(f"invalid settings: {error}")
        raise
    database = Database(settings.database_url_resolved)
    try:
        with database.session(write=write) as session:
            yield session
    except (OperationalError, ProgrammingError) as error:
        if "no such table" in str(error) or "does not exist" in str(error):
            _fail("the database has no schema yet; run 'aftercare db upgrade' first")
        if is_database_busy(error):
            # All or nothing: the transaction rolled back, so running it again is safe.
            _fail("the database stayed locked by another writer; nothing was changed, run the command again", code=75)
        raise
    finally:
        database.dispose()


@app.command("import")
def import_command(
    path: Path = typer.Argument(..., help="A folder of Markdown files with front matter, a .md file or a .jsonl file."),
    author: str | None = typer.Option(None, help="E-mail of the staff user recorded as author of new versions."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and report what would change; write nothing."),
) -> None:
    """Import articles and translations, idempotent by slug; all or nothing."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from sqlalchemy import select

    from accounts.models import User
    from accounts.service import normalize_email
    from kb.importing import (
        ImportFailed,
        ImportReport,
        import_records,
        read_import_path,
    )

    try:
        records = read_import_path(path)
    except ImportFailed as error:
        _report_failure(error)
        return
    report = ImportReport()
    try:
        with _unit_of_work(write=True) as session:
            author_user = None
            if author is not None:
                author_user = session.scalar(select(User).where(User.email == normalize_email(author)))
                if author_user is None or not author_user.is_staff:
                    _fail(f"no staff user with e-mail {author}")
            columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"))
            # On stderr: stdout stays the plain report that scripts read.
            with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
                task = progress.add_task("", total=len(records))
                report = import_records(
                    session,
                    records,
                    author=author_user,
                    on_record=lambda item: progress.update(task, advance=1, description=item.label),
                )
            if dry_run:
                raise _DryRun
    except ImportFailed as error:
        _report_failure(error)
    except _DryRun:
        typer.echo(f"dry run, nothing written: {report.summary()}")
        return
    for label in report.created:
        typer.echo(f"  created   {label}")
    for label in report.updated:
        typer.echo(f"  updated   {label}")
    typer.echo(f"imported {path}: {report.summary()}")


def _report_failure(error: ImportFailed) -> None:
    for problem in error.problems:
        typer.secho(problem, fg=typer.colors.RED, err=True)
    _fail(error.message)


@app.command("export")
def export_command(
    format: ExportFormat = typer.Option(
        ExportFormat.JSONL, "--format", help="jsonl (one file) or markdown (a folder)."
    ),
    out: Path | None = typer.Option(None, "--out", help="File (jsonl) or folder (markdown); jsonl defaults to stdout."),
) -> None:
    """Export every article and translation in a format 'aftercare kb import' reads back."""
    from kb.exporting import write_jsonl, write_markdown_folder

    if format == ExportFormat.MARKDOWN and out is None:
        _fail("--out FOLDER is required with --format markdown", code=2)
    with _unit_of_work() as session:
        if format == ExportFormat.MARKDOWN:
            assert out is not None
            written = write_markdown_folder(session, out)
            typer.echo(f"exported {len(written)} files to {out}", err=True)
        elif out is None:
            count = write_jsonl(session, sys.stdout)
            typer.echo(f"exported {count} records", err=True)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("w", encoding="utf-8") as stream:
                count = write_jsonl(session, stream)
            typer.echo(f"exported {count} records to {out}", err=True)


@app.command("reindex")
def reindex_command(
    reuse: bool = typer.Option(
        True,
        "--reuse/--no-reuse",
        help="Reuse the saved index's vectors for unit texts that did not change (--no-reuse embeds everything).",
    ),
) -> None:
    """Rebuild the search index from the database and save it; running servers adopt it within seconds.

    Progress shows documents done, units indexed and chunks embedded per second, and an ETA (on a
    terminal as a bar, otherwise a line on stderr every few seconds)."""
    import time

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    from aftercare.config import get_settings
    from kb.search.keeper import IndexKeeper, describe
    from kb.search.progress import RebuildProgress
    from retrieval.embedders import passage_lane
    from retrieval.engine import UpsertStats

    passage_lane.nice = 0  # no searches to give way to in this process
    settings = get_settings()
    keeper = IndexKeeper(embedder_spec=settings.embedder, index_dir=settings.index_path)
    started = time.perf_counter()
    stats = UpsertStats()
    console = Console(stderr=True)
    with _unit_of_work() as session:
        tracker = RebuildProgress(stats)
        if console.is_terminal:
            columns = (TextColumn("indexing"), BarColumn(bar_width=24), TextColumn("{task.description}"))
            with Progress(*columns, console=console, transient=True) as progress:
                task = progress.add_task("reading the database", total=None)

                def show_bar(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total, description=tracker.compact(done, total))

                keeper.rebuild(session, progress=show_bar, stats=stats, reuse=reuse)
        else:
            shown = [0.0]

            def show_line(done: int, total: int) -> None:
                # A log, not a bar: a line every few seconds and the last one.
                if done >= total or time.monotonic() - shown[0] >= PROGRESS_LOG_SECONDS:
                    shown[0] = time.monotonic()
                    typer.echo(f"reindex: {tracker.line(done, total)}", err=True)

            keeper.rebuild(session, progress=show_line, stats=stats, reuse=reuse)
    keeper.save(force=True)
    figures = describe(keeper)
    typer.echo(
        f"indexed {figures['documents']} documents ({figures['units']} units, {stats.embedded} embedded) "
        f"with {figures['embedder']} "
        f"at version {figures['version']} in {time.perf_counter() - started:.1f} s -> {keeper.directory}"
    )
