"""Knowledge studio pages: list with coverage, editor and preview, workflow, translations, history."""

from __future__ import annotations

import re

from accounts.models import Role
from kb import service, translations, versions
from kb.models import ArticleStatus
from kb.schemas import ArticleUpdate, TranslationUpdate
from tests.kb.factories import add_translation, create_article, stale_translations
from tests.web.pages_support import csrf_from, sign_in

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def _admin(client, session):
    return sign_in(client, session, role=Role.ADMIN)


def _fresh(session, article):
    """The article as the app left it (the request ran in its own session)."""
    session.expire_all()
    return service.get_article(session, article.id)


def _token(client, url="/admin/articles"):
    return csrf_from(client.get(url).text)


# ---- access --------------------------------------------------------------------------------


def test_studio_sends_anonymous_readers_to_sign_in(client):
    response = client.get("/admin/articles", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def test_customers_may_not_open_the_studio(client, session):
    sign_in(client, session, role=Role.CUSTOMER)
    assert client.get("/admin/articles").status_code == 403


def test_agents_read_the_studio_without_edit_controls(client, session):
    article = create_article(session)
    sign_in(client, session)
    html = client.get(f"/admin/articles/{article.id}").text
    assert "Read only" in html and "data-status-action" not in html and "readonly" in html


def test_agents_may_not_save_articles(client, session):
    article = create_article(session)
    sign_in(client, session)
    token = _token(client)
    response = client.post(f"/admin/articles/{article.id}", data={"csrf_token": token, "title": "Changed"})
    assert response.status_code == 403


def test_agents_may_not_publish(client, session):
    article = create_article(session)
    sign_in(client, session)
    token = _token(client)
    response = client.post(f"/admin/articles/{article.id}/status", data={"csrf_token": token, "action": "publish"})
    assert response.status_code == 403 and _fresh(session, article).status == ArticleStatus.DRAFT


# ---- list ----------------------------------------------------------------------------------


def test_list_shows_status_and_language_coverage(client, session):
    article = create_article(session, title="Coverage probe article")
    add_translation(session, article, locale="pl")
    _admin(client, session)
    html = client.get("/admin/articles", params={"q": "Coverage probe"}).text
    row = html[html.index("Coverage probe article") :]
    assert "Draft" in row and 'class="locale-code" lang="pl"' in row
    assert re.search(r'coverage-item missing">.*?lang="th"', row, re.S)


def test_list_marks_stale_translations(client, session):
    article = create_article(session, title="Stale probe article")
    add_translation(session, article, locale="pl")
    service.update_article(session, article, ArticleUpdate(body="A new source text."))
    _admin(client, session)
    html = client.get("/admin/articles", params={"q": "Stale probe"}).text
    assert "coverage-item stale" in html and "stale" in html


def test_list_filters_by_status_in_an_htmx_fragment(client, session):
    create_article(session, title="Published filter probe", status="published")
    create_article(session, title="Draft filter probe")
    _admin(client, session)
    response = client.get(
        "/admin/articles", params={"status": "published", "q": "filter probe"}, headers={"HX-Request": "true"}
    )
    assert "Published filter probe" in response.text and "Draft filter probe" not in response.text
    assert "<html" not in response.text


def test_list_escapes_titles(client, session):
    create_article(session, title=f"Escape probe {XSS}")
    _admin(client, session)
    html = client.get("/admin/articles", params={"q": "Escape probe"}).text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


# ---- create and edit -----------------------------------------------------------------------


def test_admin_creates_a_draft(client, session):
    _admin(client, session)
    token = _token(client, "/admin/articles/new")
    response = client.post(
        "/admin/articles",
        data={
            "csrf_token": token,
            "title": "Pair the Pulse earbuds again",
            "body": "1. Open the case.",
            "kind": "faq",
            "locale": "en",
            "questions": "How do I pair?\nWhy no sound?",
            "products": "pulse",
            "tags": "bluetooth",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    article_id = int(re.search(r"/admin/articles/(\d+)", response.headers["location"]).group(1))
    article = service.get_article(session, article_id)
    assert article.status == ArticleStatus.DRAFT and article.source.questions == ["How do I pair?", "Why no sound?"]
    assert article.products == ["pulse"]


def test_create_with_empty_title_is_422_and_keeps_the_text(client, session):
    _admin(client, session)
    token = _token(client, "/admin/articles/new")
    response = client.post(
        "/admin/articles",
        data={"csrf_token": token, "title": " ", "body": "Kept body text", "kind": "faq", "locale": "en"},
    )
    assert response.status_code == 422 and "Kept body text" in response.text and 'aria-invalid="true"' in response.text


def test_create_needs_csrf(client, session):
    _admin(client, session)
    client.get("/admin/articles/new")
    response = client.post("/admin/articles", data={"title": "No token", "body": "x", "kind": "faq"})
    assert response.status_code == 403


def test_editor_saves_a_new_version(client, session):
    article = create_article(session)
    _admin(client, session)
    html = client.get(f"/admin/articles/{article.id}").text
    response = client.post(
        f"/admin/articles/{article.id}",
        data={
            "csrf_token": csrf_from(html),
            "title": "Renamed title",
            "body": "New body",
            "kind": "faq",
            "slug": article.slug,
            "questions": "Only one question?",
            "products": "nimbus",
            "tags": "wifi",
            "base_version": "1",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"].endswith("done=saved")
    article = _fresh(session, article)
    assert article.source.title == "Renamed title" and versions.current_version(session, article.id, "en") == 2


def test_editor_refuses_a_save_over_someone_elses(client, session):
    article = create_article(session)
    _admin(client, session)
    token = _token(client, f"/admin/articles/{article.id}")
    service.update_article(session, article, ArticleUpdate(body="Someone else's text"))
    response = client.post(
        f"/admin/articles/{article.id}",
        data={
            "csrf_token": token,
            "title": "Mine",
            "body": "My text",
            "kind": "faq",
            "slug": article.slug,
            "base_version": "1",
        },
    )
    assert response.status_code == 409 and "My text" in response.text
    assert _fresh(session, article).source.body_markdown == "Someone else's text"


def test_editor_shows_field_errors_with_422(client, session):
    article = create_article(session)
    _admin(client, session)
    token = _token(client, f"/admin/articles/{article.id}")
    response = client.post(
        f"/admin/articles/{article.id}",
        data={
            "csrf_token": token,
            "title": "Fine",
            "body": "Body",
            "kind": "faq",
            "slug": article.slug,
            "tags": "not a tag!",
            "base_version": "1",
        },
    )
    assert response.status_code == 422 and "not a tag" in response.text


def test_editor_escapes_a_script_title(client, session):
    article = create_article(session, title=f"Title {XSS}")
    _admin(client, session)
    html = client.get(f"/admin/articles/{article.id}").text
    assert "<script>alert(1)" not in html and "<img src=x" not in html


def test_editor_of_a_missing_article_is_404(client, session):
    _admin(client, session)
    assert client.get("/admin/articles/999999").status_code == 404


# ---- preview -------------------------------------------------------------------------------


def test_preview_renders_markdown_with_the_public_sanitiser(client, session):
    _admin(client, session)
    token = _token(client)
    response = client.post(
        "/admin/preview",
        data={"body": f"**Bold** [x](javascript:alert(1)) {XSS}"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert response.status_code == 200 and "<strong>Bold</strong>" in response.text
    assert 'href="javascript' not in response.text and "<script" not in response.text and "<img" not in response.text


def test_preview_needs_csrf(client, session):
    _admin(client, session)
    client.get("/admin/articles")
    assert client.post("/admin/preview", data={"body": "x"}).status_code == 403


def test_preview_needs_staff(client):
    token = csrf_from(client.get("/contact").text)
    response = client.post(
        "/admin/preview", data={"body": "x"}, headers={"X-CSRF-Token": token}, follow_redirects=False
    )
    assert response.status_code == 401


# ---- workflow ------------------------------------------------------------------------------


def test_workflow_draft_review_published(client, session):
    article = create_article(session)
    _admin(client, session)
    token = _token(client, f"/admin/articles/{article.id}")
    client.post(f"/admin/articles/{article.id}/status", data={"csrf_token": token, "action": "review"})
    assert _fresh(session, article).status == ArticleStatus.IN_REVIEW
    client.post(f"/admin/articles/{article.id}/status", data={"csrf_token": token, "action": "publish"})
    assert _fresh(session, article).status == ArticleStatus.PUBLISHED


def test_workflow_refuses_archived_to_published(client, session):
    article = create_article(session)
    service.archive(session, article)
    _admin(client, session)
    token = _token(client, f"/admin/articles/{article.id}")
    response = client.post(f"/admin/articles/{article.id}/status", data={"csrf_token": token, "action": "publish"})
    assert response.status_code == 409 and _fresh(session, article).status == ArticleStatus.ARCHIVED


def test_workflow_unknown_action_is_422(client, session):
    article = create_article(session)
    _admin(client, session)
    token = _token(client, f"/admin/articles/{article.id}")
    response = client.post(f"/admin/articles/{article.id}/status", data={"csrf_token": token, "action": "explode"})
    assert response.status_code == 422


def test_workflow_needs_csrf(client, session):
    article = create_article(session)
    _admin(client, session)
    client.get("/admin/articles")
    assert client.post(f"/admin/articles/{article.id}/status", data={"action": "publish"}).status_code == 403


# ---- translations --------------------------------------------------------------------------


def test_translation_page_shows_source_beside_an_empty_form(client, session):
    article = create_article(session, title="Side by side source")
    _admin(client, session)
    html = client.get(f"/admin/articles/{article.id}/translations/id").text
    assert "Side by side source" in html and "Create translation" in html


def test_admin_adds_then_publishes_a_translation(client, session):
    article = create_article(session, status="published")
    _admin(client, session)
    token = _token(client, f"/admin/articles/{article.id}/translations/id")
    response = client.post(
        f"/admin/articles/{article.id}/translations/id",
        data={
            "csrf_token": token,
            "title": "Sambungkan ulang termostat",
            "body": "Buka aplikasi.",
            "questions": "Kenapa offline?",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    client.post(f"/admin/articles/{article.id}/translations/id/status", data={"csrf_token": token, "action": "publish"})
    assert _fresh(session, article).content("id").status == ArticleStatus.PUBLISHED


def test_stale_translation_shows_the_marker_and_the_source_changes(client, session):
    article = create_article(session, body="Old step one.")
    add_translation(session, article, locale="pl")
    service.update_article(session, article, ArticleUpdate(body="New step one."))
    _admin(client, session)
    html = client.get(f"/admin/articles/{article.id}/translations/pl").text
    assert 'id="stale-marker"' in html and "<del>Old</del>" in html and "<ins>New</ins>" in html


def test_marking_a_translation_current_clears_stale(client, session):
    article = create_article(session)
    add_translation(session, article, locale="pl")
    service.update_article(session, article, ArticleUpdate(body="Changed source."))
    _admin(client, session)
    token = _token(client, f"/admin/articles/{article.id}/translations/pl")
    client.post(f"/admin/articles/{article.id}/translations/pl/current", data={"csrf_token": token})
    assert not stale_translations(session, _fresh(session, article))


def test_translation_for_an_unsupported_locale_is_422(client, session):
    article = create_article(session)
    _admin(client, session)
    assert client.get(f"/admin/articles/{article.id}/translations/xx").status_code == 422


def test_translation_source_locale_redirects_to_the_editor(client, session):
    article = create_article(session)
    _admin(client, session)
    response = client.get(f"/admin/articles/{article.id}/translations/en", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/admin/articles/{article.id}"


def test_translation_save_needs_csrf(client, session):
    article = create_article(session)
    _admin(client, session)
    client.get("/admin/articles")
    response = client.post(f"/admin/articles/{article.id}/translations/pl", data={"title": "x", "body": "y"})
    assert response.status_code == 403


def test_agents_may_not_save_translations(client, session):
    article = create_article(session)
    sign_in(client, session)
    token = _token(client)
    response = client.post(
        f"/admin/articles/{article.id}/translations/pl", data={"csrf_token": token, "title": "x", "body": "y"}
    )
    assert response.status_code == 403


def test_translation_with_empty_body_is_422(client, session):
    article = create_article(session)
    _admin(client, session)
    token = _token(client)
    response = client.post(
        f"/admin/articles/{article.id}/translations/pl", data={"csrf_token": token, "title": "Tytuł", "body": "  "}
    )
    assert response.status_code == 422 and "Tytuł" in response.text


# ---- history -------------------------------------------------------------------------------


def test_history_lists_versions_newest_first(client, session):
    article = create_article(session)
    service.update_article(session, article, ArticleUpdate(title="Second title"))
    _admin(client, session)
    html = client.get(f"/admin/articles/{article.id}/history").text
    assert html.index(">v2") < html.index(">v1")


def test_version_diff_is_an_escaped_table(client, session):
    article = create_article(session, body="Line one\nLine two")
    service.update_article(session, article, ArticleUpdate(body=f"Line one\nLine {XSS}"))
    _admin(client, session)
    html = client.get(f"/admin/articles/{article.id}/history/en/2").text
    assert '<table class="diff">' in html and "<del>two</del>" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_restore_makes_a_new_version_with_the_old_text(client, session):
    article = create_article(session, title="Original title")
    service.update_article(session, article, ArticleUpdate(title="Changed title"))
    _admin(client, session)
    token = _token(client, f"/admin/articles/{article.id}/history/en/1")
    response = client.post(
        f"/admin/articles/{article.id}/history/en/1/restore", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303 and "restored=3" in response.headers["location"]
    assert _fresh(session, article).source.title == "Original title"


def test_restore_of_a_missing_version_is_404(client, session):
    article = create_article(session)
    _admin(client, session)
    token = _token(client)
    response = client.post(f"/admin/articles/{article.id}/history/en/9/restore", data={"csrf_token": token})
    assert response.status_code == 404


def test_restore_needs_csrf(client, session):
    article = create_article(session)
    _admin(client, session)
    client.get("/admin/articles")
    assert client.post(f"/admin/articles/{article.id}/history/en/1/restore").status_code == 403


def test_agents_may_not_restore(client, session):
    article = create_article(session)
    service.update_article(session, article, ArticleUpdate(title="Changed title"))
    sign_in(client, session)
    token = _token(client)
    response = client.post(f"/admin/articles/{article.id}/history/en/1/restore", data={"csrf_token": token})
    assert response.status_code == 403


def test_translation_history_uses_its_locale(client, session):
    article = create_article(session)
    add_translation(session, article, locale="pl")
    translations.update_translation(session, article, "pl", TranslationUpdate(title="Nowy tytuł"))
    _admin(client, session)
    html = client.get(f"/admin/articles/{article.id}/history", params={"locale": "pl"}).text
    assert "Nowy tytuł" in html


# ---- insights ------------------------------------------------------------------------------


def test_insights_show_every_section_with_a_chart_and_a_table(client, session):
    from tests.kb.feedback.factories import log_search

    log_search(session, "reset password", answered=False)
    _admin(client, session)
    html = client.get("/admin/insights").text
    for title in (
        "Top searches",
        "Content gaps",
        "Article helpfulness",
        "Contact-form deflection",
        "Self-resolution on intake",
        "Suggested replies",
    ):
        assert title in html
    assert html.count('<figure class="chart"') == 6 and html.count('<table class="data">') >= 6
    assert html.count('name="from"') == 6


def test_insights_are_for_admins_only(client, session):
    sign_in(client, session)
    assert client.get("/admin/insights").status_code == 403


def test_insights_section_with_a_range_is_an_htmx_fragment(client, session):
    from tests.kb.feedback.factories import log_search

    log_search(session, "warranty claim")
    _admin(client, session)
    response = client.get(
        "/admin/insights/searches", params={"from": "2020-01-01", "to": "2021-12-31"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and "<html" not in response.text
    assert "warranty claim" not in response.text and 'value="2020-01-01"' in response.text


def test_insights_section_without_htmx_is_the_whole_page(client, session):
    _admin(client, session)
    html = client.get("/admin/insights/funnel", params={"from": "2026-01-01", "to": "2026-01-31"}).text
    assert "<html" in html and 'value="2026-01-01"' in html and "Top searches" in html


def test_insights_bad_range_is_422(client, session):
    _admin(client, session)
    response = client.get("/admin/insights/gaps", params={"from": "2026-02-01", "to": "2026-01-01"})
    assert response.status_code == 422


def test_insights_bad_range_in_htmx_shows_the_error_in_the_section(client, session):
    _admin(client, session)
    response = client.get("/admin/insights/gaps", params={"from": "nope"}, headers={"HX-Request": "true"})
    assert response.status_code == 422 and 'role="alert"' in response.text


def test_insights_unknown_section_is_404(client, session):
    _admin(client, session)
    assert client.get("/admin/insights/weather").status_code == 404


def test_insights_escape_search_text(client, session):
    from tests.kb.feedback.factories import log_search

    log_search(session, f"help {XSS}", answered=False)
    _admin(client, session)
    html = client.get("/admin/insights").text
    assert "<script>alert(1)" not in html and "<img src=x" not in html


def test_insights_helpfulness_counts_come_from_votes(client, session):
    from kb.feedback import service as feedback
    from kb.feedback.schemas import FeedbackCreate
    from tests.kb.feedback.factories import visitor

    article = create_article(session, title="Counted article")
    for helpful in (True, False, False):
        feedback.record_feedback(
            session, article.id, FeedbackCreate(helpful=helpful, locale="en"), visitor_token=visitor()
        )
    _admin(client, session)
    html = client.get("/admin/insights/helpfulness", headers={"HX-Request": "true"}).text
    row = html[html.index("Counted article") :]
    assert re.search(r"</a></th><td>1</td><td>2</td><td>33%</td>", row)
