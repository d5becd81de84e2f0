"""Knowledge insights for admins, each over a date range: top searches, content gaps (searches with no
confident answer, grouped by similar wording), article helpfulness, the contact-form deflection
funnel, the self-resolution rate of the articles offered on intake (by language and by article),
and how often agents insert each suggested article.

Every figure is counted from rows (search log, feedback votes, funnel events, intake suggestions,
suggestion events); nothing here writes. Grouping "similar wording" is two passes: the search log's
normalised text (case, punctuation and spacing folded) groups exact rewordings in SQL; then groups
whose words or letters overlap strongly, or whose embeddings are close (when an embedding function
is given, e.g. the search engine's own), are merged, so that "reset password", "password reset?"
and "resetting my password" are one gap.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import and_, case, distinct, exists, func, select
from sqlalchemy.orm import Session, aliased

from aftercare.errors import ValidationFailed
from kb.feedback.models import ArticleFeedback, DeflectionEvent, FunnelEvent, IntakeSuggestion
from kb.models import Article, ArticleContent
from kb.search.models import SearchLog, SearchSource, SuggestionEvent, SuggestionEventKind, TicketSuggestion

DEFAULT_DAYS = 30
MAX_DAYS = 731
# Searches customers type themselves. Not the contact form's (a whole message each time, measured by
# the deflection funnel instead), agents' searches, nor suggestions computed for tickets.
SELF_SERVICE_SOURCES = (SearchSource.PORTAL, SearchSource.API)
# Content gaps: how many distinct wordings are clustered at most (the most frequent first).
MAX_GAP_WORDINGS = 500
WORD_SIMILARITY = 0.6
TRIGRAM_SIMILARITY = 0.55
EMBEDDING_SIMILARITY = 0.9
MAX_REASONS = 3

EmbedFunction = Callable[[list[str]], np.ndarray]
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class DateRange:
    """Whole days, both ends included, in UTC."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def default_range(today: date | None = None, days: int = DEFAULT_DAYS) -> DateRange:
    today = today or datetime.now(UTC).date()
    return DateRange(today - timedelta(days=days - 1), today)


def parse_range(start: str | None, end: str | None, *, today: date | None = None) -> DateRange:
    """A range from ``YYYY-MM-DD`` strings; a missing end is today, a missing start 30 days before it."""
    today = today or datetime.now(UTC).date()
    try:
        end_day = date.fromisoformat(end) if end else today
        start_day = date.fromisoformat(start) if start else end_day - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError as error:
        raise ValidationFailed("dates must look like 2026-01-31") from error
    if start_day > end_day:
        raise ValidationFailed("the start date is after the end date")
    if (end_day - start_day).days + 1 > MAX_DAYS:
        raise ValidationFailed(f"a range can cover at most {MAX_DAYS} days")
    return DateRange(start_day, end_day)


# ---- searches ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopSearch:
    wording: str  # the most common spelling customers typed
    normalized: str
    searches: int
    answered: int
    languages: tuple[str, ...]

    @property
    def answered_rate(self) -> float:
        return self.answered / self.searches if self.searches else 0.0


def _search_window(period: DateRange, sources: Sequence[SearchSource]):
    return and_(
        SearchLog.created_at >= period.since,
        SearchLog.created_at < period.until,
        SearchLog.source.in_([str(source) for source in sources]),
    )


def _wordings(session: Session, normalized: Sequence[str], where) -> dict[str, list[tuple[str, int]]]:
    """For each normalised text, the spellings typed and how often (most common first)."""
    if not normalized:
        return {}
    rows = session.execute(
        select(SearchLog.normalized_query, SearchLog.query, func.count())
        .where(where, SearchLog.normalized_query.in_(list(normalized)))
        .group_by(SearchLog.normalized_query, SearchLog.query)
    )
    found: dict[str, list[tuple[str, int]]] = {}
    for key, query, count in rows:
        found.setdefault(key, []).append((query, count))
    for spellings in found.values():
        spellings.sort(key=lambda item: (-item[1], item[0]))
    return found


def _languages(session: Session, normalized: Sequence[str], where) -> dict[str, tuple[str, ...]]:
    if not normalized:
        return {}
    rows = session.execute(
        select(SearchLog.normalized_query, SearchLog.query_language)
        .where(where, SearchLog.normalized_query.in_(list(normalized)))
        .distinct()
    )
    found: dict[str, set[str]] = {}
    for key, language in rows:
        found.setdefault(key, set()).add(language)
    return {key: tuple(sorted(values)) for key, values in found.items()}


