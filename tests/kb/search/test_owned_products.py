"""Suggested replies boost articles tagged with a product the ticket's requester owns."""

from __future__ import annotations

import importlib

import pytest

from kb.search import owned_products
from kb.search.suggestions import suggest_for_ticket
from tests.aftersales.factories import buy, product
from tests.factories import create_ticket
from tests.kb.search.factories import published

# Two articles alike in every word, about two different products: the search alone has no reason
# to prefer either.
SQUEAK = {
    "title": "Stop the wheels squeaking",
    "body": "Turn the robot over, pull out both side wheels and wipe the axles with a dry cloth.",
    "questions": ["Why do the wheels squeak?"],
}


@pytest.fixture(autouse=True)
def aftersales_provider():
    # What web.app does at start-up; taken away again so that other tests run without it.
    importlib.reload(importlib.import_module("aftersales.owned_products"))
    yield
    owned_products.provide_owned_products(None)


@pytest.fixture
def articles(session):
    return {tag: published(session, SQUEAK, slug=f"{tag}-wheels", products=[tag]) for tag in ("aurora", "zephyr")}


def _ticket_of_owner(session, tag: str | None):
    ticket = create_ticket(session, subject="The wheels squeak", body="My robot's wheels squeak on every floor.")
    if tag is not None:
        buy(session, ticket.requester, product(session, name=f"{tag.title()} robot", tags=[tag]))
    return ticket


@pytest.mark.parametrize("owned", ["aurora", "zephyr"])
def test_the_article_about_an_owned_product_comes_first(session, keeper, articles, owned):
    found = suggest_for_ticket(session, _ticket_of_owner(session, owned), keeper=keeper)
    assert found.results[0].article_id == articles[owned].id


def test_the_panel_is_told_which_owned_product_matched(session, keeper, articles):
    found = suggest_for_ticket(session, _ticket_of_owner(session, "aurora"), keeper=keeper)
    assert found.owned_products[0] == "Aurora robot"


def test_a_customer_owning_neither_gets_no_boost(session, keeper, articles):
    found = suggest_for_ticket(session, _ticket_of_owner(session, None), keeper=keeper)
    assert found.owned_products == [None] * len(found.results)
