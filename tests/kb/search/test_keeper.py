"""The index keeper: the engine follows the database through publish, edit, archive, delete and restarts."""

from __future__ import annotations

import json

from sqlalchemy import delete, select, update

from kb import service as kb_service
from kb import translations
from kb.forum.indexing import iter_indexable_threads
from kb.indexing import iter_indexable_documents, latest_search_change_id
from kb.models import Article, ArticleStatus, SearchIndexChange
from kb.schemas import ArticleUpdate
from kb.search.documents import article_document, indexable_state, thread_document
from kb.search.keeper import KEEPER_MANIFEST, IndexKeeper
from tests.kb.search.factories import EARBUDS, VACUUM, WIFI, answered_thread, polish_translation, published


def doc_ids(keeper: IndexKeeper) -> set[str]:
    return set(keeper.engine.doc_ids())


def test_published_article_becomes_searchable_after_sync(session, keeper):
    keeper.sync(session)
    article = published(session, WIFI)
    keeper.sync(session)
    assert doc_ids(keeper) == {f"article:{article.id}:en"}
    assert keeper.engine.search("thermostat offline wifi").results[0].extra["article_id"] == article.id


def test_draft_is_not_indexed(session, keeper):
    published(session, WIFI, status="draft")
    keeper.sync(session)
    assert doc_ids(keeper) == set()


def test_edit_replaces_the_indexed_text(session, keeper):
    article = published(session, WIFI)
    keeper.sync(session)
    kb_service.update_article(session, article, ArticleUpdate(title="Nimbus thermostat Wi-Fi troubleshooting"))
    keeper.sync(session)
    assert keeper.engine.document(f"article:{article.id}:en").title == "Nimbus thermostat Wi-Fi troubleshooting"


def test_archive_removes_the_article(session, keeper):
    article = published(session, WIFI)
    keeper.sync(session)
    kb_service.archive(session, article)
    report = keeper.sync(session)
    assert report.removed == 1 and doc_ids(keeper) == set()


def test_delete_removes_the_article(session, keeper):
    article = published(session, WIFI)
    keeper.sync(session)
    kb_service.delete_article(session, article)
    keeper.sync(session)
    assert doc_ids(keeper) == set()


def test_translation_added_and_removed_follows(session, keeper):
    article = published(session, WIFI)
    polish_translation(session, article)
    keeper.sync(session)
    assert doc_ids(keeper) == {f"article:{article.id}:en", f"article:{article.id}:pl"}
    translations.delete_translation(session, article, "pl")
    keeper.sync(session)
    assert doc_ids(keeper) == {f"article:{article.id}:en"}


def test_sync_is_idempotent(session, keeper):
    published(session, WIFI)
    keeper.sync(session)
    again = keeper.sync(session)
    assert (again.changes, again.upserted, again.removed) == (0, 0, 0)


def test_change_committed_out_of_order_is_still_applied(session, keeper):
    keeper.sync(session)
    late = published(session, EARBUDS)
    published(session, WIFI)  # its change rows get higher ids than ``late``'s
    rows = session.scalars(select(SearchIndexChange).where(SearchIndexChange.entity_id == late.id)).all()
    saved = [
        {"id": r.id, "entity_type": r.entity_type, "entity_id": r.entity_id, "changed_at": r.changed_at} for r in rows
    ]
    # As if the transaction that wrote them had not committed yet when the keeper read the feed.
    for row in rows:
        session.delete(row)
    session.flush()
    keeper.sync(session)
    assert f"article:{late.id}:en" not in doc_ids(keeper)
    session.add_all(SearchIndexChange(**values) for values in saved)
    session.flush()
    keeper.sync(session)
    assert f"article:{late.id}:en" in doc_ids(keeper)


def test_two_keepers_on_one_database_see_each_others_changes(session, embedder, tmp_path):
    web_a = IndexKeeper(embedder, index_dir=tmp_path / "a")
    web_b = IndexKeeper(embedder, index_dir=tmp_path / "b")
    web_a.sync(session)
    web_b.sync(session)
    article = published(session, VACUUM)  # e.g. published through process A
    web_b.sync(session)
    assert f"article:{article.id}:en" in doc_ids(web_b)
    assert web_b.applied_change_id == latest_search_change_id(session)


