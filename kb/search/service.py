"""The one search: portal box, contact-form deflection, agents' suggestions, the forum and the API.

``search(session, query, ...)`` detects the query's language (an explicit ``language`` wins; the
customer's known language is the fallback for text too short to tell), asks the engine for more
candidates than wanted, keeps the requested types, checks every candidate against the database
(an unpublished article, a hidden thread or a removed translation is dropped at once, before the
index has caught up; a changed thread only shows text that is visible now), keeps one result per
article or thread, and logs the search in ``search_logs`` within the caller's transaction.

Ranking entities, not versions, and their confidence are ``retrieval.ranking.rank_entities``: a
score comparable across languages, the version shown in the preferred language when close enough,
and confidence from the engine's calibration for the route and the language pair, on the entity's
score and its margin over the next *entity* (not over its own translation, which would make the
clearest answers look doubtful). ``answered`` is that rule on the first result: its confidence
reaches its calibration's threshold. This module keeps the database check, presentation and logging.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftercare.config import get_settings
from aftercare.errors import ValidationFailed
from kb.forum.indexing import iter_indexable_threads
from kb.forum.models import ForumThread, PostStatus
from kb.search.documents import stamp
from kb.search.keeper import IndexKeeper, active_keeper
from kb.search.models import ResultType, SearchLog, SearchSource
from kb.service import article_path, published_versions
from retrieval.engine import SearchResult
from retrieval.language import LanguageSource, detect_language, normalize_language_tag
from retrieval.lexical import find_term_spans, tokenize
from retrieval.ranking import LOCALE_MARGIN, RankedEntity, rank_entities

MAX_QUERY_CHARS = 500
MAX_LIMIT = 50
DEFAULT_TYPES: tuple[str, ...] = (ResultType.ARTICLE.value, ResultType.THREAD.value)
# Candidates asked of the engine per result wanted: room for other locales of the same article,
# the other type, anything the database check drops, and enough articles with two versions to
# measure a language's pull (rank_entities): on the demo's customer texts fewer than 40 cost right
# answers (``python bench/bench_always_shown.py`` counts the answering article shown). The engine's
# time grows with it, mostly in its per-candidate Python loops (``python bench/bench_search.py``
# times the engine without the embedding).
CANDIDATE_FACTOR = 8
MIN_CANDIDATES = 40
SNIPPET_CHARS = 320


@dataclass
class SearchHit:
    type: str  # "article" | "thread"
    id: int
    slug: str | None
    title: str
    locale: str
    snippet: str
    # Normalised query terms found in the snippet, and their [start, end) character spans in it:
    # a page escapes the snippet and wraps those spans, never trusting markup from the index.
    highlights: list[str]
    highlight_spans: list[tuple[int, int]]
    score: float
    confidence: float
    url: str
    article_id: int | None = None
    thread_id: int | None = None
    # Threads: whether the indexed form carries an answer (accepted or well voted).
    has_answer: bool | None = None


@dataclass
class SearchOutcome:
    query: str
    query_language: str
    language_source: str
    answered: bool
    results: list[SearchHit]
    index_version: int
    elapsed_ms: float
    log_id: int | None = None
    route: str = ""
    types: tuple[str, ...] = field(default_factory=lambda: DEFAULT_TYPES)


# ---- input ----------------------------------------------------------------------------------
def parse_types(types: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"article,thread"`` or a sequence -> validated tuple; empty or unknown -> ValidationFailed."""
    if types is None:
        return DEFAULT_TYPES
    parts = types.split(",") if isinstance(types, str) else list(types)
    wanted = tuple(dict.fromkeys(str(part).strip().lower() for part in parts if str(part).strip()))
    unknown = [part for part in wanted if part not in DEFAULT_TYPES]
    if unknown or not wanted:
        raise ValidationFailed(
            f"unknown result type {', '.join(unknown) or '(none)'}; expected some of: {', '.join(DEFAULT_TYPES)}"
        )
    return wanted


def resolve_language(tag: str | None) -> str | None:
    """A supported language code for ``tag`` ("pl-PL" -> "pl"), None for none; unsupported -> ValidationFailed."""
    if tag is None or not str(tag).strip():
        return None
    languages = get_settings().languages
    code = normalize_language_tag(str(tag).strip())
    if code is None or code not in languages:
        raise ValidationFailed(f"language {tag!r} is not supported here; supported: {', '.join(languages)}")
    return code


_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")


