"""Knowledge insights for admins: each section a table and a chart, each with its own date range.

``/admin/insights`` shows every section; ``/admin/insights/<section>?from=&to=`` changes one
section's range (htmx swaps that section; without JavaScript the whole page comes back with it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftercare.errors import NotFound, ValidationFailed
from kb.feedback import insights
from kb.feedback.models import FunnelEvent
from web import i18n
from web.charts import bar_chart
from web.deps import DbSession, PageAdmin
from web.i18n import N_
from web.templating import is_htmx, render

router = APIRouter()

SECTIONS = ("searches", "gaps", "helpfulness", "funnel", "self_resolution", "suggestions")
CHART_ITEMS = 10
FUNNEL_LABELS = {
    FunnelEvent.SUGGESTIONS_SHOWN: N_("Shown suggestions"),
    FunnelEvent.ARTICLE_OPENED: N_("Opened an article"),
    FunnelEvent.DEFLECTED: N_("Left without a ticket"),
    FunnelEvent.DEFLECTION_CONFIRMED: N_("Said it solved it"),
    FunnelEvent.TICKET_SUBMITTED: N_("Sent a ticket anyway"),
}


def _gap_embedder() -> Callable[[list[str]], np.ndarray] | None:
    """The search engine's multilingual embedding, when this process has it loaded already.

    Loading a model for a report page is not worth seconds of waiting; without it, wordings are
    grouped by shared words and letters only.
    """
    from kb.search.keeper import active_keeper

    keeper = active_keeper()
    if not keeper.is_open:
        return None
    embedder = keeper.embedder
    route = getattr(embedder, "multilingual_route", None)

    def embed(texts: list[str]) -> np.ndarray:
        # One vector space for every language (a hybrid embedder routes English elsewhere).
        if route is not None:
            return embedder.embed_queries(texts, routes=[route] * len(texts))
        return embedder.embed_queries(texts)

    return embed


def _language_label(code: str, reader_language: str) -> str:
    """A language named in the reader's language, as the tables beside the charts name it."""
    try:
        return i18n.babel_locale(code).get_display_name(i18n.babel_locale(reader_language)) or code
    except (ValueError, TypeError, LookupError):
        return code


def _section_data(
    session: Session,
    name: str,
    period: insights.DateRange,
    gettext: Callable[[str], str],
    reader_language: str = "en",
) -> dict[str, Any]:
    if name == "searches":
        rows = insights.top_searches(session, period)
        chart = bar_chart(
            gettext("Top searches"),
            [row.wording for row in rows[:CHART_ITEMS]],
            [row.searches for row in rows[:CHART_ITEMS]],
            label_heading=gettext("Search"),
            value_heading=gettext("Searches"),
        )
    elif name == "gaps":
        rows = insights.content_gaps(session, period, embed=_gap_embedder())
        chart = bar_chart(
            gettext("Searches without a confident answer"),
            [row.wording for row in rows[:CHART_ITEMS]],
            [row.searches for row in rows[:CHART_ITEMS]],
            label_heading=gettext("Search"),
            value_heading=gettext("Searches"),
        )
    elif name == "helpfulness":
        rows = insights.article_helpfulness(session, period)
        chart = bar_chart(
            gettext("Helpful answers per article"),
            [row.title or f"#{row.article_id}" for row in rows[:CHART_ITEMS]],
            [round(row.helpful_rate * 100) for row in rows[:CHART_ITEMS]],
            y_min=0,
            y_max=100,
            unit="%",
            label_heading=gettext("Article"),
            value_heading=gettext("Helpful"),
        )
    elif name == "funnel":
        funnel = insights.deflection_funnel(session, period)
        rows = funnel
        chart = bar_chart(
            gettext("Contact attempts by stage"),
            [gettext(FUNNEL_LABELS[s.stage]) for s in funnel.stages],
            [s.attempts for s in funnel.stages],
            label_heading=gettext("Stage"),
            value_heading=gettext("Attempts"),
        )
    elif name == "self_resolution":
        rows = insights.self_resolution(session, period)
        languages = rows.by_language
        chart = bar_chart(
            gettext("Tickets solved by a suggested article, by language"),
            [_language_label(row.language, reader_language) for row in languages[:CHART_ITEMS]],
            [round(row.rate * 100) for row in languages[:CHART_ITEMS]],
            y_min=0,
            y_max=100,
            unit="%",
            label_heading=gettext("Language"),
            value_heading=gettext("Self-resolution rate"),
        )
    else:
        rows = insights.suggestion_insertions(session, period)
        chart = bar_chart(
            gettext("Suggestions inserted by agents"),
            [row.title or f"#{row.article_id}" for row in rows[:CHART_ITEMS]],
            [round(row.insertion_rate * 100) for row in rows[:CHART_ITEMS]],
            y_min=0,
            y_max=100,
            unit="%",
            label_heading=gettext("Article"),
            value_heading=gettext("Inserted"),
        )
    return {"rows": rows, "chart": chart, "period": period, "error": None}


def _page(
    request: Request,
    session: Session,
    ranges: dict[str, insights.DateRange],
    *,
    only: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    gettext = i18n.translator(request).gettext
    names = [only] if only else list(SECTIONS)
    reader_language = i18n.request_language(request)
    sections = {
        name: _section_data(session, name, ranges.get(name, insights.default_range()), gettext, reader_language)
        for name in names
    }
    if error and only:
        sections[only]["error"] = error
    context = {"sections": sections, "funnel_labels": FUNNEL_LABELS, "funnel_events": FunnelEvent}
    if only:
        return render(request, "admin/insights.html", context, block=f"section_{only}", status_code=status_code)
    return render(request, "admin/insights.html", context, status_code=status_code)


@router.get("/insights")
def insights_page(request: Request, session: DbSession, principal: PageAdmin) -> Response:
    return _page(request, session, {})


@router.get("/insights/{section}")
def insights_section(
    section: str,
    request: Request,
    session: DbSession,
    principal: PageAdmin,
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    if section not in SECTIONS:
        raise NotFound(f"no insights section {section!r}")
    try:
        period = insights.parse_range(start or None, end or None)
    except ValidationFailed as error:
        if not is_htmx(request):
            raise
        return _page(request, session, {}, only=section, error=error.message, status_code=422)
    return _page(request, session, {section: period}, only=section if is_htmx(request) else None)
