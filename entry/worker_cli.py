"""Top-level worker commands: ``aftercare worker`` and ``aftercare mail-in``."""

from __future__ import annotations

import logging
import signal
import sys
import threading

import typer

# sysexits.h: what a mail server's pipe transport understands.
EX_DATAERR = 65
EX_TEMPFAIL = 75


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # aiosmtpd logs every SMTP command at INFO; warnings and errors are what an operator needs.
    logging.getLogger("mail.log").setLevel(logging.WARNING)


def worker(
    workers: int = typer.Option(2, "--workers", "-w", min=1, help="Worker threads (or processes) running jobs."),
    once: bool = typer.Option(False, "--once", help="Run every job that is due now, then exit (cron-style)."),
    periodic: bool = typer.Option(
        True,
        "--periodic/--no-periodic",
        help="Run the periodic scheduler here (with several consumers, keep it on one of them).",
    ),
    worker_type: str = typer.Option("thread", help="thread or process."),
) -> None:
    """Run queued and scheduled jobs: sending e-mail, after-sales programmes, surveys."""
    from entry.shell import load_settings, refuse_default_secret_outside_development
    from workers.queue import get_huey, run_once

    _configure_logging()
    settings = load_settings()
    # Jobs sign the links in the mail they send.
    refuse_default_secret_outside_development(settings, "aftercare worker")
    huey = get_huey(settings)
    if once:
        summary = run_once(huey)
        typer.echo(str(summary))
        raise typer.Exit(1 if summary.errors else 0)
    if worker_type not in ("thread", "process"):
        typer.secho("error: --worker-type must be thread or process", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    consumer = huey.create_consumer(workers=workers, periodic=periodic, worker_type=worker_type)
    typer.echo(f"worker: {workers} {worker_type}(s) on queue {settings.queue_url or 'sqlite (data dir)'}; Ctrl-C stops")
    consumer.run()


def mail_in(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(2525, help="TCP port."),
    lmtp: bool = typer.Option(False, "--lmtp", help="Speak LMTP instead of SMTP."),
    stdin: bool = typer.Option(
        False,
        "--stdin",
        help="Read one message from standard input instead (a mail server's pipe transport).",
    ),
) -> None:
    """Receive e-mail into tickets: an SMTP/LMTP server, or one message from standard input."""
    from aftercare.db import Database
    from aftercare.errors import RateLimited
    from entry.shell import (
        is_loopback,
        load_settings,
        refuse_default_secret,
        refuse_default_secret_outside_development,
    )
    from helpdesk.email.mail_in.intake import Outcome, store_inbound
    from helpdesk.email.mail_in.receiver import start_receiver, stop_receiver

    _configure_logging()
    settings = load_settings()
    # New tickets' confirmations carry signed links. A pipe transport retries a temporary failure,
    # so a message that arrives before the operator sets the key waits instead of bouncing.
    refuse_default_secret_outside_development(settings, "aftercare mail-in", code=EX_TEMPFAIL if stdin else 1)
    if not stdin and not is_loopback(host):
        refuse_default_secret(settings, f"when receiving mail on a non-loopback address ({host})")
    database = Database(settings.database_url_resolved)
    if stdin:
        try:
            result = store_inbound(database, sys.stdin.buffer.read(), settings=settings)
        except RateLimited as error:
            typer.echo(f"deferred: {error.message}", err=True)
            raise typer.Exit(EX_TEMPFAIL) from error
        except Exception as error:  # the pipe transport retries on EX_TEMPFAIL
            typer.echo(f"temporary failure: {error}", err=True)
            raise typer.Exit(EX_TEMPFAIL) from error
        finally:
            database.dispose()
        typer.echo(result.smtp_reply)
        raise typer.Exit(EX_DATAERR if result.outcome == Outcome.REJECTED else 0)
    controller = start_receiver(database, host=host, port=port, lmtp=lmtp, settings=settings)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    typer.echo(f"mail-in: {'LMTP' if lmtp else 'SMTP'} on {host}:{port}; Ctrl-C stops")
    try:
        while not stop.wait(1.0):
            pass
    finally:
        stop_receiver(controller)
        database.dispose()


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main ``aftercare`` app."""
    app.command("worker")(worker)
    app.command("mail-in")(mail_in)
