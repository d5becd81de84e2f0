"""Version history: every save of a text is a version; restore makes an old one current again."""

from __future__ import annotations

import pytest

from accounts.models import Role
from aftercare.errors import NotFound
from kb import service, versions
from kb.schemas import ArticleUpdate
from tests.factories import create_staff
from tests.kb.factories import create_article


def test_new_article_is_version_one(session):
    article = create_article(session)
    assert versions.current_version(session, article.id, "en") == 1


def test_each_text_save_adds_a_version_and_keeps_the_previous(session):
    article = create_article(session, title="First title")
    service.update_article(session, article, ArticleUpdate(title="Second title"))
    service.update_article(session, article, ArticleUpdate(body="A new body."))
    history = versions.list_versions(session, article, "en")
    assert [v.version for v in history] == [3, 2, 1]
    assert [v.title for v in history] == ["Second title", "Second title", "First title"]
    assert history[0].body_markdown == "A new body."


def test_saving_identical_text_adds_no_version(session):
    article = create_article(session, title="Same")
    service.update_article(session, article, ArticleUpdate(title="Same", tags=["other"]))
    assert versions.current_version(session, article.id, "en") == 1


def test_version_keeps_questions_and_author(session):
    editor = create_staff(session, role=Role.ADMIN)
    article = create_article(session, questions=["Old question?"])
    service.update_article(session, article, ArticleUpdate(questions=["New question?", "Another?"]), author=editor)
    latest, first = versions.list_versions(session, article, "en")
    assert (latest.questions, latest.author_id) == (["New question?", "Another?"], editor.id)
    assert first.questions == ["Old question?"]


def test_restore_makes_an_old_version_current_as_a_new_version(session):
    article = create_article(session, title="Original", questions=["Q1?"])
    service.update_article(session, article, ArticleUpdate(title="Changed", questions=["Q2?", "Q3?"]))
    restored = versions.restore_version(session, article, "en", 1)
    assert (restored.version, restored.restored_from) == (3, 1)
    assert (article.source.title, article.source.questions) == ("Original", ["Q1?"])
    assert [v.version for v in versions.list_versions(session, article, "en")] == [3, 2, 1]


def test_restore_of_a_missing_version_is_not_found(session):
    article = create_article(session)
    with pytest.raises(NotFound):
        versions.restore_version(session, article, "en", 7)


def test_versions_of_a_locale_without_text_are_not_found(session):
    article = create_article(session)
    with pytest.raises(NotFound):
        versions.list_versions(session, article, "th")
