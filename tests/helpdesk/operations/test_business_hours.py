"""Business time over calendars: weekends, holidays, starts outside hours, clock changes, around the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftercare.errors import ValidationFailed
from helpdesk.operations.business_hours import (
    add_business_minutes,
    business_minutes_between,
    calendar_from,
)

WARSAW = ZoneInfo("Europe/Warsaw")
# Monday to Friday, 09:00-17:00 Warsaw time: 8 business hours a day.
WEEKDAYS = [{"day": day, "start": "09:00", "end": "17:00"} for day in range(5)]


def warsaw(*args: int) -> datetime:
    return datetime(*args, tzinfo=WARSAW).astimezone(UTC)


@pytest.fixture
def office():
    # 2026-12-24 (Thursday) and 2026-12-25 (Friday) are holidays.
    return calendar_from("Europe/Warsaw", WEEKDAYS, ["2026-12-24", "2026-12-25"])


def test_minutes_inside_one_working_day(office):
    # Tuesday 10:00 + 2 h = Tuesday 12:00.
    assert add_business_minutes(warsaw(2026, 12, 1, 10, 0), 120, office) == warsaw(2026, 12, 1, 12, 0)


def test_what_does_not_fit_today_continues_next_morning(office):
    # Tuesday 16:00 + 2 h: one hour on Tuesday, one on Wednesday from 09:00.
    assert add_business_minutes(warsaw(2026, 12, 1, 16, 0), 120, office) == warsaw(2026, 12, 2, 10, 0)


def test_weekend_is_skipped(office):
    # Friday 2026-12-04 16:00 + 4 h: 1 h on Friday, then Monday 09:00 + 3 h.
    assert add_business_minutes(warsaw(2026, 12, 4, 16, 0), 240, office) == warsaw(2026, 12, 7, 12, 0)


def test_holidays_are_skipped(office):
    # Wednesday 2026-12-23 16:00 + 2 h: 1 h Wednesday; Thu+Fri holidays, weekend; Monday 28th 10:00.
    assert add_business_minutes(warsaw(2026, 12, 23, 16, 0), 120, office) == warsaw(2026, 12, 28, 10, 0)


def test_start_before_opening_counts_from_opening(office):
    assert add_business_minutes(warsaw(2026, 12, 1, 6, 30), 30, office) == warsaw(2026, 12, 1, 9, 30)


def test_start_on_a_saturday_night_counts_from_monday(office):
    assert add_business_minutes(warsaw(2026, 12, 5, 23, 0), 60, office) == warsaw(2026, 12, 7, 10, 0)


def test_dst_change_keeps_local_opening_hours(office):
    # Warsaw leaves summer time on Sunday 2026-10-25: Friday 16:00 is 14:00 UTC, Monday 10:00 is 09:00 UTC.
    start = warsaw(2026, 10, 23, 16, 0)
    due = add_business_minutes(start, 120, office)
    assert due == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
    # Wall time between them is 67 h, but only 2 business hours.
    assert business_minutes_between(start, due, office) == 120


def test_no_calendar_is_around_the_clock():
    start = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)
    assert add_business_minutes(start, 90, None) == start + timedelta(minutes=90)
    assert business_minutes_between(start, start + timedelta(hours=30), None) == 30 * 60


def test_minutes_between_across_a_weekend(office):
    # Friday 16:00 to Monday 10:00: 1 h on Friday, 1 h on Monday.
    assert business_minutes_between(warsaw(2026, 12, 4, 16, 0), warsaw(2026, 12, 7, 10, 0), office) == 120


def test_minutes_between_over_a_holiday_is_zero(office):
    assert business_minutes_between(warsaw(2026, 12, 24, 10, 0), warsaw(2026, 12, 24, 15, 0), office) == 0


def test_minutes_between_reversed_is_zero(office):
    assert business_minutes_between(warsaw(2026, 12, 1, 15, 0), warsaw(2026, 12, 1, 10, 0), office) == 0


def test_an_interval_to_midnight():
    late = calendar_from("UTC", [{"day": 0, "start": "20:00", "end": "24:00"}], [])
    # Monday 2026-12-07 23:00 + 2 h: one hour Monday, then the next Monday 20:00 + 1 h.
    assert add_business_minutes(datetime(2026, 12, 7, 23, 0, tzinfo=UTC), 120, late) == datetime(
        2026, 12, 14, 21, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("timezone", "intervals", "holidays"),
    [
        ("Mars/Olympus", WEEKDAYS, []),
        ("UTC", [], []),
        ("UTC", [{"day": 7, "start": "09:00", "end": "17:00"}], []),
        ("UTC", [{"day": 1, "start": "17:00", "end": "09:00"}], []),
        ("UTC", WEEKDAYS, ["24.12.2026"]),
    ],
)
def test_invalid_calendars_are_refused(timezone, intervals, holidays):
    with pytest.raises(ValidationFailed):
        calendar_from(timezone, intervals, holidays)
