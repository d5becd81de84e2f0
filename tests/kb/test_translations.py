"""Translations: one article, several locales, each with its own status and source version."""

from __future__ import annotations

import pytest

from aftercare.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from kb import service, translations, versions
from kb.schemas import ArticleUpdate, TranslationUpdate
from tests.kb.factories import add_translation, create_article, stale_translations


def test_translation_records_the_current_source_version(session):
    article = create_article(session)
    service.update_article(session, article, ArticleUpdate(title="A better English title"))
    content = add_translation(session, article, locale="pl")
    assert (content.source_version, content.status) == (2, "draft")
    assert versions.is_stale(content, 2) is False


def test_translation_becomes_stale_when_the_source_changes(session):
    article = create_article(session)
    content = add_translation(session, article, locale="th", title="เชื่อมต่อ Wi-Fi ใหม่")
    service.update_article(session, article, ArticleUpdate(body="Updated steps."))
    assert stale_translations(session, article) == [content]


def test_metadata_edits_of_the_source_do_not_make_translations_stale(session):
    article = create_article(session)
    add_translation(session, article)
    service.update_article(session, article, ArticleUpdate(tags=["router"]))
    assert stale_translations(session, article) == []


def test_saving_new_text_makes_a_translation_current_again(session):
    article = create_article(session)
    add_translation(session, article, locale="id", title="Hubungkan ulang Wi-Fi")
    service.update_article(session, article, ArticleUpdate(body="Updated steps."))
    translations.update_translation(session, article, "id", TranslationUpdate(body="Langkah yang diperbarui."))
    assert stale_translations(session, article) == []


def test_explicit_source_version_keeps_a_translation_stale(session):
    article = create_article(session)
    add_translation(session, article, locale="tl", title="Ikonekta muli sa Wi-Fi")
    service.update_article(session, article, ArticleUpdate(body="Updated steps."))
    changes = TranslationUpdate(title="Paano ikonekta muli sa Wi-Fi", source_version=1)
    content = translations.update_translation(session, article, "tl", changes)
    assert content.source_version == 1 and stale_translations(session, article) == [content]


def test_source_version_from_the_future_is_refused(session):
    article = create_article(session)
    add_translation(session, article)
    with pytest.raises(ValidationFailed, match="does not exist yet"):
        translations.update_translation(session, article, "pl", TranslationUpdate(source_version=5))


def test_coverage_lists_locales_staleness_and_missing(session):
    article = create_article(session)
    add_translation(session, article, locale="pl")
    service.update_article(session, article, ArticleUpdate(title="New title"))
    add_translation(session, article, locale="th", title="หัวข้อ")
    coverage = translations.language_coverage(session, article)
    rows = [(c.locale, version, stale) for c, version, stale in coverage.contents]
    assert rows == [("en", 2, False), ("pl", 1, True), ("th", 1, False)]
    assert coverage.missing_locales == ["id", "tl"]


def test_second_translation_in_one_locale_is_a_conflict(session):
    article = create_article(session)
    add_translation(session, article, locale="pl")
    with pytest.raises(Conflict):
        add_translation(session, article, locale="pl")


def test_translation_into_the_source_locale_is_a_conflict(session):
    article = create_article(session)
    with pytest.raises(Conflict):
        add_translation(session, article, locale="en")


def test_translation_into_an_unsupported_locale_is_refused(session):
    article = create_article(session)
    with pytest.raises(ValidationFailed):
        add_translation(session, article, locale="fr")


def test_translation_has_its_own_status_machine(session):
    article = create_article(session)
    add_translation(session, article, locale="pl", status="archived")
    with pytest.raises(InvalidTransition):
        translations.update_translation(session, article, "pl", TranslationUpdate(status="published"))


def test_translation_versions_are_kept_per_locale(session):
    article = create_article(session)
    add_translation(session, article, locale="pl", title="Pierwszy")
    translations.update_translation(session, article, "pl", TranslationUpdate(title="Drugi"))
    assert [v.title for v in versions.list_versions(session, article, "pl")] == ["Drugi", "Pierwszy"]
    assert versions.current_version(session, article.id, "en") == 1


def test_restoring_a_translation_brings_back_its_source_version(session):
    article = create_article(session)
    add_translation(session, article, locale="pl", title="Stary")
    service.update_article(session, article, ArticleUpdate(body="Updated steps."))
    translations.update_translation(session, article, "pl", TranslationUpdate(title="Nowy"))
    versions.restore_version(session, article, "pl", 1)
    content = article.content("pl")
    assert (content.title, content.source_version) == ("Stary", 1)
    assert stale_translations(session, article) == [content]


def test_delete_translation(session):
    article = create_article(session)
    add_translation(session, article, locale="pl")
    translations.delete_translation(session, article, "pl")
    with pytest.raises(NotFound):
        translations.get_translation(article, "pl")


def test_the_source_is_not_edited_as_a_translation(session):
    article = create_article(session)
    with pytest.raises(Conflict):
        translations.update_translation(session, article, "en", TranslationUpdate(title="x"))
