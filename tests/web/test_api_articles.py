"""The articles API: readers see published articles only, staff read everything, admins write."""

from __future__ import annotations

import pytest

from accounts.models import Role
from tests.factories import create_customer_user, create_staff, token_for

NEW_ARTICLE = {
    "title": "Reconnect the Nimbus thermostat to Wi-Fi",
    "body": "## Steps\n\n1. Open the app.\n2. Tap **Settings**.",
    "locale": "en",
    "kind": "troubleshooting",
    "status": "published",
    "products": ["nimbus"],
    "tags": ["wifi"],
    "questions": ["Why is my thermostat offline?"],
}
NEW_TRANSLATION = {
    "locale": "pl",
    "title": "Ponowne łączenie termostatu Nimbus z Wi-Fi",
    "body": "## Kroki\n\n1. Otwórz aplikację.",
    "questions": ["Dlaczego termostat jest offline?"],
    "status": "published",
}


@pytest.fixture
def admin(session):
    return token_for(session, create_staff(session, role=Role.ADMIN))


@pytest.fixture
def agent(session):
    return token_for(session, create_staff(session, role=Role.AGENT))


@pytest.fixture
def customer(session):
    return token_for(session, create_customer_user(session))


def create(client, headers, **overrides) -> dict:
    response = client.post("/api/v1/articles", json={**NEW_ARTICLE, **overrides}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def translate(client, headers, article_id: int, **overrides) -> dict:
    response = client.post(
        f"/api/v1/articles/{article_id}/translations", json={**NEW_TRANSLATION, **overrides}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_admin_creates_an_article(client, admin):
    data = create(client, admin)
    assert data["slug"] == "reconnect-the-nimbus-thermostat-to-wi-fi"
    assert (data["status"], data["locale"], data["version"], data["locales"]) == ("published", "en", 1, ["en"])
    assert "<h2>Steps</h2>" in data["body_html"] and "<strong>Settings</strong>" in data["body_html"]
    assert data["questions"] == ["Why is my thermostat offline?"]
    assert data["missing_locales"] == ["pl", "id", "tl", "th"]


def test_minimal_article_is_a_draft_in_the_default_language(client, admin):
    minimal = {"title": "Charge the earbuds", "body": "Put them in the case.", "kind": "usage_tip"}
    response = client.post("/api/v1/articles", json=minimal, headers=admin)
    assert response.status_code == 201, response.text
    assert (response.json()["status"], response.json()["source_locale"]) == ("draft", "en")


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("agent", 403), ("customer", 403)])
def test_only_admins_create(client, request, who, status):
    headers = request.getfixturevalue(who) if who else {}
    response = client.post("/api/v1/articles", json=NEW_ARTICLE, headers=headers)
    assert response.status_code == status
    assert response.json()["code"] in ("not_authenticated", "forbidden")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({k: v for k, v in NEW_ARTICLE.items() if k != "title"}, "title"),
        ({**NEW_ARTICLE, "title": "  "}, "title"),
        ({**NEW_ARTICLE, "title": "Two\nlines"}, "title"),
        ({**NEW_ARTICLE, "body": "\n\n"}, "body"),
        ({**NEW_ARTICLE, "kind": "recipe"}, "kind"),
        ({**NEW_ARTICLE, "status": "live"}, "status"),
        ({**NEW_ARTICLE, "locale": "klingon-xx-yy"}, "locale"),
        ({**NEW_ARTICLE, "tags": ["has space"]}, "tags"),
        ({**NEW_ARTICLE, "questions": [f"q{i}?" for i in range(21)]}, "questions"),
        ({**NEW_ARTICLE, "slug": "Not A Slug!"}, "slug"),
        ({**NEW_ARTICLE, "titel": "typo"}, "titel"),
    ],
)
def test_create_rejects_bad_input_with_422(client, admin, payload, field):
    response = client.post("/api/v1/articles", json=payload, headers=admin)
    assert response.status_code == 422
    assert field in response.json()["detail"]


def test_create_refuses_an_unsupported_locale(client, admin):
    response = client.post("/api/v1/articles", json={**NEW_ARTICLE, "locale": "de"}, headers=admin)
    assert response.status_code == 422 and "not supported" in response.json()["detail"]


def test_create_with_a_taken_slug_is_409(client, admin):
    create(client, admin, slug="wifi")
    response = client.post("/api/v1/articles", json={**NEW_ARTICLE, "slug": "wifi"}, headers=admin)
    assert (response.status_code, response.json()["code"]) == (409, "conflict")


def test_title_is_stored_as_text_and_body_html_is_sanitised(client, admin):
    title = '<img src=x onerror="alert(1)">Reset'
    data = create(client, admin, title=title, body="<script>alert(1)</script>\n\n[x](javascript:alert(1))")
    fetched = client.get(f"/api/v1/articles/{data['id']}").json()
    assert fetched["title"] == title
    assert "<script" not in fetched["body_html"] and 'href="javascript' not in fetched["body_html"]


