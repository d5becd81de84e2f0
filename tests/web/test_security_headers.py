"""Strict-Transport-Security is sent when the site is https (AFTERCARE_BASE_URL), and only then."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from aftercare.config import get_settings
from web.app import create_app


def _get_home(database, base_url: str):
    settings = get_settings().model_copy(update={"base_url": base_url})
    with TestClient(create_app(settings, database=database), base_url=base_url) as client:
        return client.get("/healthz")


def test_an_https_site_sends_hsts(database):
    response = _get_home(database, "https://help.example.com")
    max_age = response.headers["strict-transport-security"].split("max-age=")[1].split(";")[0]
    # At least half a year: what browsers' preload lists and the usual audits ask for.
    assert int(max_age) >= 180 * 24 * 3600


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8000", "http://help.example.com"])
def test_a_plain_http_site_sends_no_hsts(database, base_url):
    # A browser ignores HSTS over http, and a development site must stay reachable over http.
    assert "strict-transport-security" not in _get_home(database, base_url).headers
