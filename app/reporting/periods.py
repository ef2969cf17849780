"""Reporting periods: calendar quarters and "the period before", for every comparison.

A period is a pair of Shanghai calendar dates, both included (as in `app.appeal.measures`).
The period before a whole calendar quarter is the previous quarter, before a whole month the
previous month; any other period is compared with the same number of days just before it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from app.appeal.calendar import SHANGHAI

__all__ = ["Period", "last_complete_quarter", "previous_period", "quarter_label", "quarter_of", "today"]

Period = tuple[date, date]


def today(now: datetime | None = None) -> date:
    """Today in Shanghai."""
    return (now or datetime.now(timezone.utc)).astimezone(SHANGHAI).date()


def quarter_of(day: date) -> Period:
    """The calendar quarter `day` falls in."""
    first_month = (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first_month, 1)
    end = _add_months(start, 3) - timedelta(days=1)
    return start, end


def last_complete_quarter(day: date) -> Period:
    """The last calendar quarter that ended before `day`."""
    start, _ = quarter_of(day)
    return quarter_of(start - timedelta(days=1))


def quarter_label(start: date, end: date) -> str:
    """2026年第三季度 for a whole quarter, else 2026-07-01 至 2026-08-15."""
    if (start, end) == quarter_of(start):
        names = "一二三四"
        return f"{start.year}年第{names[(start.month - 1) // 3]}季度"
    return f"{start.isoformat()} 至 {end.isoformat()}"


def previous_period(start: date, end: date) -> Period:
    """The period a figure for `start`..`end` is compared with.

    A quarter (or the part of it so far) is compared with the previous quarter (to the same
    day of the quarter), a month (or month to date) with the previous month (to the same day,
    cut at that month's end); any other span with as many days just before it."""
    quarter_start, quarter_end = quarter_of(start)
    if (start, end) == (quarter_start, quarter_end):
        return quarter_of(start - timedelta(days=1))
    month_end = _add_months(start, 1) - timedelta(days=1)
    if start.day == 1 and end == month_end:
        return _add_months(start, -1), start - timedelta(days=1)
    if start == quarter_start and end <= quarter_end and end >= start + timedelta(days=31):
        previous_start, previous_end = quarter_of(start - timedelta(days=1))
        return previous_start, min(previous_end, previous_start + (end - start))
    if start.day == 1 and end <= month_end:
        previous_start = _add_months(start, -1)
        return previous_start, min(start - timedelta(days=1), previous_start + (end - start))
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)
