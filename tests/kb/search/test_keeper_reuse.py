"""Reindexing reuses vectors by content: an unchanged knowledge base embeds nothing, an edit only what changed."""

from __future__ import annotations

from kb import service as kb_service
from kb.schemas import ArticleUpdate
from kb.search.keeper import IndexKeeper
from tests.kb.search.factories import EARBUDS, VACUUM, WIFI, published

# Three sections: an edit of one leaves the other two chunks' texts (title, heading, text) as they were.
MANUAL = {
    "title": "Set up the Nimbus thermostat",
    "body": (
        "## Mount the plate\n\nScrew the wall plate over the old thermostat's wires.\n\n"
        "## Connect the wires\n\nMatch each wire to the terminal with its letter.\n\n"
        "## Pair the app\n\nOpen the Skyline app and scan the code on the display."
    ),
    "questions": ["How do I install the thermostat?"],
    "slug": "nimbus-setup",
}


def test_a_second_rebuild_of_an_unchanged_knowledge_base_embeds_nothing(session, keeper, embedder):
    for topic in (WIFI, EARBUDS, VACUUM):
        published(session, topic)
    keeper.rebuild(session)
    before = embedder.passage_requests

    report = keeper.rebuild(session)

    assert report.rebuilt and report.upserted == 3
    assert (report.embedded, embedder.passage_requests - before) == (0, 0)


def test_a_new_process_reuses_the_saved_index_when_it_rebuilds(session, keeper, embedder, index_dir):
    # What `aftercare kb reindex` does: a fresh keeper, whose rebuild finds the saved vectors.
    for topic in (WIFI, EARBUDS):
        published(session, topic)
    keeper.rebuild(session)
    keeper.save(force=True)
    before = embedder.passage_requests

    report = IndexKeeper(embedder, index_dir=index_dir).rebuild(session)

    assert (report.upserted, report.embedded, embedder.passage_requests - before) == (2, 0, 0)


def test_a_rebuild_without_reuse_embeds_every_unit(session, keeper, embedder):
    published(session, WIFI)  # title, 2 questions, 1 body chunk
    keeper.rebuild(session)

    report = keeper.rebuild(session, reuse=False)

    assert report.embedded == 4


def test_an_edited_article_re_embeds_only_its_changed_chunk(session, keeper, embedder):
    article = published(session, MANUAL)
    keeper.sync(session)
    before = embedder.passage_requests
    body = MANUAL["body"].replace("its letter.", "its letter, then restore power.")

    kb_service.update_article(session, article, ArticleUpdate(body=body))
    report = keeper.sync(session)

    assert report.upserted == 1
    assert (report.embedded, embedder.passage_requests - before) == (1, 1)
    hit = keeper.engine.search("restore power after connecting the wires").results[0]
    assert "restore power" in hit.snippet


def test_the_same_text_in_another_article_is_not_embedded_again(session, keeper, embedder):
    published(session, WIFI)
    keeper.sync(session)
    before = embedder.passage_requests

    published(session, {**EARBUDS, "questions": [*EARBUDS["questions"], WIFI["questions"][0]]})
    report = keeper.sync(session)

    # Title, two questions of its own and one body chunk; the shared question reuses WIFI's vector.
    assert (report.embedded, embedder.passage_requests - before) == (4, 4)