def normalize_query(text: str) -> str:
    """Case-folded, single-spaced, without leading/trailing punctuation (groups repeats for insights)."""
    folded = " ".join(text.casefold().split())
    return _EDGE_PUNCTUATION.sub("", folded)[:MAX_QUERY_CHARS]


def compose_query(*parts: str | None) -> str:
    """Text for a search from longer pieces (a ticket's subject and message, a forum draft's title
    and body): spaces collapsed, cut at a word boundary to what a search accepts."""
    text = " ".join(" ".join(part.split()) for part in parts if part and part.strip())
    if len(text) <= MAX_QUERY_CHARS:
        return text
    cut = text.rfind(" ", 0, MAX_QUERY_CHARS + 1)
    return text[: cut if cut > MAX_QUERY_CHARS // 2 else MAX_QUERY_CHARS]


def _clean_query(query: str) -> str:
    text = " ".join((query or "").split())
    if not text:
        raise ValidationFailed("the search query is empty")
    if len(text) > MAX_QUERY_CHARS:
        raise ValidationFailed(f"the search query is longer than {MAX_QUERY_CHARS} characters")
    return text


# ---- the search -----------------------------------------------------------------------------
def search(
    session: Session,
    query: str,
    *,
    language: str | None = None,
    limit: int = 5,
    types: str | Iterable[str] | None = DEFAULT_TYPES,
    source: SearchSource = SearchSource.API,
    customer_language: str | None = None,
    keeper: IndexKeeper | None = None,
    log: bool = True,
) -> SearchOutcome:
    """Articles and forum threads answering ``query``, best first (see the module docstring)."""
    started = time.perf_counter()
    settings = get_settings()
    text = _clean_query(query)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}")
    wanted_types = parse_types(types)
    given = resolve_language(language)
    if given is not None:
        query_language, language_source = given, LanguageSource.GIVEN
    else:
        guess = detect_language(
            text, allowed=settings.languages, default=settings.default_language, known=customer_language
        )
        query_language, language_source = guess.language, guess.source

    keeper = keeper or active_keeper()
    keeper.ensure_current(session)
    engine = keeper.engine
    response = engine.search(text, query_language=query_language, limit=max(MIN_CANDIDATES, CANDIDATE_FACTOR * limit))

    candidates = [result for result in response.results if result.kind in wanted_types]
    checked = _check_against_database(session, candidates)
    fresh_by_doc = {result.doc_id: fresh for result, fresh in checked}
    ranked: list[RankedEntity[SearchResult]] = rank_entities(
        [result for result, _ in checked],
        given or query_language,
        config=engine.fusion,
        route=response.route,
        mode=response.mode,
        query_language=query_language,
        locale_margin=LOCALE_MARGIN,
        fallback_locales=(settings.default_language,),
    )
    hits = [
        _hit(entity.shown, fresh_by_doc[entity.shown.doc_id], text, entity.score, entity.confidence)
        for entity in ranked[:limit]
    ]
    answered = bool(ranked) and ranked[0].confident

    outcome = SearchOutcome(
        query=text,
        query_language=query_language,
        language_source=str(language_source),
        answered=answered,
        results=hits,
        index_version=keeper.applied_change_id,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        route=response.route,
        types=wanted_types,
    )
    if log:
        outcome.log_id = log_search(session, outcome, source)
    return outcome


def log_search(session: Session, outcome: SearchOutcome, source: SearchSource) -> int:
    top = outcome.results[0] if outcome.results else None
    row = SearchLog(
        query=outcome.query[:MAX_QUERY_CHARS],
        normalized_query=normalize_query(outcome.query),
        query_language=outcome.query_language,
        answered=outcome.answered,
        results_count=len(outcome.results),
        top_result_type=ResultType(top.type) if top else None,
        top_result_id=top.id if top else None,
        top_confidence=round(top.confidence, 4) if top else None,
        source=SearchSource(source),
    )
    session.add(row)
    session.flush()
    return row.id


# ---- database check -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Fresh:
    """What the database says about a candidate right now."""

    title: str
    slug: str | None = None
    source_locale: str | None = None
    # Set when the indexed thread is older than the database's: texts that may still be shown.
    visible_texts: tuple[str, ...] | None = None
    has_answer: bool | None = None


