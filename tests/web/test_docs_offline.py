"""/docs and /redoc work without internet access: every asset they load is served by the app itself."""

from __future__ import annotations

import re

import pytest

# What a browser needs for each kind of asset (a wrong type and nosniff make it refuse the file).
EXPECTED_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"""(?:src|href)='([^']+)'""", html)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_page_names_no_other_host(client, page):
    response = client.get(page)
    assert response.status_code == 200
    # Not a CDN, not Google Fonts, not fastapi.tiangolo.com's favicon: nothing off this site.
    assert "http://" not in response.text and "https://" not in response.text
    assert "//" not in "".join(url.split("?")[0] for url in _asset_urls(response.text))
    # The browser is told the same: the page may load nothing from another origin.
    policy = response.headers["content-security-policy"]
    assert "http" not in policy and "*" not in policy


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_every_asset_the_page_loads_is_served_with_its_type(client, page):
    urls = _asset_urls(client.get(page).text)
    scripts = [url for url in urls if url.endswith(".js")]
    assert scripts, f"{page} loads no script: the UI would not start"
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        suffix = url[url.rfind(".") :]
        assert EXPECTED_TYPES[suffix] in response.headers["content-type"], (url, response.headers["content-type"])
        assert len(response.content) > 1000, f"{url} is too small to be the real file"


def test_swagger_ui_reads_the_spec_from_this_site(client):
    html = client.get("/docs").text
    spec_url = re.search(r"url: '([^']+)'", html)
    assert spec_url and spec_url.group(1) == "/openapi.json"
    spec = client.get(spec_url.group(1))
    assert spec.status_code == 200 and spec.json()["info"]["title"] == "Aftercare"


def test_swagger_ui_is_a_version_that_reads_openapi_3_1(client):
    # FastAPI writes OpenAPI 3.1, which Swagger UI 4 cannot render ("Unable to render this definition").
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    bundle = next(url for url in _asset_urls(client.get("/docs").text) if url.endswith("swagger-ui-bundle.js"))
    versions = re.findall(r'"(\d+)\.(\d+)\.(\d+)"', client.get(bundle).text)
    assert any(major == "5" for major, _, _ in versions)
