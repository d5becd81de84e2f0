"""The data side of search: indexable documents, and a change row for every search-relevant edit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from aftercare.db import Database, utcnow
from aftercare.events import subscribe, unsubscribe
from kb import indexing, service, translations, versions
from kb.events import ArticleChanged
from kb.schemas import ArticleUpdate, TranslationUpdate
from tests.kb.factories import add_translation, create_article, search_changes


def test_documents_are_published_locales_of_published_articles(session):
    article = create_article(session, status="published", products=["nimbus"], tags=["wifi"])
    add_translation(session, article, locale="pl", status="published")
    add_translation(session, article, locale="th", title="ไวไฟ", status="draft")
    create_article(session, status="draft")
    documents = indexing.iter_indexable_documents(session, [article.id])
    assert [(d.article_id, d.locale, d.is_source) for d in documents] == [
        (article.id, "en", True),
        (article.id, "pl", False),
    ]
    english = documents[0]
    assert english.questions == tuple(article.source.questions)
    assert (english.kind, english.products, english.tags, english.slug) == (
        "troubleshooting",
        ("nimbus",),
        ("wifi",),
        article.slug,
    )
    assert english.doc_id == f"article:{article.id}:en"


def test_published_translation_of_an_unpublished_article_is_not_indexable(session):
    article = create_article(session, status="draft")
    add_translation(session, article, locale="pl", status="published")
    assert indexing.iter_indexable_documents(session, [article.id]) == []


def test_whole_knowledge_base_when_no_ids_are_given(session):
    first = create_article(session, status="published")
    second = create_article(session, status="published")
    ids = {d.article_id for d in indexing.iter_indexable_documents(session)}
    assert {first.id, second.id} <= ids


def test_empty_id_list_means_no_documents(session):
    create_article(session, status="published")
    assert indexing.iter_indexable_documents(session, []) == []


def test_drafts_record_no_search_change(session):
    article = create_article(session)
    service.update_article(session, article, ArticleUpdate(title="Still a draft"))
    add_translation(session, article)
    assert search_changes(session, article.id) == 0


def test_publish_records_a_search_change(session):
    article = create_article(session)
    service.publish(session, article)
    assert search_changes(session, article.id) == 1


def test_creating_a_published_article_records_a_search_change(session):
    article = create_article(session, status="published")
    assert search_changes(session, article.id) == 1


def test_editing_a_published_article_records_a_search_change(session):
    article = create_article(session, status="published")
    service.update_article(session, article, ArticleUpdate(body="Edited."))
    service.update_article(session, article, ArticleUpdate(products=["aurora"]))
    assert search_changes(session, article.id) == 3


def test_archiving_and_unpublishing_record_search_changes(session):
    article = create_article(session, status="published")
    service.unpublish(session, article)
    service.publish(session, article)
    service.archive(session, article)
    assert search_changes(session, article.id) == 4


def test_deleting_a_published_article_records_a_search_change(session):
    article = create_article(session, status="published")
    article_id = article.id
    service.delete_article(session, article)
    assert search_changes(session, article_id) == 2
    assert indexing.iter_indexable_documents(session, [article_id]) == []


def test_translation_changes_of_a_published_article_record_search_changes(session):
    article = create_article(session, status="published")
    add_translation(session, article, locale="pl", status="published")
    translations.update_translation(session, article, "pl", TranslationUpdate(title="Nowy tytuł"))
    translations.update_translation(session, article, "pl", TranslationUpdate(status="archived"))
    translations.delete_translation(session, article, "pl")
    assert search_changes(session, article.id) == 4


def test_draft_translation_of_a_published_article_records_nothing(session):
    article = create_article(session, status="published")
    add_translation(session, article, locale="pl", status="draft")
    translations.update_translation(session, article, "pl", TranslationUpdate(title="Szkic"))
    assert search_changes(session, article.id) == 1


def test_restoring_a_published_version_records_a_search_change(session):
    article = create_article(session, status="published")
    service.update_article(session, article, ArticleUpdate(title="Edited"))
    versions.restore_version(session, article, "en", 1)
    assert search_changes(session, article.id) == 3


def test_changes_feed_reads_after_an_id_and_since_a_time(session):
    before = indexing.latest_search_change_id(session)
    started = utcnow() - timedelta(seconds=1)
    article = create_article(session, status="published")
    service.archive(session, article)
    changes = indexing.search_changes_after(session, before)
    assert [c.entity_id for c in changes] == [article.id, article.id]
    assert indexing.latest_search_change_id(session) == changes[-1].id
    assert article.id in indexing.articles_changed_since(session, started)


@pytest.fixture
def article_events() -> Iterator[list[ArticleChanged]]:
    """The ArticleChanged events delivered after commits while the test runs."""
    seen: list[ArticleChanged] = []

    def note(event: ArticleChanged, _database: Database) -> None:
        seen.append(event)

    subscribe(ArticleChanged, note)
    yield seen
    unsubscribe(ArticleChanged, note)


def test_a_changed_article_is_announced_once_after_the_commit(database, article_events):
    with database.session() as session:
        article = create_article(session, status="published")
        service.update_article(session, article, ArticleUpdate(title="Edited"))
        assert article_events == []
    # Two change rows for one article, one event: the keeper re-reads the feed, not the events.
    assert article_events == [ArticleChanged(article_id=article.id)]


def test_nothing_is_announced_after_a_rollback(database, article_events):
    with pytest.raises(RuntimeError):
        with database.session() as session:
            create_article(session, status="published")
            raise RuntimeError("request failed")
    with database.session() as session:
        create_article(session, status="draft")
    assert article_events == []


def test_the_next_transaction_of_the_same_session_announces_again(database, article_events):
    with database.session() as session:
        first = create_article(session, status="published")
        session.commit()
        second = create_article(session, status="published")
    assert article_events == [ArticleChanged(article_id=first.id), ArticleChanged(article_id=second.id)]
