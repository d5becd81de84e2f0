"""Reports: NPS and CSAT arithmetic, grouping by period and product, e-mail figures, CSV export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aftersales import reports, surveys
from aftersales.models import SurveyKind
from aftersales.programmes import run_scheduling_pass
from aftersales.reports import Period, csat_row, nps_row, period_keys, to_csv
from aftersales.schemas import NpsRow
from helpdesk.email.models import OutboxMessage, OutboxStatus
from tests.aftersales import factories as f

NOW = f.NOW


answer = f.survey_answer


def test_nps_is_percent_promoters_minus_percent_detractors():
    row = nps_row("all", [10, 9, 8, 3])
    assert (row.promoters, row.passives, row.detractors, row.nps) == (2, 1, 1, 25.0)


def test_nps_can_be_negative_and_is_empty_without_answers():
    assert nps_row("x", [0, 6, 7]).nps == round(100 * -2 / 3, 1)
    assert nps_row("x", []).nps is None


def test_csat_is_the_share_of_fours_and_fives():
    row = csat_row("all", [5, 4, 3, 1])
    assert (row.satisfied, row.csat, row.average) == (2, 50.0, 3.25)


def test_every_month_of_the_range_is_listed():
    keys = period_keys(datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 4, 2, tzinfo=UTC), Period.MONTH)
    assert keys == ["2026-01", "2026-02", "2026-03", "2026-04"]


def test_nps_over_time_groups_answers_by_month(session):
    answer(session, 10, at=datetime(2026, 1, 10, tzinfo=UTC))
    answer(session, 2, at=datetime(2026, 1, 20, tzinfo=UTC))
    answer(session, 9, at=datetime(2026, 3, 5, tzinfo=UTC))
    rows = reports.nps_over_time(
        session, since=datetime(2026, 1, 1, tzinfo=UTC), until=datetime(2026, 3, 31, tzinfo=UTC)
    )
    assert [(r.group, r.responses, r.nps) for r in rows] == [
        ("2026-01", 2, 0.0),
        ("2026-02", 0, None),
        ("2026-03", 1, 100.0),
    ]


def test_nps_per_product(session):
    nimbus, aurora = f.product(session, name="Nimbus"), f.product(session, name="Aurora")
    answer(session, 10, at=NOW, product=nimbus)
    answer(session, 0, at=NOW, product=aurora)
    rows = reports.nps_by_product(session, since=NOW - timedelta(days=1), until=NOW + timedelta(days=1))
    assert [(r.group, r.nps) for r in rows] == [("Aurora", -100.0), ("Nimbus", 100.0)]


def test_csat_over_time_counts_only_csat(session):
    answer(session, 5, at=NOW, kind=SurveyKind.CSAT)
    answer(session, 0, at=NOW)
    [row] = reports.csat_over_time(
        session, since=NOW - timedelta(hours=1), until=NOW + timedelta(hours=1), period=Period.DAY
    )
    assert (row.responses, row.csat) == (1, 100.0)


def test_tips_sent_are_counted_from_outbox_rows(session):
    f.article(session)
    f.programme(session, steps=[(0, "usage")])
    for _ in range(2):
        f.buy(session, f.customer(session), f.product(session), at=NOW)
    run_scheduling_pass(session, now=NOW + timedelta(hours=1))
    window = {"since": NOW - timedelta(days=1), "until": NOW + timedelta(days=1)}
    assert [r.sent for r in reports.email_over_time(session, period=Period.DAY, **window)] == [0, 0, 0]
    first = session.query(OutboxMessage).first()
    first.status, first.sent_at = OutboxStatus.SENT, NOW + timedelta(hours=2)
    session.flush()
    assert sum(r.sent for r in reports.email_over_time(session, period=Period.DAY, **window)) == 1
    assert [r.sent for r in reports.email_by_programme(session, **window)] == [1]


def test_csv_export_neutralises_formulas():
    text = to_csv(
        [NpsRow(group="=HYPERLINK(1)", responses=1, promoters=1, passives=0, detractors=0, nps=100.0)],
        ("group", "responses", "nps"),
    )
    assert text.splitlines() == ["group,responses,nps", "'=HYPERLINK(1),1,100.0"]


def test_detractor_threshold_matches_the_report():
    assert surveys.is_detractor(6) and not surveys.is_detractor(7) and surveys.is_promoter(9)
