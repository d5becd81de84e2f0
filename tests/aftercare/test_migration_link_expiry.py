"""Migration 0012 on a database with data: links and tokens made before it keep working.

Runs on a SQLite file of its own (it migrates down to 0010 and up again, which the shared test
database of the session must not see).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from itsdangerous import URLSafeSerializer
from sqlalchemy import text
from sqlalchemy.orm import Session

from accounts import service as accounts
from accounts.models import ApiToken
from aftercare import migrate
from aftercare.db import make_engine, utcnow
from helpdesk import ticket_links
from helpdesk.models import Ticket

BEFORE = "0010_intake_suggestions"
OLD_TOKEN = "ac_" + "o" * 43


def _database_with_a_ticket_and_a_token(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'before.db'}"
    migrate.upgrade(url, revision=BEFORE)
    engine = make_engine(url)
    now = "2026-01-01 00:00:00"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO customers (id, email, name, consent_marketing, consent_surveys, created_at, updated_at) "
                "VALUES (1, 'old@example.com', 'Old Customer', 0, 1, :now, :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO tickets (id, subject, status, priority, channel, language, language_confidence, "
                "language_source, requester_id, created_at, updated_at) "
                "VALUES (7, 'Old ticket', 'open', 'normal', 'web', 'en', 1.0, 'detected', 1, :now, :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO users (id, email, name, role, is_active, created_at, updated_at) "
                "VALUES (1, 'agent@example.com', 'Agent', 'agent', 1, :now, :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (1, 1, 'cli', :hash, :now)"
            ),
            {"hash": hashlib.sha256(OLD_TOKEN.encode()).hexdigest(), "now": now},
        )
    engine.dispose()
    migrate.upgrade(url)
    return url


def test_untimed_links_work_for_one_lifetime_after_the_upgrade(tmp_path):
    url = _database_with_a_ticket_and_a_token(tmp_path)
    engine = make_engine(url)
    with Session(engine) as session:
        ticket = session.get(Ticket, 7)
        assert ticket.link_generation == 0
        # The upgrade ran just now: that is when the ticket's untimed links count as issued.
        assert utcnow() - timedelta(minutes=5) < ticket.untimed_links_issued_at <= utcnow()
        old_link = URLSafeSerializer("key", salt="aftercare.ticket-link").dumps([7, 1])
        lifetime = timedelta(days=30)
        live = ticket_links.check_ticket_link(session, "key", old_link, max_age=lifetime)
        later = ticket_links.check_ticket_link(
            session, "key", old_link, max_age=lifetime, now=utcnow() + lifetime + timedelta(minutes=5)
        )
        assert live.state is ticket_links.LinkState.VALID and later.state is ticket_links.LinkState.EXPIRED
    engine.dispose()


def test_tokens_from_before_the_upgrade_keep_working_without_expiry(tmp_path):
    url = _database_with_a_ticket_and_a_token(tmp_path)
    engine = make_engine(url)
    with Session(engine) as session:
        token = session.get(ApiToken, 1)
        assert token.expires_at is None and token.prefix == ""
        state, user = accounts.check_api_token(session, OLD_TOKEN)
        assert state is accounts.TokenState.VALID and user.email == "agent@example.com"
    engine.dispose()
