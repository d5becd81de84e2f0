"""Settings: one pydantic-settings class, read from ``AFTERCARE_*`` environment variables."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEVELOPMENT_SECRET_KEY = "dev-insecure-change-me"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class EmbeddedWorker(StrEnum):
    """Whether ``aftercare serve`` also runs the task queue's worker (workers.embedded)."""

    AUTO = "auto"  # on with the embedded queue (a SQLite file), off with a shared one (Redis)
    ON = "on"
    OFF = "off"


class InsecureSettingsError(RuntimeError):
    """Raised when the app would run outside development with an unsafe configuration."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AFTERCARE_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("./var")
    # Empty means "a SQLite file inside data_dir" (resolved in ``database_url_resolved``).
    database_url: str = ""
    secret_key: str = DEVELOPMENT_SECRET_KEY
    base_url: str = "http://127.0.0.1:8000"

    languages: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["en", "pl", "id", "tl", "th"])
    default_language: str = "en"

    public_rate_limit: str = "20/minute"
    login_rate_limit: str = "10/minute"
    # Sign-in links asked for, per address and per client: each one sends an e-mail.
    email_link_rate_limit: str = "5/10 minutes"
    forum_post_rate_limit: str = "10/minute"
    # Replies a customer may add to their tickets (portal and API together), per customer.
    reply_rate_limit: str = "10/minute"
    # Search-as-you-type sends a request per pause in typing: generous, but bounded per client.
    search_rate_limit: str = "600/minute"
    # Where rate-limit counters live: "memory://" for one process, "redis://..." for several.
    rate_limit_storage_url: str = "memory://"
    # Reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For is believed. Empty:
    # the header is ignored, since any client can send it (web/client_address.py).
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    max_request_bytes: int = 256 * 1024

    # A ticket's signed "follow your ticket" link works this long after it was issued (0 = forever).
    ticket_link_max_age_days: int = Field(default=30, ge=0)

    # An e-mailed sign-in link works once, this many minutes after it was asked for.
    email_link_minutes: int = Field(default=15, gt=0)
    # An invitation to the team (an e-mailed link to choose a password) works once, for this many days.
    invitation_days: int = Field(default=7, gt=0)

    session_cookie_name: str = "aftercare_session"
    session_max_age_seconds: int = 14 * 24 * 3600
    # Secure cookies need HTTPS; development over plain http on localhost must still work.
    cookie_secure: bool | None = None

    # Search: the embedder ("e5", "minilm" or "st:<model name or path>") and where indexes live.
    embedder: str = "e5"
    index_dir: Path | None = None

    # Task queue: empty means Huey on a SQLite file in data_dir (no server); "redis://..." for
    # several worker processes on several machines.
    queue_url: str = ""
    # Off where separate `aftercare worker` processes run the queue.
    embedded_worker: EmbeddedWorker = EmbeddedWorker.AUTO

    # Outbound e-mail.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_tls: bool = False
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 30.0
    mail_from: str = "Aftercare Support <support@localhost>"
    # Replies to this address thread back into tickets (the inbound receiver's address).
    mail_reply_to: str = ""
    email_tracking: bool = False
    email_frequency_cap_per_week: int = 3
    # How long undelivered mail keeps being retried while the server is unreachable or answers
    # 4xx (RFC 5321 4.5.4.1: give up after at least 4-5 days); then it is marked failed.
    mail_retry_horizon_hours: float = Field(default=96.0, gt=0)

    # Inbound e-mail.
    mail_in_max_bytes: int = 10 * 1024 * 1024
    mail_in_rate_limit: str = "30/hour"
    # The authserv-id our receiving mail server writes in Authentication-Results (e.g.
    # "mx.example.com"): only its verdicts count. Empty: the topmost header counts.
    mail_in_authserv_id: str = ""
    attachment_max_bytes: int = 8 * 1024 * 1024
    # Uploads (portal, agent page, API): at most this many files per message, each within
    # attachment_max_bytes; an agent's reply e-mails its files up to attachment_email_max_bytes
    # in all (the rest stay on the ticket page, which the e-mail links to).
    attachment_max_count: int = Field(default=10, ge=1)
    attachment_email_max_bytes: int = Field(default=20 * 1024 * 1024, ge=0)
    # Where attachment files live: "local" (data_dir/attachments); the storage interface
    # (helpdesk.attachments.storage) is where an S3-compatible store would be added.
    attachment_storage: Literal["local"] = "local"

    # Privacy: customers with no open ticket and no activity for this many days are erased by a
    # daily job (privacy.tasks). Unset (the default) keeps everyone until erased on request.
    retention_days_closed_tickets: int | None = None

    # After-sales: how long a purchase is under warranty, for products that say nothing of their own.
    default_warranty_months: int = Field(default=24, ge=0, le=1200)
    # After-sales: days after a purchase in which it may be returned, for products without their own.
    default_return_days: int = Field(default=30, ge=0, le=3650)

    @field_validator("retention_days_closed_tickets", mode="before")
    @classmethod
    def _check_retention_days(cls, value: object) -> object:
        # An empty variable is "off" (as unset), not a parse error; anything else must be a whole
        # number of days above zero, said in the variable's own name.
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or int(text) <= 0:
            raise ValueError(
                f"AFTERCARE_RETENTION_DAYS_CLOSED_TICKETS={value!r} must be a whole number of days above 0 "
                "(or unset, to keep customers' data until it is erased on request)"
            )
        return int(text)

    @field_validator("languages", mode="before")
    @classmethod
    def _split_languages(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().startswith("["):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_trusted_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for entry in value:
                try:
                    ipaddress.ip_network(str(entry), strict=False)
                except ValueError as error:
                    raise ValueError(f"AFTERCARE_TRUSTED_PROXIES: {entry!r} is not an IP address or network") from error
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> Settings:
        if self.default_language not in self.languages:
            raise ValueError(f"AFTERCARE_DEFAULT_LANGUAGE={self.default_language!r} is not in AFTERCARE_LANGUAGES")
        return self

    @property
    def database_url_resolved(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'aftercare.db').resolve()}"

    @property
    def index_path(self) -> Path:
        return self.index_dir or (self.data_dir / "index")

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.base_url.startswith("https://")

    def check_safe_to_run(self) -> None:
        """Refuse to serve outside development with secrets anyone can read in our source."""
        if self.environment is Environment.PRODUCTION and self.secret_key == DEVELOPMENT_SECRET_KEY:
            raise InsecureSettingsError(
                "AFTERCARE_SECRET_KEY is the development default; set a long random value "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        if self.environment is Environment.PRODUCTION and len(self.secret_key) < 32:
            raise InsecureSettingsError("AFTERCARE_SECRET_KEY must be at least 32 characters in production.")


@lru_cache
def get_settings() -> Settings:
    return Settings()