def top_searches(
    session: Session, period: DateRange, *, limit: int = 20, sources: Sequence[SearchSource] = SELF_SERVICE_SOURCES
) -> list[TopSearch]:
    where = _search_window(period, sources)
    answered = func.sum(case((SearchLog.answered.is_(True), 1), else_=0))
    rows = session.execute(
        select(SearchLog.normalized_query, func.count(), answered)
        .where(where, SearchLog.normalized_query != "")
        .group_by(SearchLog.normalized_query)
        .order_by(func.count().desc(), SearchLog.normalized_query)
        .limit(limit)
    ).all()
    keys = [row[0] for row in rows]
    spellings = _wordings(session, keys, where)
    languages = _languages(session, keys, where)
    return [
        TopSearch(
            wording=spellings.get(key, [(key, 0)])[0][0],
            normalized=key,
            searches=count,
            answered=int(answered_count or 0),
            languages=languages.get(key, ()),
        )
        for key, count, answered_count in rows
    ]


# ---- content gaps --------------------------------------------------------------------------


@dataclass
class ContentGap:
    """Searches with no confident answer that ask for the same thing in different words."""

    wording: str  # the most frequent spelling of the largest group
    searches: int = 0
    wordings: list[tuple[str, int]] = field(default_factory=list)
    languages: set[str] = field(default_factory=set)
    last_seen: datetime | None = None


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text))


def _trigrams(text: str) -> set[str]:
    # Letters without spaces: works for Thai (no spaces between words) and for typos elsewhere.
    compact = "".join(_WORD.findall(text))
    return {compact[i : i + 3] for i in range(max(0, len(compact) - 2))} or {compact}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def group_wordings(
    counted: Sequence[tuple[str, int]],
    *,
    embed: EmbedFunction | None = None,
    threshold: float = EMBEDDING_SIMILARITY,
) -> list[list[int]]:
    """Cluster texts; returns lists of indexes into ``counted``, each list in the given order.

    Single link: two texts that resemble each other end up together, and so do their groups
    ("how to reset my password" ~ "reset my password" ~ "password reset").
    """
    size = len(counted)
    parent = list(range(size))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    words = [_words(text) for text, _ in counted]
    trigrams = [_trigrams(text) for text, _ in counted]
    close = None
    if embed is not None and size:
        vectors = np.asarray(embed([text for text, _ in counted]), dtype=np.float32)
        close = (vectors @ vectors.T) >= threshold
    for i in range(size):
        for j in range(i + 1, size):
            if root(i) == root(j):
                continue
            if (
                _jaccard(words[i], words[j]) >= WORD_SIMILARITY
                or _jaccard(trigrams[i], trigrams[j]) >= TRIGRAM_SIMILARITY
                or (close is not None and close[i, j])
            ):
                parent[root(j)] = root(i)
    clusters: dict[int, list[int]] = {}
    for index in range(size):
        clusters.setdefault(root(index), []).append(index)
    return list(clusters.values())


def content_gaps(
    session: Session,
    period: DateRange,
    *,
    limit: int = 20,
    embed: EmbedFunction | None = None,
    sources: Sequence[SearchSource] = SELF_SERVICE_SOURCES,
) -> list[ContentGap]:
    where = and_(_search_window(period, sources), SearchLog.answered.is_(False), SearchLog.normalized_query != "")
    rows = session.execute(
        select(SearchLog.normalized_query, func.count(), func.max(SearchLog.created_at))
        .where(where)
        .group_by(SearchLog.normalized_query)
        .order_by(func.count().desc(), SearchLog.normalized_query)
        .limit(MAX_GAP_WORDINGS)
    ).all()
    counted = [(key, count) for key, count, _ in rows]
    last_seen = {key: seen for key, _, seen in rows}
    keys = [key for key, _ in counted]
    spellings = _wordings(session, keys, where)
    languages = _languages(session, keys, where)
    gaps: list[ContentGap] = []
    for cluster in group_wordings(counted, embed=embed):
        members = [counted[index] for index in cluster]
        gap = ContentGap(wording=spellings.get(members[0][0], [(members[0][0], 0)])[0][0])
        for key, count in members:
            gap.searches += count
            gap.wordings.extend(spellings.get(key, [(key, count)]))
            gap.languages.update(languages.get(key, ()))
            seen = last_seen.get(key)
            if seen is not None and (gap.last_seen is None or seen > gap.last_seen):
                gap.last_seen = seen
        gap.wordings.sort(key=lambda item: (-item[1], item[0]))
        gaps.append(gap)
    gaps.sort(key=lambda gap: (-gap.searches, gap.wording))
    return gaps[:limit]


# ---- article helpfulness -------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleHelpfulness:
    article_id: int
    title: str | None  # None: the article was deleted since
    slug: str | None
    helpful: int
    not_helpful: int
    reasons: tuple[str, ...]

    @property
    def votes(self) -> int:
        return self.helpful + self.not_helpful

    @property
    def helpful_rate(self) -> float:
        return self.helpful / self.votes if self.votes else 0.0


