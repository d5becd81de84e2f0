"""Business time: adding working minutes to an instant and measuring working time between two.

Pure functions over a ``Calendar`` (a time zone, weekly intervals in local time, holiday dates);
``None`` for a calendar means around the clock. Intervals are taken in local wall time each day
and turned into UTC instants, so a day on which the clocks change counts the hours it really had.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aftercare.errors import ValidationFailed

# A calendar with hours always has an open interval within a week, but holidays could in theory
# cover years; searching stops here rather than looping for ever on a bad calendar.
MAX_DAYS_SEARCHED = 3 * 366


@dataclass(frozen=True)
class Interval:
    weekday: int  # 0 = Monday
    start: time
    # time(0, 0) as an end means midnight at the end of the day.
    end: time


@dataclass(frozen=True)
class Calendar:
    timezone: str
    intervals: tuple[Interval, ...]
    holidays: frozenset[date] = frozenset()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def parse_clock(value: str) -> time:
    """ "09:00" -> 09:00; "24:00" -> midnight (as an interval's end)."""
    if value == "24:00":
        return time(0, 0)
    try:
        return time.fromisoformat(value)
    except ValueError as error:
        raise ValidationFailed(f"invalid time {value!r}; use HH:MM") from error


def calendar_from(timezone: str, intervals: Iterable[Mapping[str, Any]], holidays: Iterable[str]) -> Calendar:
    """A calendar from the stored documents (``BusinessHours``); raises ValidationFailed when invalid."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationFailed(f"unknown time zone {timezone!r}") from error
    parsed: list[Interval] = []
    for item in intervals:
        day = item.get("day")
        if not isinstance(day, int) or not 0 <= day <= 6:
            raise ValidationFailed("an interval's day must be 0 (Monday) to 6 (Sunday)")
        start, end = parse_clock(str(item.get("start", ""))), parse_clock(str(item.get("end", "")))
        if end != time(0, 0) and end <= start:
            raise ValidationFailed(f"an interval must end after it starts ({item.get('start')}-{item.get('end')})")
        parsed.append(Interval(day, start, end))
    if not parsed:
        raise ValidationFailed("business hours need at least one interval")
    try:
        days = frozenset(date.fromisoformat(value) for value in holidays)
    except ValueError as error:
        raise ValidationFailed("holidays must be dates as YYYY-MM-DD") from error
    return Calendar(timezone, tuple(sorted(parsed, key=lambda i: (i.weekday, i.start))), days)


def _open_spans(calendar: Calendar, since: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The calendar's open spans in UTC, in order, from the local day of ``since`` on."""
    zone = calendar.zone
    day = since.astimezone(zone).date()
    for _ in range(MAX_DAYS_SEARCHED):
        if day not in calendar.holidays:
            for interval in calendar.intervals:
                if interval.weekday != day.weekday():
                    continue
                opens = datetime.combine(day, interval.start, zone).astimezone(UTC)
                end_day = day + timedelta(days=1) if interval.end == time(0, 0) else day
                closes = datetime.combine(end_day, interval.end, zone).astimezone(UTC)
                yield opens, closes
        day += timedelta(days=1)


def add_business_time(start: datetime, amount: timedelta, calendar: Calendar | None) -> datetime:
    """The instant at which ``amount`` of business time has passed since ``start``."""
    if calendar is None:
        return start + amount
    remaining = amount
    for opens, closes in _open_spans(calendar, start):
        begin = max(opens, start)
        if begin >= closes:
            continue
        if remaining <= closes - begin:
            return begin + remaining
        remaining -= closes - begin
    raise ValidationFailed("the business hours leave no working time within three years")


def add_business_minutes(start: datetime, minutes: float, calendar: Calendar | None) -> datetime:
    return add_business_time(start, timedelta(minutes=minutes), calendar)


def business_time_between(a: datetime, b: datetime, calendar: Calendar | None) -> timedelta:
    """Business time from ``a`` to ``b`` (zero when ``b`` is not after ``a``)."""
    if b <= a:
        return timedelta(0)
    if calendar is None:
        return b - a
    total = timedelta(0)
    for opens, closes in _open_spans(calendar, a):
        if opens >= b:
            break
        overlap = min(closes, b) - max(opens, a)
        if overlap > timedelta(0):
            total += overlap
    return total


def business_minutes_between(a: datetime, b: datetime, calendar: Calendar | None) -> float:
    return business_time_between(a, b, calendar) / timedelta(minutes=1)