def _check_against_database(session: Session, candidates: Sequence[SearchResult]) -> list[tuple[SearchResult, _Fresh]]:
    """Candidates still published (in that locale), with their current titles; order kept."""
    article_ids = {int(result.extra["article_id"]) for result in candidates if result.kind == ResultType.ARTICLE}
    thread_ids = {int(result.extra["thread_id"]) for result in candidates if result.kind == ResultType.THREAD}
    articles = {
        key: _Fresh(title=version.title, slug=version.slug, source_locale=version.source_locale)
        for key, version in published_versions(session, article_ids).items()
    }
    threads: dict[int, tuple[str, str]] = {}
    if thread_ids:
        rows = session.execute(
            select(ForumThread.id, ForumThread.title, ForumThread.updated_at).where(
                ForumThread.id.in_(thread_ids), ForumThread.status == PostStatus.PUBLISHED
            )
        )
        threads = {thread_id: (title, stamp(updated)) for thread_id, title, updated in rows}
    stale_threads = [
        thread_id
        for thread_id, (_, updated) in threads.items()
        if any(
            r.kind == ResultType.THREAD and r.extra["thread_id"] == thread_id and r.extra.get("updated_at") != updated
            for r in candidates
        )
    ]
    # A thread changed since it was indexed (a reply hidden, an answer accepted): only text that
    # is visible now may be shown, so read its current form.
    current = (
        {record.thread_id: record for record in iter_indexable_threads(session, stale_threads)} if stale_threads else {}
    )

    checked: list[tuple[SearchResult, _Fresh]] = []
    for result in candidates:
        if result.kind == ResultType.ARTICLE:
            fresh = articles.get((int(result.extra["article_id"]), result.locale))
        else:
            thread_id = int(result.extra["thread_id"])
            if thread_id not in threads:
                continue
            record = current.get(thread_id)
            if thread_id in stale_threads and record is None:
                continue
            fresh = _Fresh(
                title=threads[thread_id][0],
                visible_texts=(record.title, record.question_body, record.answer_body or "") if record else None,
                has_answer=(record.answer_body is not None) if record else bool(result.extra.get("answered")),
            )
        if fresh is not None:
            checked.append((result, fresh))
    return checked


# ---- presentation ---------------------------------------------------------------------------
def _hit(result: SearchResult, fresh: _Fresh, query: str, score: float, confidence: float) -> SearchHit:
    snippet, terms = result.snippet, list(result.matched_terms)
    if fresh.visible_texts is not None and not any(snippet in text for text in fresh.visible_texts):
        snippet = next((text for text in reversed(fresh.visible_texts) if text.strip()), fresh.title)
        query_terms = set(tokenize(query))
        terms = [term for term in dict.fromkeys(tokenize(snippet)) if term in query_terms]
    snippet, spans = excerpt(snippet, terms)
    if result.kind == ResultType.ARTICLE:
        article_id = int(result.extra["article_id"])
        url = article_path(fresh.slug, result.locale, fresh.source_locale)
        return SearchHit(
            type=ResultType.ARTICLE.value,
            id=article_id,
            article_id=article_id,
            slug=fresh.slug,
            title=fresh.title,
            locale=result.locale,
            snippet=snippet,
            highlights=terms,
            highlight_spans=spans,
            score=round(score, 4),
            confidence=round(confidence, 4),
            url=url,
        )
    thread_id = int(result.extra["thread_id"])
    return SearchHit(
        type=ResultType.THREAD.value,
        id=thread_id,
        thread_id=thread_id,
        slug=None,
        title=fresh.title,
        locale=result.locale,
        snippet=snippet,
        highlights=terms,
        highlight_spans=spans,
        score=round(score, 4),
        confidence=round(confidence, 4),
        url=f"/forum/t/{thread_id}",
        has_answer=fresh.has_answer,
    )


def excerpt(text: str, terms: Sequence[str], max_chars: int = SNIPPET_CHARS) -> tuple[str, list[tuple[int, int]]]:
    """At most ``max_chars`` of ``text`` around the first matched term, with the terms' spans in it."""
    text = " ".join(text.split())
    spans = find_term_spans(text, terms) if terms else []
    if len(text) <= max_chars:
        return text, spans
    first = spans[0][0] if spans else 0
    start = max(0, first - max_chars // 4)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + max_chars)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + max_chars // 2 else end
    prefix, suffix = ("… " if start else ""), (" …" if end < len(text) else "")
    shift = len(prefix) - start
    inside = [(a + shift, b + shift) for a, b in spans if a >= start and b <= end]
    return f"{prefix}{text[start:end]}{suffix}", inside
