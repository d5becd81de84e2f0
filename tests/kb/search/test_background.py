"""The keeper's thread on a real, committed database: changes by this or another process become
searchable within seconds, new tickets get suggestions after their commit, reindex is adopted.

These need commits visible to other connections, so they run on a SQLite file of their own rather
than the rolled-back test transaction.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from aftercare import migrate
from aftercare.db import Database
from kb.search.keeper import IndexKeeper, set_active_keeper, stop_search_keeper
from kb.search.models import TicketSuggestion
from kb.search.service import search
from tests.conftest import env
from tests.factories import create_ticket
from tests.kb.search.factories import EARBUDS, VACUUM, WIFI, published

WAIT_SECONDS = 10.0
# A keeper that only polls, and one that in effect never does: what it learns within WAIT_SECONDS
# it was told after a commit (aftercare.events, kb.search.subscribers).
POLL_SECONDS = 0.2
NEVER_POLLS = 3600.0


@pytest.fixture(scope="module")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("search-template") / "aftercare.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database(migrated_file: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "aftercare.db"
    shutil.copy(migrated_file, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def start_keeper(database, embedder, tmp_path) -> Iterator[Callable[..., IndexKeeper]]:
    started: list[IndexKeeper] = []

    def start(name: str = "web", *, listen: bool = True, poll_seconds: float = POLL_SECONDS) -> IndexKeeper:
        keeper = IndexKeeper(embedder, index_dir=tmp_path / name, poll_seconds=poll_seconds)
        with database.session() as session:
            keeper.open(session)
        keeper.start(database)
        # The process's keeper hears this process's commits; another (listen=False) is as if in
        # another process: only polling tells it about changes.
        if listen:
            set_active_keeper(keeper)
        started.append(keeper)
        return keeper

    yield start
    for keeper in started:
        stop_search_keeper(keeper)


def wait_for(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def indexed(keeper: IndexKeeper, doc_id: str) -> Callable[[], bool]:
    return lambda: doc_id in keeper.engine


def test_publish_is_searchable_within_seconds_in_this_process(database, start_keeper):
    keeper = start_keeper(poll_seconds=NEVER_POLLS)
    with database.session() as session:
        article = published(session, WIFI)
    assert wait_for(indexed(keeper, f"article:{article.id}:en"))
    with database.session() as session:
        assert search(session, "thermostat offline", keeper=keeper, log=False).results[0].article_id == article.id


def test_another_processs_change_is_picked_up_by_polling(database, start_keeper):
    other = start_keeper("other", listen=False)
    with database.session() as session:
        article = published(session, EARBUDS)
    assert wait_for(indexed(other, f"article:{article.id}:en"))


def test_new_ticket_gets_its_suggestions_after_the_commit(database, start_keeper):
    keeper = start_keeper(poll_seconds=NEVER_POLLS)
    with database.session() as session:
        for topic in (WIFI, EARBUDS, VACUUM):
            published(session, topic)
    assert wait_for(lambda: len(keeper.engine) == 3)
    with database.session() as session:
        ticket_id = create_ticket(session).id

    def stored() -> int:
        with database.session() as session:
            return session.scalar(
                select(func.count()).select_from(TicketSuggestion).where(TicketSuggestion.ticket_id == ticket_id)
            )

    assert wait_for(lambda: stored() == 3)


def test_stop_saves_and_a_restart_loads_it(database, start_keeper, embedder, tmp_path):
    keeper = start_keeper()
    with database.session() as session:
        article = published(session, VACUUM)
    assert wait_for(indexed(keeper, f"article:{article.id}:en"))
    keeper.stop()
    restarted = IndexKeeper(embedder, index_dir=tmp_path / "web")
    with database.session() as session:
        report = restarted.open(session)
    assert not report.rebuilt and f"article:{article.id}:en" in restarted.engine


def test_a_reindex_saved_by_another_process_is_adopted(database, start_keeper, embedder, tmp_path):
    keeper = start_keeper()
    with database.session() as session:
        published(session, WIFI)
    assert wait_for(lambda: len(keeper.engine) == 1)
    before = keeper.engine
    reindexer = IndexKeeper(embedder, index_dir=tmp_path / "web")
    with database.session() as session:
        reindexer.rebuild(session)
    reindexer.save(force=True)
    assert wait_for(lambda: keeper.engine is not before and len(keeper.engine) == 1)


def test_app_serves_search_from_its_first_request(database, tmp_path):
    with database.session() as session:
        article = published(session, WIFI)
    with env(AFTERCARE_DATABASE_URL=database.url, AFTERCARE_INDEX_DIR=str(tmp_path / "app-index")):
        from aftercare.config import get_settings
        from web.app import create_app

        app = create_app(get_settings())
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
            assert app.state.search_keeper.running
            body = client.get("/api/v1/search", params={"q": "thermostat offline"}).json()
        assert not app.state.search_keeper.running
    assert body["results"][0]["article_id"] == article.id
    assert (tmp_path / "app-index").exists()