def test_anyone_reads_a_published_article(client, admin):
    data = create(client, admin)
    response = client.get(f"/api/v1/articles/{data['id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["body_html"] == data["body_html"]
    assert (body["coverage"], body["missing_locales"]) == (None, None)


@pytest.mark.parametrize(("who", "status"), [(None, 404), ("customer", 404), ("agent", 200), ("admin", 200)])
def test_drafts_are_hidden_from_readers(client, request, admin, who, status):
    data = create(client, admin, status="draft")
    headers = request.getfixturevalue(who) if who else {}
    assert client.get(f"/api/v1/articles/{data['id']}", headers=headers).status_code == status


def test_missing_article_is_404(client):
    response = client.get("/api/v1/articles/999999")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_get_by_slug(client, admin):
    data = create(client, admin)
    assert client.get(f"/api/v1/articles/slug/{data['slug']}").json()["id"] == data["id"]
    assert client.get("/api/v1/articles/slug/no-such-article").status_code == 404


def test_reader_gets_the_published_translation_asked_for(client, admin):
    data = create(client, admin)
    translate(client, admin, data["id"])
    body = client.get(f"/api/v1/articles/{data['id']}", params={"locale": "pl-PL"}).json()
    assert (body["locale"], body["title"], body["locales"]) == ("pl", NEW_TRANSLATION["title"], ["en", "pl"])


def test_reader_falls_back_to_the_source_for_a_draft_translation(client, admin):
    data = create(client, admin)
    translate(client, admin, data["id"], status="draft")
    body = client.get(f"/api/v1/articles/{data['id']}", params={"locale": "pl"}).json()
    assert (body["locale"], body["locales"]) == ("en", ["en"])


def test_unsupported_locale_parameter_is_422(client, admin):
    data = create(client, admin)
    assert client.get(f"/api/v1/articles/{data['id']}", params={"locale": "de"}).status_code == 422


def test_list_shows_readers_published_articles_only(client, admin, agent):
    published = create(client, admin, products=["listing"])
    draft = create(client, admin, products=["listing"], status="draft")
    public = client.get("/api/v1/articles", params={"product": "listing"}).json()
    staff = client.get("/api/v1/articles", params={"product": "listing"}, headers=agent).json()
    assert [item["id"] for item in public["items"]] == [published["id"]]
    assert {item["id"] for item in staff["items"]} == {published["id"], draft["id"]}


def test_list_filters_and_paginates(client, admin):
    for number in range(3):
        create(client, admin, title=f"Battery life tip {number}", products=["pulse"], kind="usage_tip")
    create(client, admin, title="Earbud silent", products=["pulse"], kind="troubleshooting")
    page = client.get(
        "/api/v1/articles", params={"product": "pulse", "kind": "usage_tip", "q": "battery", "page_size": 2, "page": 2}
    ).json()
    assert (page["total"], len(page["items"]), page["page"]) == (3, 1, 2)


def test_list_in_a_locale_shows_titles_in_it(client, admin):
    data = create(client, admin, products=["localised"])
    translate(client, admin, data["id"])
    create(client, admin, products=["localised"], title="Only English")
    page = client.get("/api/v1/articles", params={"product": "localised", "locale": "pl"}).json()
    assert [(i["id"], i["title"]) for i in page["items"]] == [(data["id"], NEW_TRANSLATION["title"])]


def test_list_rejects_bad_query_values(client):
    assert client.get("/api/v1/articles", params={"kind": "recipe"}).status_code == 422
    assert client.get("/api/v1/articles", params={"page_size": 1000}).status_code == 422
    assert client.get("/api/v1/articles", params={"locale": "xx"}).status_code == 422


def test_patch_edits_and_makes_a_version(client, admin):
    data = create(client, admin)
    response = client.patch(f"/api/v1/articles/{data['id']}", json={"title": "Fix Wi-Fi drops"}, headers=admin)
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["version"]) == ("Fix Wi-Fi drops", 2)
    assert response.json()["tags"] == ["wifi"]


def test_patch_with_an_illegal_transition_is_409(client, admin):
    data = create(client, admin, status="archived")
    response = client.patch(f"/api/v1/articles/{data['id']}", json={"status": "published"}, headers=admin)
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")


def test_patch_with_null_title_is_422(client, admin):
    data = create(client, admin)
    assert client.patch(f"/api/v1/articles/{data['id']}", json={"title": None}, headers=admin).status_code == 422


def test_patch_by_an_agent_is_403(client, admin, agent):
    data = create(client, admin)
    assert client.patch(f"/api/v1/articles/{data['id']}", json={"title": "x"}, headers=agent).status_code == 403


