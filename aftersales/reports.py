"""Reports: NPS and CSAT over time, per product and per segment; tips sent, opened, clicked; unsubscribes.

Every figure is counted from rows (responses, deliveries, outbox rows, suppressions) at the time
it is asked for; nothing is kept as a running counter. Grouping by period happens in Python so
that SQLite and PostgreSQL give the same answer without dialect-specific date functions.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.models import (
    Product,
    Programme,
    ProgrammeStep,
    Segment,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
    TipDelivery,
    TipEvent,
    TipEventKind,
)
from aftersales.schemas import CsatRow, EmailRow, NpsRow
from aftersales.segments import members_query, segment_filters
from aftersales.surveys import is_detractor, is_promoter
from helpdesk.email.models import OutboxMessage, OutboxStatus, Suppression, SuppressionSource

UNSUBSCRIBE_SOURCES = (
    SuppressionSource.UNSUBSCRIBE_LINK,
    SuppressionSource.ONE_CLICK,
    SuppressionSource.UNSUBSCRIBE_MAIL,
)


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def period_key(moment: datetime | date, period: Period) -> str:
    day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
    if period == Period.DAY:
        return day.isoformat()
    if period == Period.WEEK:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def period_keys(since: datetime, until: datetime, period: Period) -> list[str]:
    """Every period between the two moments, in order, so that charts show empty periods too."""
    keys: list[str] = []
    day = since.astimezone(UTC).date()
    last = until.astimezone(UTC).date()
    while day <= last:
        key = period_key(day, period)
        if not keys or keys[-1] != key:
            keys.append(key)
        day += timedelta(days=1)
    return keys


# --- scores ---------------------------------------------------------------------------------------


def nps_row(group: str, scores: Sequence[int]) -> NpsRow:
    promoters = sum(1 for s in scores if is_promoter(s))
    detractors = sum(1 for s in scores if is_detractor(s))
    total = len(scores)
    nps = round(100.0 * (promoters - detractors) / total, 1) if total else None
    return NpsRow(
        group=group,
        responses=total,
        promoters=promoters,
        passives=total - promoters - detractors,
        detractors=detractors,
        nps=nps,
    )


def csat_row(group: str, scores: Sequence[int]) -> CsatRow:
    # CSAT is the share of satisfied answers (4 or 5 out of 5), the usual industry definition.
    satisfied = sum(1 for s in scores if s >= 4)
    total = len(scores)
    return CsatRow(
        group=group,
        responses=total,
        satisfied=satisfied,
        average=round(sum(scores) / total, 2) if total else None,
        csat=round(100.0 * satisfied / total, 1) if total else None,
    )


def _answers(session: Session, kind: SurveyKind, since: datetime, until: datetime):
    return session.execute(
        select(
            SurveyResponse.score, SurveyResponse.created_at, SurveyInvitation.product_id, SurveyInvitation.customer_id
        )
        .join(SurveyInvitation, SurveyInvitation.id == SurveyResponse.invitation_id)
        .where(SurveyInvitation.kind == kind, SurveyResponse.created_at >= since, SurveyResponse.created_at < until)
    ).all()


def _by_period(rows: Iterable, since: datetime, until: datetime, period: Period) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {key: [] for key in period_keys(since, until, period)}
    for score, answered_at, *_ in rows:
        grouped.setdefault(period_key(answered_at, period), []).append(score)
    return grouped


def nps_over_time(session: Session, *, since: datetime, until: datetime, period: Period = Period.MONTH) -> list[NpsRow]:
    grouped = _by_period(_answers(session, SurveyKind.NPS, since, until), since, until, period)
    return [nps_row(key, scores) for key, scores in grouped.items()]


def csat_over_time(
    session: Session, *, since: datetime, until: datetime, period: Period = Period.MONTH
) -> list[CsatRow]:
    grouped = _by_period(_answers(session, SurveyKind.CSAT, since, until), since, until, period)
    return [csat_row(key, scores) for key, scores in grouped.items()]


def nps_by_product(session: Session, *, since: datetime, until: datetime) -> list[NpsRow]:
    names = dict(session.execute(select(Product.id, Product.name)).all())
    grouped: dict[str, list[int]] = defaultdict(list)
    for score, _, product_id, _ in _answers(session, SurveyKind.NPS, since, until):
        grouped[names.get(product_id, "(no product)")].append(score)
    return [nps_row(name, grouped[name]) for name in sorted(grouped)]


def nps_by_segment(session: Session, *, since: datetime, until: datetime) -> list[NpsRow]:
    rows = _answers(session, SurveyKind.NPS, since, until)
    result = []
    for segment in session.scalars(select(Segment).order_by(Segment.name)):
        members = set(session.scalars(members_query(segment_filters(segment), now=until)))
        result.append(nps_row(segment.name, [score for score, _, _, customer_id in rows if customer_id in members]))
    return result


# --- e-mail ---------------------------------------------------------------------------------------


def email_over_time(
    session: Session, *, since: datetime, until: datetime, period: Period = Period.MONTH
) -> list[EmailRow]:
    """Tips that left (outbox rows sent), unique opens and clicks (only with tracking on), unsubscribes."""
    counts: dict[str, dict[str, int]] = {
        key: {"sent": 0, "opened": 0, "clicked": 0, "unsubscribed": 0} for key in period_keys(since, until, period)
    }

    def bump(moment: datetime, field: str) -> None:
        counts.setdefault(period_key(moment, period), {"sent": 0, "opened": 0, "clicked": 0, "unsubscribed": 0})
        counts[period_key(moment, period)][field] += 1

    sent = session.scalars(
        select(OutboxMessage.sent_at)
        .join(TipDelivery, TipDelivery.outbox_message_id == OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at >= since, OutboxMessage.sent_at < until)
    )
    for moment in sent:
        bump(moment, "sent")
    events = session.execute(
        select(TipEvent.kind, TipEvent.created_at).where(TipEvent.created_at >= since, TipEvent.created_at < until)
    )
    for kind, moment in events:
        bump(moment, "opened" if kind == TipEventKind.OPENED else "clicked")
    unsubscribes = session.scalars(
        select(Suppression.created_at).where(
            Suppression.source.in_([str(s) for s in UNSUBSCRIBE_SOURCES]),
            Suppression.created_at >= since,
            Suppression.created_at < until,
        )
    )
    for moment in unsubscribes:
        bump(moment, "unsubscribed")
    return [EmailRow(group=key, **values) for key, values in counts.items()]


def email_by_programme(session: Session, *, since: datetime, until: datetime) -> list[EmailRow]:
    """The same figures per programme; unsubscribes are those caused by one of its tips."""
    names = dict(session.execute(select(Programme.id, Programme.name)).all())
    step_programme = dict(session.execute(select(ProgrammeStep.id, ProgrammeStep.programme_id)).all())
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"sent": 0, "opened": 0, "clicked": 0, "unsubscribed": 0})
    for (step_id,) in session.execute(
        select(TipDelivery.step_id)
        .join(OutboxMessage, OutboxMessage.id == TipDelivery.outbox_message_id)
        .where(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at >= since, OutboxMessage.sent_at < until)
    ):
        counts[step_programme[step_id]]["sent"] += 1
    for step_id, kind in session.execute(
        select(TipDelivery.step_id, TipEvent.kind)
        .join(TipEvent, TipEvent.delivery_id == TipDelivery.id)
        .where(TipEvent.created_at >= since, TipEvent.created_at < until)
    ):
        counts[step_programme[step_id]]["opened" if kind == TipEventKind.OPENED else "clicked"] += 1
    for (step_id,) in session.execute(
        select(TipDelivery.step_id)
        .join(Suppression, Suppression.outbox_message_id == TipDelivery.outbox_message_id)
        .where(
            Suppression.source.in_([str(s) for s in UNSUBSCRIBE_SOURCES]),
            Suppression.created_at >= since,
            Suppression.created_at < until,
        )
    ):
        counts[step_programme[step_id]]["unsubscribed"] += 1
    return [EmailRow(group=names[pid], **counts[pid]) for pid in sorted(names, key=lambda p: names[p])]


# --- export ---------------------------------------------------------------------------------------


def _csv_cell(value: object) -> object:
    # A cell starting with = + - @ is a formula to spreadsheet programs (CSV injection): quote it.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def to_csv(rows: Sequence[BaseModel], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        data = row.model_dump()
        writer.writerow([_csv_cell(data[column]) for column in columns])
    return buffer.getvalue()
