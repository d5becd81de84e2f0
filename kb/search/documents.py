"""What the search engine indexes for each entity, and a cheap map of what the database says it should hold.

Doc ids are ``"<entity type>:<id>:<locale>"`` (``"article:12:pl"``, ``"thread:7:en"``): the part
before the last colon names the entity, which is what ``retrieval.ranking.collapse_locales`` and the
keeper group by. Each document's ``extra`` carries its ``updated_at``; ``indexable_state`` reads the
same (doc id -> updated_at) map straight from the database, without bodies, so a keeper can tell
whether its index reflects the database without loading every article.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.forum.indexing import SEARCH_ENTITY_TYPE as THREAD_ENTITY
from kb.forum.indexing import IndexableThread, iter_indexable_threads
from kb.forum.models import ForumThread, PostStatus
from kb.indexing import ARTICLE_ENTITY, IndexableDocument, iter_indexable_documents
from kb.models import Article, ArticleContent, ArticleStatus
from retrieval.engine import IndexedDocument

ENTITY_TYPES = (ARTICLE_ENTITY, THREAD_ENTITY)
# Entities read per query (an IN list): well under SQLite's and PostgreSQL's parameter limits.
ENTITY_BATCH = 500

# Score multipliers for forum threads (IndexedDocument.boost; articles are 1.0). Dense scores of
# related texts sit within a few hundredths of each other, so these are small on purpose: an
# accepted answer edges ahead of an article saying the same, a thread nobody answered falls behind
# everything comparable and rarely reaches the confidence needed to count as an answer.
ACCEPTED_BOOST = 1.01
ACCEPTED_VOTE_BOOST = 0.0025  # per net up-vote of the accepted answer, up to MAX_VOTES_COUNTED
VOTED_ANSWER_BOOST = 0.97  # a positively voted reply, not accepted
VOTED_ANSWER_VOTE_BOOST = 0.005
UNANSWERED_BOOST = 0.94
MAX_VOTES_COUNTED = 4


def entity_key(doc_id: str) -> str:
    """``"article:12:pl"`` -> ``"article:12"``."""
    return doc_id.rsplit(":", 1)[0]


def parse_entity_key(key: str) -> tuple[str, int] | None:
    entity_type, _, raw_id = key.partition(":")
    return (entity_type, int(raw_id)) if raw_id.isdigit() else None


def stamp(value: datetime) -> str:
    """One spelling of a timestamp for both sides of the comparison (ORM rows and light queries)."""
    return value.isoformat()


def article_document(document: IndexableDocument) -> IndexedDocument:
    return IndexedDocument(
        doc_id=document.doc_id,
        locale=document.locale,
        title=document.title,
        questions=list(document.questions),
        body_markdown=document.body_markdown,
        kind=ARTICLE_ENTITY,
        extra={
            "article_id": document.article_id,
            "slug": document.slug,
            "is_source": document.is_source,
            "article_kind": document.kind,
            "products": list(document.products),
            "tags": list(document.tags),
            "updated_at": stamp(document.updated_at),
        },
    )


def thread_doc_id(thread_id: int, language: str) -> str:
    return f"{THREAD_ENTITY}:{thread_id}:{language}"


def thread_boost(thread: IndexableThread) -> float:
    votes = max(0, min(thread.answer_score, MAX_VOTES_COUNTED))
    if thread.answer_body and thread.answer_accepted:
        return ACCEPTED_BOOST + ACCEPTED_VOTE_BOOST * votes
    if thread.answer_body:
        return VOTED_ANSWER_BOOST + VOTED_ANSWER_VOTE_BOOST * votes
    return UNANSWERED_BOOST


def thread_document(thread: IndexableThread) -> IndexedDocument:
    # Question and answer as two sections: the chunker keeps them apart, so the snippet is the
    # part that matched (usually the answer for a how-to question, the question for a symptom).
    body = thread.question_body.strip()
    if thread.answer_body:
        body = f"{body}\n\n{thread.answer_body.strip()}"
    return IndexedDocument(
        doc_id=thread_doc_id(thread.thread_id, thread.language),
        locale=thread.language,
        title=thread.title,
        questions=[],
        body_markdown=body,
        kind=THREAD_ENTITY,
        boost=thread_boost(thread),
        extra={
            "thread_id": thread.thread_id,
            "answered": thread.answer_body is not None,
            "answer_accepted": thread.answer_accepted,
            "answer_score": thread.answer_score,
            "tags": list(thread.tags),
            "updated_at": stamp(thread.updated_at),
        },
    )


def _batches(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), ENTITY_BATCH):
        yield ordered[start : start + ENTITY_BATCH]


def load_documents(session: Session, entities: dict[str, set[int]]) -> list[IndexedDocument]:
    """Current documents of the given entities (``{"article": {1, 2}, "thread": {7}}``); an
    entity that yields nothing is no longer searchable."""
    documents: list[IndexedDocument] = []
    for batch in _batches(entities.get(ARTICLE_ENTITY, ())):
        documents.extend(article_document(doc) for doc in iter_indexable_documents(session, batch))
    for batch in _batches(entities.get(THREAD_ENTITY, ())):
        documents.extend(thread_document(thread) for thread in iter_indexable_threads(session, batch))
    return documents


def indexable_state(session: Session) -> dict[str, str]:
    """doc id -> updated_at of everything the index should hold, read without bodies.

    Mirrors the filters of ``iter_indexable_documents`` and ``iter_indexable_threads`` (a test
    checks that they agree); a drift only costs re-reading the entities that differ.
    """
    state: dict[str, str] = {}
    article_rows = session.execute(
        select(Article.id, ArticleContent.locale, Article.updated_at, ArticleContent.updated_at)
        .join(ArticleContent, ArticleContent.article_id == Article.id)
        .where(Article.status == ArticleStatus.PUBLISHED, ArticleContent.status == ArticleStatus.PUBLISHED)
    )
    for article_id, locale, article_updated, content_updated in article_rows:
        state[f"{ARTICLE_ENTITY}:{article_id}:{locale}"] = stamp(max(article_updated, content_updated))
    thread_rows = session.execute(
        select(ForumThread.id, ForumThread.language, ForumThread.updated_at).where(
            ForumThread.status == PostStatus.PUBLISHED
        )
    )
    for thread_id, language, updated in thread_rows:
        state[thread_doc_id(thread_id, language)] = stamp(updated)
    return state


def entities_of(doc_ids: Iterable[str]) -> dict[str, set[int]]:
    """``{"article": {12}, ...}`` for a set of doc ids (unknown entity types are skipped)."""
    entities: dict[str, set[int]] = {}
    for doc_id in doc_ids:
        parsed = parse_entity_key(entity_key(doc_id))
        if parsed is not None and parsed[0] in ENTITY_TYPES:
            entities.setdefault(parsed[0], set()).add(parsed[1])
    return entities
