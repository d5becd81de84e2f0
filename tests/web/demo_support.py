"""Page tests on the demo data, and reading the agent's suggestion panel.

``demo_database`` loads what ``aftercare demo`` loads once per test module, in a transaction rolled
back at the module's end, and builds its index once (through an e5 whose vectors are memoised for
the whole session). A module that uses it overrides ``database`` with ``demo_database_per_test``
(each test in a savepoint of its own) and asks for ``demo`` to search that index:

    from tests.web.demo_support import demo, demo_database, demo_embedder  # noqa: F401
    from tests.web.demo_support import demo_database_per_test as database  # noqa: F401
"""

from __future__ import annotations

import html as html_module
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from entry.demo import load_demo
from helpdesk.models import Ticket
from kb.search.keeper import IndexKeeper, set_active_keeper
from retrieval.embedders import get_embedder
from tests.conftest import RollbackDatabase
from tests.kb.search.conftest import MemoEmbedder

HTMX = {"HX-Request": "true"}
# Demo tickets (by subject), the article an agent should see first and the ticket's language
# (the demo translates each of these articles into it).
POLISH_DOCK_TICKET = ("Odkurzacz nie wraca do stacji ładującej", "aurora-not-returning-to-dock", "pl")
THAI_PAIRING_TICKET = ("หูฟังเชื่อมต่อบลูทูธไม่ได้", "pulse-bluetooth-pairing", "th")
INDONESIAN_POWER_TICKET = ("Robot vakum tidak mau menyala", "aurora-wont-turn-on", "id")


@pytest.fixture(scope="session")
def demo_embedder() -> MemoEmbedder:
    return MemoEmbedder(get_embedder("e5"))


@pytest.fixture(scope="module")
def demo_database(
    engine, database_url: str, demo_embedder: MemoEmbedder
) -> Iterator[tuple[RollbackDatabase, IndexKeeper]]:
    connection = engine.connect()
    outer = connection.begin()
    database = RollbackDatabase(database_url, connection)
    keeper = IndexKeeper(demo_embedder)
    try:
        with database.session() as session:
            load_demo(session, echo=lambda _message: None)
            session.flush()
            keeper.ensure_current(session)
            session.commit()  # its savepoint; the module's transaction stays open
        yield database, keeper
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def demo_database_per_test(demo_database) -> Iterator[RollbackDatabase]:
    database, _keeper = demo_database
    savepoint = database.connection.begin_nested()
    try:
        yield database
    finally:
        if savepoint.is_active:
            savepoint.rollback()


@pytest.fixture
def demo(demo_database, client) -> Iterator[IndexKeeper]:
    """The demo's index as the one searches use (after ``client``, whose app installs its own)."""
    _database, keeper = demo_database
    set_active_keeper(keeper)
    yield keeper
    set_active_keeper(None)


def demo_ticket(session: Session, subject: str) -> Ticket:
    ticket = session.scalar(select(Ticket).where(Ticket.subject == subject))
    assert ticket is not None, f"the demo has no ticket {subject!r}"
    return ticket


# ---- the agent's suggestion panel, as a browser reads it ---------------------------------------


def panel(client, ticket_id: int):
    return client.get(f"/agent/tickets/{ticket_id}/suggestions", headers=HTMX)


def drafts(html: str) -> list[str]:
    """The text each "Insert" button puts into the editor, unescaped as the browser reads it."""
    return [html_module.unescape(found) for found in re.findall(r'data-insert-text="([^"]*)"', html)]


def candidates(html: str) -> list[tuple[str, str]]:
    """(article link, confidence label) of each listed suggestion, in the panel's order."""
    items = re.findall(r'<li data-suggestion="\d+".*?</li>', html, flags=re.S)
    return [
        (
            re.search(r'class="suggestion-title" href="([^"]+)"', item).group(1),
            re.search(r"Confidence (&lt;1%|\d+%)", item).group(1),
        )
        for item in items
    ]
