"""Knowledge insights as JSON for admins: the self-resolution rate of the articles offered on intake.

``GET /api/v1/reports/self-resolution?from=YYYY-MM-DD&to=YYYY-MM-DD`` gives the figures of the
insights page's section (``kb.feedback.insights.self_resolution``): overall, by ticket language and
by article, over whole UTC days (a missing end is today, a missing start 30 days before it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kb.feedback import insights
from kb.feedback.schemas import (
    ArticleSelfResolutionRead,
    LanguageSelfResolutionRead,
    SelfResolutionFigures,
    SelfResolutionReport,
)
from web.deps import AdminPrincipal, DbSession

router = APIRouter(prefix="/api/v1", tags=["insights"])
DATE_CHARS = 10


@router.get("/reports/self-resolution", response_model=SelfResolutionReport)
def self_resolution_report(
    session: DbSession,
    principal: AdminPrincipal,
    start: Annotated[str, Query(alias="from", max_length=DATE_CHARS, description="First day, e.g. 2026-01-01.")] = "",
    end: Annotated[str, Query(alias="to", max_length=DATE_CHARS, description="Last day (included).")] = "",
) -> SelfResolutionReport:
    period = insights.parse_range(start or None, end or None)
    figures = insights.self_resolution(session, period)
    return SelfResolutionReport(
        start=period.start,
        end=period.end,
        total=SelfResolutionFigures(
            offered=figures.total.offered, solved=figures.total.solved, rate=figures.total.rate
        ),
        by_language=[
            LanguageSelfResolutionRead(language=row.language, offered=row.offered, solved=row.solved, rate=row.rate)
            for row in figures.by_language
        ],
        by_article=[
            ArticleSelfResolutionRead(
                article_id=row.article_id,
                title=row.title,
                slug=row.slug,
                offered=row.offered,
                solved=row.solved,
                rate=row.rate,
            )
            for row in figures.by_article
        ],
    )