def test_patch_of_a_missing_article_is_404(client, admin):
    assert client.patch("/api/v1/articles/999999", json={"title": "x"}, headers=admin).status_code == 404


def test_versions_and_restore(client, admin, agent):
    data = create(client, admin, title="First")
    client.patch(f"/api/v1/articles/{data['id']}", json={"title": "Second"}, headers=admin)
    history = client.get(f"/api/v1/articles/{data['id']}/versions", headers=agent).json()
    assert [(v["version"], v["title"]) for v in history] == [(2, "Second"), (1, "First")]
    restored = client.post(f"/api/v1/articles/{data['id']}/versions/1/restore", headers=admin)
    assert restored.status_code == 200
    assert (restored.json()["version"], restored.json()["restored_from"]) == (3, 1)
    assert client.get(f"/api/v1/articles/{data['id']}").json()["title"] == "First"


def test_versions_are_for_staff_only(client, admin, customer):
    data = create(client, admin)
    assert client.get(f"/api/v1/articles/{data['id']}/versions").status_code == 401
    assert client.get(f"/api/v1/articles/{data['id']}/versions", headers=customer).status_code == 403


def test_restore_needs_an_admin_and_an_existing_version(client, admin, agent):
    data = create(client, admin)
    assert client.post(f"/api/v1/articles/{data['id']}/versions/1/restore", headers=agent).status_code == 403
    assert client.post(f"/api/v1/articles/{data['id']}/versions/9/restore", headers=admin).status_code == 404


def test_translation_lifecycle_and_stale_flag(client, admin):
    data = create(client, admin)
    created = translate(client, admin, data["id"])
    assert (created["source_version"], created["stale"], created["version"]) == (1, False, 1)
    client.patch(f"/api/v1/articles/{data['id']}", json={"body": "New English steps."}, headers=admin)
    stale = client.get(f"/api/v1/articles/{data['id']}/translations/pl").json()
    assert (stale["stale"], stale["source_current_version"]) == (True, 2)
    fixed = client.patch(
        f"/api/v1/articles/{data['id']}/translations/pl", json={"body": "Nowe kroki."}, headers=admin
    ).json()
    assert (fixed["stale"], fixed["version"]) == (False, 2)


def test_translation_list_shows_readers_published_ones(client, admin, agent):
    data = create(client, admin)
    translate(client, admin, data["id"])
    translate(client, admin, data["id"], locale="th", title="เชื่อมต่อ Wi-Fi", status="draft")
    public = client.get(f"/api/v1/articles/{data['id']}/translations").json()
    staff = client.get(f"/api/v1/articles/{data['id']}/translations", headers=agent).json()
    assert [t["locale"] for t in public["items"]] == ["pl"] and public["missing_locales"] is None
    assert [t["locale"] for t in staff["items"]] == ["pl", "th"] and staff["missing_locales"] == ["id", "tl"]


def test_draft_translation_is_404_for_readers(client, admin):
    data = create(client, admin)
    translate(client, admin, data["id"], status="draft")
    assert client.get(f"/api/v1/articles/{data['id']}/translations/pl").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "status"),
    [({"locale": "en"}, 409), ({"locale": "de"}, 422), ({"locale": "nope-nope-nope"}, 422), ({"title": ""}, 422)],
)
def test_translation_errors(client, admin, overrides, status):
    data = create(client, admin)
    response = client.post(
        f"/api/v1/articles/{data['id']}/translations", json={**NEW_TRANSLATION, **overrides}, headers=admin
    )
    assert response.status_code == status


def test_second_translation_in_a_locale_is_409(client, admin):
    data = create(client, admin)
    translate(client, admin, data["id"])
    response = client.post(f"/api/v1/articles/{data['id']}/translations", json=NEW_TRANSLATION, headers=admin)
    assert response.status_code == 409


def test_translation_writes_need_an_admin(client, admin, agent):
    data = create(client, admin)
    assert client.post(f"/api/v1/articles/{data['id']}/translations", json=NEW_TRANSLATION).status_code == 401
    response = client.post(f"/api/v1/articles/{data['id']}/translations", json=NEW_TRANSLATION, headers=agent)
    assert response.status_code == 403


def test_patching_a_missing_translation_is_404(client, admin):
    data = create(client, admin)
    response = client.patch(f"/api/v1/articles/{data['id']}/translations/th", json={"title": "x"}, headers=admin)
    assert response.status_code == 404


def test_delete_translation_and_article(client, admin):
    data = create(client, admin)
    translate(client, admin, data["id"])
    assert client.delete(f"/api/v1/articles/{data['id']}/translations/pl", headers=admin).status_code == 204
    assert client.get(f"/api/v1/articles/{data['id']}/translations/pl").status_code == 404
    assert client.delete(f"/api/v1/articles/{data['id']}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/articles/{data['id']}").status_code == 404
