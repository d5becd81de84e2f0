"""What every command of the shell shares: exiting with a message, reading settings, refusing the
published development secret where others can reach the process."""

from __future__ import annotations

import ipaddress

import typer
from pydantic import ValidationError

from aftercare.config import DEVELOPMENT_SECRET_KEY, Environment, Settings, get_settings


def fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as error:
        fail(f"invalid settings: {error}")
        raise  # unreachable; keeps type checkers happy


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
