"""Fixtures for page tests that search: one embedding model per test session, a fresh index per test.

Import the fixtures into a test module with ``from tests.web.search_support import keeper, e5  # noqa: F401``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kb.search.keeper import IndexKeeper, set_active_keeper
from retrieval.embedders import Embedder, get_embedder
from tests.kb.factories import add_translation, create_article


@pytest.fixture(scope="session")
def e5() -> Embedder:
    return get_embedder("e5")


@pytest.fixture
def keeper(e5: Embedder) -> Iterator[IndexKeeper]:
    """An in-memory index that builds itself from this test's database on the first search."""
    index = IndexKeeper(e5)
    set_active_keeper(index)
    yield index
    set_active_keeper(None)


def publish_small_kb(session):
    """Three published articles on different products; the thermostat one also in Polish."""
    wifi = create_article(
        session,
        title="Reconnect the Nimbus thermostat to Wi-Fi",
        status="published",
        body="## Steps\n\n1. Open the app.\n2. Tap **Settings > Wi-Fi** and choose your network.",
        questions=["Why does my thermostat keep going offline?"],
    )
    add_translation(session, wifi, locale="pl", status="published")
    brushes = create_article(
        session,
        title="Clean the Aurora brushes",
        status="published",
        products=["aurora"],
        tags=["cleaning"],
        body="Remove the main brush and cut away hair with scissors.",
        questions=["How do I clean the brushes?"],
    )
    charging = create_article(
        session,
        title="Charge the Pulse earbuds",
        status="published",
        products=["pulse"],
        tags=["battery"],
        body="Put both earbuds in the case and connect the cable.",
        questions=["Why are my earbuds not charging?"],
    )
    return wifi, brushes, charging
