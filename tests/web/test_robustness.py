"""Input the database cannot hold, and a database that is busy: a 4xx or a 503, never a 500.

Runs on SQLite and, with AFTERCARE_TEST_DATABASE_URL, on PostgreSQL, whose limits differ: ids
are 32-bit integers there (64-bit on SQLite), and PostgreSQL text cannot hold U+0000.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accounts.models import Role
from aftercare import migrate
from aftercare.db import Database
from kb.search.models import SearchLog
from tests.factories import create_staff, create_ticket, token_for
from tests.web.pages_support import sign_in

# Past PostgreSQL's INTEGER (2**31 - 1), past SQLite's INTEGER (2**63 - 1), and the audit's example.
HUGE_IDS = [2**31, 2**63, 15491826293885263413248]
ROUTES_WITH_IDS = [
    ("GET", "/api/v1/articles/{id}/translations/0", None),
    ("GET", "/api/v1/articles/{id}", None),
    ("PATCH", "/api/v1/articles/{id}", {"title": "A new title"}),
    ("POST", "/api/v1/forum/replies/{id}/vote", {"value": 1}),
    ("GET", "/api/v1/forum/threads/{id}", None),
    ("POST", "/api/v1/forum/threads/{id}/replies", {"body": "Have you tried turning it off and on?"}),
    ("GET", "/api/v1/tickets/{id}", None),
    ("GET", "/api/v1/tickets/{id}/suggestions", None),
    ("POST", "/api/v1/tickets/{id}/messages", {"body": "Any news?"}),
    ("GET", "/api/v1/programmes/{id}", None),
    ("GET", "/api/v1/mail/attachments/{id}", None),
]


@pytest.fixture
def admin(session) -> dict[str, str]:
    return token_for(session, create_staff(session, role=Role.ADMIN))


@pytest.fixture
def on_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


@pytest.mark.parametrize("huge", HUGE_IDS, ids=["2^31", "2^63", "audit"])
@pytest.mark.parametrize(("method", "path", "body"), ROUTES_WITH_IDS, ids=[f"{m} {p}" for m, p, _ in ROUTES_WITH_IDS])
def test_path_id_too_large_for_any_row_is_not_found(client, admin, method, path, body, huge):
    response = client.request(method, path.format(id=huge), json=body, headers=admin)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_path_id_too_large_says_why(client, admin):
    response = client.get(f"/api/v1/tickets/{2**63}", headers=admin)
    assert "ticket_id" in response.json()["detail"]


def test_page_id_too_large_is_a_not_found_page(client, session):
    sign_in(client, session)
    response = client.get(f"/agent/tickets/{2**63}")
    assert (response.status_code, response.headers["content-type"].split(";")[0]) == (404, "text/html")


def test_id_too_large_in_a_body_is_invalid(client, session, admin):
    ticket = create_ticket(session)
    response = client.patch(f"/api/v1/tickets/{ticket.id}", json={"assignee_id": 2**63}, headers=admin)
    assert (response.status_code, response.json()["code"]) == (422, "value_out_of_range")


def test_id_too_large_in_a_query_is_invalid(client, admin):
    response = client.get("/api/v1/tickets", params={"assignee": 2**63}, headers=admin)
    assert (response.status_code, response.json()["code"]) == (422, "value_out_of_range")


def test_largest_postgresql_id_is_still_an_ordinary_miss(client, admin):
    response = client.get(f"/api/v1/tickets/{2**31 - 1}", headers=admin)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


# ---- NUL characters ------------------------------------------------------------------------
NUL_TEXT = "Wi-Fi\x00reset"
NUL_POSTS = [
    ("/api/v1/tickets", {"customer_email": "nul@example.com", "subject": NUL_TEXT, "body": f"My {NUL_TEXT} fails"}),
    ("/api/v1/forum/threads", {"title": f"How do I do a {NUL_TEXT}?", "body": f"The {NUL_TEXT} button does nothing."}),
]
NUL_ARTICLE = {
    "title": f"Doing a {NUL_TEXT}",
    "body": f"Hold the {NUL_TEXT} button.",
    "locale": "en",
    "kind": "troubleshooting",
    "status": "published",
}


@pytest.mark.parametrize(("path", "body"), NUL_POSTS, ids=[path for path, _ in NUL_POSTS])
def test_nul_in_posted_text_is_refused_or_kept(client, admin, on_postgres, path, body):
    response = client.post(path, json=body, headers=admin)
    # PostgreSQL text cannot hold U+0000, so the client is told; SQLite keeps the text as sent.
    expected = (422, "nul_character") if on_postgres else (201, None)
    assert (response.status_code, response.json().get("code")) == expected


def test_nul_in_article_text_is_refused(client, admin):
    # Article text is sanitised Markdown, checked on the way in on every backend.
    assert client.post("/api/v1/articles", json=NUL_ARTICLE, headers=admin).status_code == 422


def test_nul_refusal_says_what_is_wrong_or_the_text_is_kept_whole(client, admin, on_postgres):
    response = client.post("/api/v1/tickets", json=NUL_POSTS[0][1], headers=admin)
    if on_postgres:
        assert "NUL" in response.json()["detail"]
    else:
        # SQLite stores U+0000: the ticket keeps the text exactly as sent.
        assert response.json()["messages"][0]["body"] == f"My {NUL_TEXT} fails"


def test_nul_in_a_ticket_reply_is_refused_or_kept(client, session, admin, on_postgres):
    ticket = create_ticket(session)
    response = client.post(f"/api/v1/tickets/{ticket.id}/messages", json={"body": NUL_TEXT}, headers=admin)
    assert response.status_code == (422 if on_postgres else 201)


def test_nul_in_a_search_query_is_refused_or_answered(client, on_postgres):
    response = client.get("/api/v1/search", params={"q": NUL_TEXT})
    assert response.status_code == (422 if on_postgres else 200)


def test_nul_refusal_leaves_the_session_usable(client, admin):
    client.post("/api/v1/tickets", json=NUL_POSTS[0][1], headers=admin)
    clean = {**NUL_POSTS[0][1], "subject": "Wi-Fi reset", "body": "My Wi-Fi reset fails"}
    assert client.post("/api/v1/tickets", json=clean, headers=admin).status_code == 201


# ---- a busy SQLite file ----------------------------------------------------------------------
# Short, so that a request refused by a held lock is quick; long enough that one which may wait
# for a lock released sooner does not time out on a loaded machine.
SHORT_BUSY_TIMEOUT = 0.3
LONG_BUSY_TIMEOUT = 10.0
HOLD_SECONDS = 0.5


@pytest.fixture(scope="module")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("busy") / "busy.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@contextmanager
def _client_on(path: Path, busy_timeout: float, settings) -> Iterator[tuple[TestClient, Database]]:
    from web import ratelimit
    from web.app import create_app

    database = Database(f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": busy_timeout})
    ratelimit.reset(settings.rate_limit_storage_url)
    try:
        with TestClient(create_app(settings, database=database), raise_server_exceptions=False) as client:
            yield client, database
    finally:
        database.dispose()


@pytest.fixture
def impatient_client(migrated_file, settings) -> Iterator[TestClient]:
    with _client_on(migrated_file, SHORT_BUSY_TIMEOUT, settings) as (client, _):
        yield client


@pytest.fixture
def patient_client(migrated_file, settings) -> Iterator[tuple[TestClient, Database]]:
    with _client_on(migrated_file, LONG_BUSY_TIMEOUT, settings) as pair:
        yield pair


@pytest.fixture
def held_lock(migrated_file) -> Iterator[sqlite3.Connection]:
    """Another process's writer, holding SQLite's write lock until the test releases it."""
    holder = sqlite3.connect(migrated_file, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield holder
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()


NEW_TICKET = {"customer_email": "busy@example.com", "subject": "Charger", "body": "My charger stopped working."}


def test_lock_that_stays_busy_is_a_503(impatient_client, held_lock):
    response = impatient_client.post("/api/v1/tickets", json=NEW_TICKET)
    assert (response.status_code, response.json()["code"]) == (503, "database_busy")


def test_busy_answer_says_when_to_retry(impatient_client, held_lock):
    response = impatient_client.post("/api/v1/tickets", json=NEW_TICKET)
    assert int(response.headers["retry-after"]) >= 1


def test_busy_answer_for_a_read_that_writes_is_a_503(impatient_client, held_lock):
    # A search reads, then logs itself: it is retried with the lock up front, which still times out.
    response = impatient_client.get("/api/v1/search", params={"q": "charger"})
    assert (response.status_code, response.json()["code"]) == (503, "database_busy")


def test_read_that_writes_gets_through_once_the_lock_frees(patient_client, held_lock):
    client, database = patient_client
    threading.Timer(HOLD_SECONDS, held_lock.execute, args=("ROLLBACK",)).start()
    with database.session() as session:
        logged_before = session.scalar(select(func.count()).select_from(SearchLog))
    response = client.get("/api/v1/search", params={"q": "my charger does not charge"})
    with database.session() as session:
        logged_after = session.scalar(select(func.count()).select_from(SearchLog))
    assert (response.status_code, logged_after - logged_before) == (200, 1)


def test_write_waits_for_a_lock_that_frees_in_time(patient_client, held_lock):
    client, _ = patient_client
    threading.Timer(HOLD_SECONDS, held_lock.execute, args=("ROLLBACK",)).start()
    assert client.post("/api/v1/tickets", json=NEW_TICKET).status_code == 201


def test_a_search_whose_read_goes_stale_is_not_run_again(patient_client, migrated_file):
    """Another writer commits while a search reads (an admin importing articles): the search's log
    row must not need the stale read to become a write, which SQLite refuses at once and which made
    the whole search run a second time behind the importer's lock."""
    from sqlalchemy import event

    client, database = patient_client
    other_writer = sqlite3.connect(migrated_file, isolation_level=None, check_same_thread=False)
    other_writer.execute("CREATE TABLE IF NOT EXISTS stale_read_probe (n INTEGER)")
    log_inserts: list[str] = []
    armed = {"write_after_first_read": True}

    def after_execute(conn, cursor, statement, parameters, context, executemany):
        if armed["write_after_first_read"] and statement.lstrip().upper().startswith("SELECT"):
            armed["write_after_first_read"] = False
            other_writer.execute("INSERT INTO stale_read_probe VALUES (1)")  # autocommit: committed now

    def before_execute(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO SEARCH_LOGS"):
            log_inserts.append(statement)

    event.listen(database.engine, "after_cursor_execute", after_execute)
    event.listen(database.engine, "before_cursor_execute", before_execute)
    try:
        response = client.get("/api/v1/search", params={"q": "my charger does not charge"})
    finally:
        event.remove(database.engine, "after_cursor_execute", after_execute)
        event.remove(database.engine, "before_cursor_execute", before_execute)
        other_writer.close()
    assert armed["write_after_first_read"] is False, "the search read nothing: the probe never fired"
    assert (response.status_code, len(log_inserts)) == (200, 1)
