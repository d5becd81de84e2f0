"""The ``aftercare`` command: database, server, demo data, users.

Every command reads AFTERCARE_DATABASE_URL, AFTERCARE_DATA_DIR and AFTERCARE_SECRET_KEY from
the environment (see aftercare.config.Settings).
"""

from __future__ import annotations

import signal
import sys

import typer

from aftercare.config import (
    InsecureSettingsError,
)
from aftercare.errors import DomainError
from entry.shell import (
    fail,
    is_loopback,
    load_settings,
    refuse_default_secret,
)

app = typer.Typer(help="Aftercare: self-hosted, AI-assisted help desk.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.callback()
def _before_command(context: typer.Context) -> None:
    from entry.jobs import register_jobs

    register_jobs()
    # After-commit subscribers (aftercare.events): a ticket created by any command (mail-in, the
    # demo) is confirmed by e-mail. Importing is cheap; the search model loads on first search.
    import aftersales.ticket_facts  # noqa: F401 - routing and SLA conditions on products and segments
    import helpdesk.notifications.subscribers  # noqa: F401 - subscribes on import
    import kb.subscribers  # noqa: F401 - subscribes on import


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Option("heads", help="Target revision (default: latest).")) -> None:
    """Create or upgrade the database schema to the latest migration."""
    from aftercare import migrate

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url_resolved, revision=revision)
    typer.echo(f"database at {_redacted(settings.database_url_resolved)} is up to date")


@db_app.command("revision")
def db_revision(
    message: str = typer.Option(..., "--message", "-m", help="What the migration does, in a few words."),
    autogenerate: bool = typer.Option(
        True, "--autogenerate/--empty", help="Fill it from the difference between the models and the database."
    ),
) -> None:
    """Write a new migration file (named by date) for developers; review it before committing."""
    from aftercare import migrate
    from entry.models_registry import metadata

    settings = load_settings()
    path = migrate.new_revision(settings.database_url_resolved, message, metadata=metadata if autogenerate else None)
    typer.echo(f"wrote {path}")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="Web processes (they share the database and index version)."),
    reload: bool = typer.Option(False, help="Reload on code changes (development)."),
) -> None:
    """Serve the web app and the JSON API."""
    import uvicorn

    settings = load_settings()
    try:
        settings.check_safe_to_run()
    except InsecureSettingsError as error:
        fail(str(error))
    if not is_loopback(host):
        refuse_default_secret(settings, f"when serving on a non-loopback address ({host})")
    from workers import embedded

    # Here, not in the app: with --workers N this is the supervisor, so N web processes run one worker.
    worker = embedded.start(settings)
    if worker is not None:
        typer.echo(
            "serve: the task queue's worker runs in this process (AFTERCARE_EMBEDDED_WORKER=off to leave "
            "it to 'aftercare worker')"
        )
        # uvicorn re-raises the SIGTERM it stopped on once it is done; as an exception here (not the
        # default handler's instant death) it lets the worker finish the job in hand below.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        uvicorn.run(
            "entry.asgi:app",
            host=host,
            port=port,
            workers=workers if not reload else 1,
            reload=reload,
            # X-Forwarded-* only from AFTERCARE_TRUSTED_PROXIES (uvicorn's default trusts 127.0.0.1).
            proxy_headers=bool(settings.trusted_proxies),
            forwarded_allow_ips=settings.trusted_proxies or None,
        )
    finally:
        if worker is not None:
            worker.stop()


@app.command("create-user")
def create_user(
    email: str = typer.Option(..., help="Login e-mail address."),
    name: str = typer.Option(..., help="Display name."),
    role: str = typer.Option(..., help="customer, agent or admin."),
    password: str | None = typer.Option(
        None,
        help="Password for browser sign-in (or set AFTERCARE_NEW_USER_PASSWORD).",
        envvar="AFTERCARE_NEW_USER_PASSWORD",
    ),
) -> None:
    """Create a user and print a new API token alone on the last line.

    A customer's address that wrote in before (a Customer without an account) gets its account
    attached to that customer record, with its tickets."""
    from accounts.models import Role
    from accounts.service import create_user as create
    from accounts.service import get_customer_by_email, issue_api_token
    from aftercare.db import Database

    try:
        parsed_role = Role(role.strip().lower())
    except ValueError:
        fail(f"unknown role {role!r}; choose one of: customer, agent, admin", code=2)
        return
    settings = load_settings()
    database = Database(settings.database_url_resolved)
    try:
        with database.session(write=True) as session:
            existing = get_customer_by_email(session, email) if parsed_role == Role.CUSTOMER else None
            user = create(session, email=email, name=name, role=parsed_role, password=password)
            token = issue_api_token(session, user, name="cli")
    except DomainError as error:
        fail(error.message)
    except Exception as error:  # e.g. schema missing: say what to do instead of a traceback
        if "no such table" in str(error) or "does not exist" in str(error):
            fail("the database has no schema yet; run 'aftercare db upgrade' first")
        raise
    finally:
        database.dispose()
    if existing is not None:
        typer.echo(f"attached to the existing customer {user.email} (customer id {existing.id})")
    typer.echo(f"created {parsed_role} {user.email} (id {user.id}); API token:")
    typer.echo(token)


@app.command("set-password")
def set_password(
    email: str = typer.Option(..., help="The user's login e-mail address."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (scripts) instead of asking."
    ),
) -> None:
    """Set a user's password for browser sign-in (asked twice, not shown)."""
    from accounts.service import set_password as set_user_password
    from aftercare.db import Database

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    settings = load_settings()
    database = Database(settings.database_url_resolved)
    try:
        with database.session(write=True) as session:
            user = set_user_password(session, email, password)
            address = user.email
    except DomainError as error:
        fail(error.message)
        return
    finally:
        database.dispose()
    typer.echo(f"password set for {address}")


@app.command()
def demo() -> None:
    """Load demo data: agents, customers and tickets in several languages (idempotent)."""
    from aftercare.db import Database
    from entry.demo import load_demo

    settings = load_settings()
    database = Database(settings.database_url_resolved)
    try:
        with database.session(write=True) as session:
            summary = load_demo(session, echo=typer.echo)
    finally:
        database.dispose()
    typer.echo(summary)


def _register_domain_commands() -> None:
    from aftersales import cli as aftersales_cli
    from entry import worker_cli as workers_cli
    from kb import cli as kb_cli

    app.add_typer(kb_cli.app, name="kb")
    app.add_typer(aftersales_cli.app, name="purchases")
    workers_cli.register(app)


_register_domain_commands()


def main() -> None:
    try:
        app()
    except InsecureSettingsError as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
