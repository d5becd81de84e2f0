"""The keeper's transactions on SQLite while it embeds. Its own writes (a new ticket's suggestions
and their search log): the query is embedded before the transaction, which then takes the write
lock up front and stays short. Its reads: ended before the passages are embedded, so that the
write-ahead log can be checkpointed meanwhile.

Another writer commits while the keeper embeds the ticket's query (the embedder below does it, on
a connection of its own). A keeper that had read in a deferred transaction before embedding could
no longer write ("database is locked": its snapshot is stale); one that held the write lock while
embedding would keep that writer out.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from aftercare import migrate
from aftercare.db import Database
from kb.search.keeper import IndexKeeper
from kb.search.models import SearchLog, SearchSource, TicketSuggestion
from kb.search.suggestions import compute_on_keeper_thread
from tests.factories import create_ticket
from tests.kb.search.factories import EARBUDS, VACUUM, WIFI, published


class WriterDuringQueries:
    """The real embedder; each query embedding first lets another connection try to commit a write."""

    def __init__(self, inner, path: Path) -> None:
        self.inner, self.id, self.dim = inner, inner.id, inner.dim
        self.path = path
        self.writes: list[bool] = []  # per query embedding: did the other writer get in?
        self.armed = False

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if self.armed:
            connection = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.execute(
                    "INSERT INTO search_logs (query, normalized_query, query_language, answered, "
                    "results_count, source, created_at) VALUES ('x', 'x', 'en', 0, 0, 'api', '2026-01-01')"
                )
                connection.execute("COMMIT")
                self.writes.append(True)
            except sqlite3.OperationalError:
                self.writes.append(False)
            finally:
                connection.close()
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "aftercare.db"
    migrate.upgrade(f"sqlite:///{path}")
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


def test_new_ticket_suggestions_are_stored_though_another_writer_commits_while_the_query_is_embedded(
    database, embedder, tmp_path
):
    spy = WriterDuringQueries(embedder, tmp_path / "aftercare.db")
    keeper = IndexKeeper(spy, index_dir=tmp_path / "index")
    with database.session() as session:
        for topic in (WIFI, EARBUDS, VACUUM):
            published(session, topic)
    with database.session() as session:
        keeper.open(session)
        ticket_id = create_ticket(session).id
    keeper._database = database  # what start() sets; the thread's round is run by hand below

    spy.armed = True
    keeper.submit(partial(compute_on_keeper_thread, ticket_id))
    keeper.run_jobs()

    with database.session() as session:
        stored = session.scalar(
            select(func.count()).select_from(TicketSuggestion).where(TicketSuggestion.ticket_id == ticket_id)
        )
        logged = session.scalar(
            select(func.count()).select_from(SearchLog).where(SearchLog.source == SearchSource.TICKET)
        )
    assert stored == 3 and logged == 1
    # The query was embedded once, outside the keeper's write transaction: the other writer got in.
    assert spy.writes == [True]


class CheckpointDuringPassages:
    """The real embedder; each passage embedding first asks SQLite for a full checkpoint, which a
    read transaction left open elsewhere would block."""

    def __init__(self, inner, path: Path) -> None:
        self.inner, self.id, self.dim = inner, inner.id, inner.dim
        self.path = path
        self.checkpoints: list[tuple[int, int, int]] = []  # (busy, log frames, checkpointed frames)
        self.armed = False

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if self.armed:
            connection = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            try:
                self.checkpoints.append(tuple(connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()))
            finally:
                connection.close()
        return self.inner.embed_passages(texts)


def test_the_keeper_holds_no_read_transaction_while_it_embeds_new_articles(database, embedder, tmp_path):
    spy = CheckpointDuringPassages(embedder, tmp_path / "aftercare.db")
    keeper = IndexKeeper(spy, index_dir=tmp_path / "index")
    with database.session() as session:
        keeper.open(session)
    keeper._database = database
    with database.session() as session:
        article = published(session, WIFI)

    spy.armed = True
    keeper.run_once()

    assert f"article:{article.id}:en" in keeper.engine
    assert spy.checkpoints and all(busy == 0 for busy, _, _ in spy.checkpoints), spy.checkpoints
