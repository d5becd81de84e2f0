"""The ``aftercare`` command: database, server, demo data, users.

Every command reads AFTERCARE_DATABASE_URL, AFTERCARE_DATA_DIR and AFTERCARE_SECRET_KEY from
the environment (see aftercare.config.Settings).
"""

from __future__ import annotations

import ipaddress
import signal
import sys

import typer
from pydantic import ValidationError

from aftercare.config import (
    DEVELOPMENT_SECRET_KEY,
    Environment,
    InsecureSettingsError,
    Settings,
    get_settings,
)
from aftercare.errors import DomainError

app = typer.Typer(help="Aftercare: self-hosted, AI-assisted help desk.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


# Commands whose process confirms new tickets by e-mail (the web server plugs it in at start-up).
CONFIRMING_COMMANDS = frozenset({"mail-in"})


@app.callback()
def _before_command(context: typer.Context) -> None:
    # Confirmations offer articles from the knowledge base; workers cannot import it, so it is
    # plugged in here, only where it is used (loading the search costs seconds).
    if context.invoked_subcommand in CONFIRMING_COMMANDS:
        from kb.feedback.self_resolution import install

        install()


def fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as error:
        fail(f"invalid settings: {error}")
        raise  # unreachable; keeps type checkers happy


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Option("heads", help="Target revision (default: latest).")) -> None:
    """Create or upgrade the database schema to the latest migration."""
    from aftercare import migrate

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url_resolved, revision=revision)
    typer.echo(f"database at {_redacted(settings.database_url_resolved)} is up to date")


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps a server reachable from this machine only."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # "", "0.0.0.0"-like names or a host name: assume the network can reach it


def refuse_default_secret(settings: Settings, why: str, *, code: int = 1) -> None:
    """Exit with a clear message when the secret key is the development default published in our source.

    Whoever knows it can forge sessions, CSRF tokens and ticket links, so it is refused wherever
    anyone but this machine's user can reach the process or its mail.
    """
    if settings.secret_key == DEVELOPMENT_SECRET_KEY:
        fail(
            f"AFTERCARE_SECRET_KEY is the development default, which anyone can read in Aftercare's source; "
            f"it is refused {why}. Set a long random value, for example: "
            "export AFTERCARE_SECRET_KEY=\"$(python -c 'import secrets; print(secrets.token_urlsafe(48))')\"",
            code=code,
        )


def refuse_default_secret_outside_development(settings: Settings, command: str, *, code: int = 1) -> None:
    if settings.environment is not Environment.DEVELOPMENT:
        refuse_default_secret(
            settings, f"by '{command}' outside development (AFTERCARE_ENVIRONMENT={settings.environment})", code=code
        )


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
        typer.echo("serve: the task queue's worker runs in this process (AFTERCARE_EMBEDDED_WORKER=off to leave "
                   "it to 'aftercare worker')")
        # uvicorn re-raises the SIGTERM it stopped on once it is done; as an exception here (not the
        # default handler's instant death) it lets the worker finish the job in hand below.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        uvicorn.run(
            "web.main:app",
            host=host,
            port=port,
            workers=workers if not reload else 1,
            reload=reload,
            # X-Forwarded-* only from AFTERCARE_TRUSTED_PROXIES (uvicorn's default trusts 127.0.0.1).
            proxy_headers=bool(settings.trusted_proxies), forwarded_allow_ips=settings.trusted_proxies or None,
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
        None, help="Password for browser sign-in (or set AFTERCARE_NEW_USER_PASSWORD).",
        envvar="AFTERCARE_NEW_USER_PASSWORD",
    ),
) -> None:
    """Create a user and print a new API token alone on the last line."""
    from accounts.models import Role
    from accounts.service import create_user as create
    from accounts.service import issue_api_token
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
    typer.echo(f"created {parsed_role} {user.email} (id {user.id}); API token:")
    typer.echo(token)


@app.command()
def demo() -> None:
    """Load demo data: agents, customers and tickets in several languages (idempotent)."""
    from aftercare.db import Database
    from aftercare.demo import load_demo

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
    from kb import cli as kb_cli
    from workers import cli as workers_cli

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