def _titles(session: Session, article_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """article id -> (slug, title in the source locale) for the articles that still exist."""
    if not article_ids:
        return {}
    rows = session.execute(
        select(Article.id, Article.slug, ArticleContent.title)
        .join(
            ArticleContent,
            and_(ArticleContent.article_id == Article.id, ArticleContent.locale == Article.source_locale),
        )
        .where(Article.id.in_(list(article_ids)))
    )
    return {article_id: (slug, title) for article_id, slug, title in rows}


def article_helpfulness(session: Session, period: DateRange, *, limit: int = 20) -> list[ArticleHelpfulness]:
    """Articles with votes in the range, the least helpful first (they need work most)."""
    in_range = and_(ArticleFeedback.updated_at >= period.since, ArticleFeedback.updated_at < period.until)
    yes = func.sum(case((ArticleFeedback.helpful.is_(True), 1), else_=0))
    votes = func.count()
    rows = session.execute(
        select(ArticleFeedback.article_id, yes, votes)
        .where(in_range)
        .group_by(ArticleFeedback.article_id)
        .order_by((func.coalesce(yes, 0) * 1.0 / votes).asc(), votes.desc(), ArticleFeedback.article_id)
        .limit(limit)
    ).all()
    ids = [row[0] for row in rows]
    titles = _titles(session, ids)
    reasons: dict[int, list[str]] = {}
    if ids:
        for article_id, reason in session.execute(
            select(ArticleFeedback.article_id, ArticleFeedback.reason)
            .where(in_range, ArticleFeedback.article_id.in_(ids), ArticleFeedback.reason.is_not(None))
            .order_by(ArticleFeedback.updated_at.desc())
        ):
            if len(reasons.setdefault(article_id, [])) < MAX_REASONS:
                reasons[article_id].append(reason)
    return [
        ArticleHelpfulness(
            article_id=article_id,
            title=titles.get(article_id, (None, None))[1],
            slug=titles.get(article_id, (None, None))[0],
            helpful=int(helpful or 0),
            not_helpful=int(total) - int(helpful or 0),
            reasons=tuple(reasons.get(article_id, ())),
        )
        for article_id, helpful, total in rows
    ]


# ---- deflection funnel ---------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelStage:
    stage: FunnelEvent
    attempts: int


@dataclass(frozen=True)
class DeflectionFunnel:
    attempts: int  # contact attempts that started in the range
    stages: tuple[FunnelStage, ...]

    def count(self, stage: FunnelEvent) -> int:
        return next((one.attempts for one in self.stages if one.stage == stage), 0)

    @property
    def deflection_rate(self) -> float:
        """Of the attempts that were shown suggestions, the share that ended without a ticket after reading."""
        shown = self.count(FunnelEvent.SUGGESTIONS_SHOWN)
        return self.count(FunnelEvent.DEFLECTED) / shown if shown else 0.0


def deflection_funnel(session: Session, period: DateRange) -> DeflectionFunnel:
    """Distinct attempts reaching each stage; an attempt belongs to the day it started."""
    started = (
        select(DeflectionEvent.attempt_id)
        .group_by(DeflectionEvent.attempt_id)
        .having(
            and_(
                func.min(DeflectionEvent.created_at) >= period.since,
                func.min(DeflectionEvent.created_at) < period.until,
            )
        )
    ).subquery()
    attempts = session.scalar(select(func.count()).select_from(started)) or 0
    counts = dict(
        session.execute(
            select(DeflectionEvent.event, func.count(distinct(DeflectionEvent.attempt_id)))
            .where(DeflectionEvent.attempt_id.in_(select(started.c.attempt_id)))
            .group_by(DeflectionEvent.event)
        ).all()
    )
    opened = aliased(DeflectionEvent)
    submitted = aliased(DeflectionEvent)
    deflected = (
        session.scalar(
            select(func.count(distinct(opened.attempt_id))).where(
                opened.attempt_id.in_(select(started.c.attempt_id)),
                opened.event == FunnelEvent.ARTICLE_OPENED,
                ~exists().where(
                    submitted.attempt_id == opened.attempt_id, submitted.event == FunnelEvent.TICKET_SUBMITTED
                ),
            )
        )
        or 0
    )
    counts[FunnelEvent.DEFLECTED] = deflected
    stages = tuple(FunnelStage(stage, int(counts.get(stage, 0))) for stage in FunnelEvent)
    return DeflectionFunnel(attempts=attempts, stages=stages)


# ---- suggestion insertion rate -------------------------------------------------------------


@dataclass(frozen=True)
class SuggestionUse:
    article_id: int
    title: str | None
    slug: str | None
    shown: int
    inserted: int
    sent: int

    @property
    def insertion_rate(self) -> float:
        return self.inserted / self.shown if self.shown else 0.0


def suggestion_insertions(session: Session, period: DateRange, *, limit: int = 20) -> list[SuggestionUse]:
    """Per suggested article: suggestions shown to agents, inserted into a reply, sent still containing it.

    Counts distinct suggestions (an agent inserting the same one twice is one insertion).
    """

    def counted(kind: SuggestionEventKind):
        return func.count(distinct(SuggestionEvent.ticket_suggestion_id)).filter(SuggestionEvent.event == kind)

    rows = session.execute(
        select(
            TicketSuggestion.article_id,
            counted(SuggestionEventKind.SHOWN),
            counted(SuggestionEventKind.INSERTED),
            counted(SuggestionEventKind.SENT_WITH),
        )
        .join(SuggestionEvent, SuggestionEvent.ticket_suggestion_id == TicketSuggestion.id)
        .where(
            SuggestionEvent.created_at >= period.since,
            SuggestionEvent.created_at < period.until,
            TicketSuggestion.article_id.is_not(None),
        )
        .group_by(TicketSuggestion.article_id)
        .order_by(counted(SuggestionEventKind.SHOWN).desc(), TicketSuggestion.article_id)
        .limit(limit)
    ).all()
    titles = _titles(session, [row[0] for row in rows])
    return [
        SuggestionUse(
            article_id=article_id,
            title=titles.get(article_id, (None, None))[1],
            slug=titles.get(article_id, (None, None))[0],
            shown=int(shown),
            inserted=int(inserted),
            sent=int(sent),
        )
        for article_id, shown, inserted, sent in rows
    ]


# ---- self-resolution ("This solved it" on the articles offered on intake) --------------------


@dataclass(frozen=True)
class SelfResolutionRow:
    """Tickets offered articles, and how many of them the customer closed with one ("This solved it")."""

    offered: int
    solved: int

    @property
    def rate(self) -> float:
        return self.solved / self.offered if self.offered else 0.0


@dataclass(frozen=True)
class ArticleSelfResolution(SelfResolutionRow):
    article_id: int = 0
    title: str | None = None  # None: the article was deleted since
    slug: str | None = None


@dataclass(frozen=True)
class LanguageSelfResolution(SelfResolutionRow):
    language: str = ""


@dataclass(frozen=True)
class SelfResolution:
    total: SelfResolutionRow
    by_language: tuple[LanguageSelfResolution, ...]
    by_article: tuple[ArticleSelfResolution, ...]


def self_resolution(session: Session, period: DateRange, *, limit: int = 20) -> SelfResolution:
    """Self-resolution rate: tickets solved by "This solved it" / tickets offered articles.

    A ticket belongs to the day its articles were offered (as a contact attempt belongs to the
    day it started), so a rate does not change meaning when the customer answers days later. By
    article, the denominator is the tickets that were offered that article; the most offered first.
    """
    in_range = and_(IntakeSuggestion.created_at >= period.since, IntakeSuggestion.created_at < period.until)
    solved_ticket = case((IntakeSuggestion.solved_at.is_not(None), IntakeSuggestion.ticket_id))
    offered_tickets = func.count(distinct(IntakeSuggestion.ticket_id))
    solved_tickets = func.count(distinct(solved_ticket))
    offered, solved = session.execute(select(offered_tickets, solved_tickets).where(in_range)).one()
    languages = session.execute(
        select(IntakeSuggestion.language, offered_tickets, solved_tickets)
        .where(in_range)
        .group_by(IntakeSuggestion.language)
        .order_by(offered_tickets.desc(), IntakeSuggestion.language)
    ).all()
    articles = session.execute(
        select(IntakeSuggestion.article_id, offered_tickets, solved_tickets)
        .where(in_range)
        .group_by(IntakeSuggestion.article_id)
        .order_by(offered_tickets.desc(), IntakeSuggestion.article_id)
        .limit(limit)
    ).all()
    titles = _titles(session, [row[0] for row in articles])
    return SelfResolution(
        total=SelfResolutionRow(offered=int(offered or 0), solved=int(solved or 0)),
        by_language=tuple(
            LanguageSelfResolution(offered=int(count), solved=int(done), language=language)
            for language, count, done in languages
        ),
        by_article=tuple(
            ArticleSelfResolution(
                offered=int(count),
                solved=int(done),
                article_id=article_id,
                title=titles.get(article_id, (None, None))[1],
                slug=titles.get(article_id, (None, None))[0],
            )
            for article_id, count, done in articles
        ),
    )