def test_restart_loads_a_consistent_index_without_embedding(session, keeper, embedder, index_dir):
    published(session, WIFI)
    published(session, EARBUDS)
    keeper.sync(session)
    assert keeper.save()
    before = embedder.passage_requests
    restarted = IndexKeeper(embedder, index_dir=index_dir)
    report = restarted.open(session)
    assert not report.rebuilt and report.upserted == 0
    assert embedder.passage_requests == before
    assert doc_ids(restarted) == doc_ids(keeper)


def test_restart_catches_up_with_changes_made_while_down(session, keeper, index_dir, embedder):
    published(session, WIFI)
    keeper.sync(session)
    keeper.save()
    later = published(session, EARBUDS)
    restarted = IndexKeeper(embedder, index_dir=index_dir)
    report = restarted.open(session)
    assert not report.rebuilt and f"article:{later.id}:en" in doc_ids(restarted)


def test_restart_repairs_a_change_the_feed_never_saw(session, keeper, index_dir, embedder):
    article = published(session, WIFI)
    keeper.sync(session)
    keeper.save()
    # A direct database edit (a script, a restore): no change row tells the keeper.
    session.execute(update(Article).where(Article.id == article.id).values(status=ArticleStatus.ARCHIVED))
    restarted = IndexKeeper(embedder, index_dir=index_dir)
    report = restarted.open(session)
    assert report.removed == 1 and doc_ids(restarted) == set()


def test_missing_index_file_is_rebuilt(session, keeper, index_dir, embedder):
    published(session, WIFI)
    report = keeper.open(session)
    assert report.rebuilt and len(keeper.engine) == 1


def test_corrupt_index_file_is_rebuilt(session, keeper, index_dir, embedder):
    published(session, WIFI)
    keeper.sync(session)
    keeper.save()
    (keeper.directory / "engine" / "documents.jsonl").write_text("{not json", encoding="utf-8")
    restarted = IndexKeeper(embedder, index_dir=index_dir)
    report = restarted.open(session)
    assert report.rebuilt and len(restarted.engine) == 1


def test_another_embedders_index_is_not_loaded(session, keeper, index_dir, embedder):
    published(session, WIFI)
    keeper.sync(session)
    keeper.save()
    manifest_path = keeper.directory / KEEPER_MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "embedder_id": "st:some-other-model"}))
    report = IndexKeeper(embedder, index_dir=index_dir).open(session)
    assert report.rebuilt


def test_database_that_went_backwards_triggers_a_rebuild(session, keeper):
    published(session, WIFI)
    keeper.sync(session)
    # A restored backup: fewer changes than the index has applied, and different content.
    session.execute(delete(SearchIndexChange))
    session.execute(update(Article).values(status=ArticleStatus.ARCHIVED))
    report = keeper.sync(session)
    assert report.rebuilt and doc_ids(keeper) == set()


def test_save_is_atomic_and_replaces_the_previous_index(session, keeper):
    published(session, WIFI)
    keeper.sync(session)
    keeper.save()
    published(session, EARBUDS)
    keeper.sync(session)
    keeper.save()
    siblings = [path.name for path in keeper.index_dir.iterdir()]
    assert json.loads((keeper.directory / KEEPER_MANIFEST).read_text())["documents"] == 2
    assert not [name for name in siblings if name.startswith(".")]  # no staging or old folders left


def test_light_state_query_agrees_with_the_indexable_iterators(session):
    article = published(session, WIFI)
    polish_translation(session, article)
    published(session, EARBUDS, status="draft")
    answered_thread(
        session, title="Earbuds not charging", body="The case light stays off.", answer="Clean the contacts."
    )
    expected = {doc.doc_id: doc.extra["updated_at"] for doc in map(article_document, iter_indexable_documents(session))}
    expected |= {doc.doc_id: doc.extra["updated_at"] for doc in map(thread_document, iter_indexable_threads(session))}
    assert indexable_state(session) == expected
