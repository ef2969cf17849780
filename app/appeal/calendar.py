"""The working-day calendar appeal deadlines and handling times are counted in.

Deadlines for appeals are promised in working days (受理 1 个工作日, 办结 15 个工作日 ...), and
a working day in China is not simply Monday to Friday: public holidays fall on weekdays and
adjusted working days (调休) fall on weekends. The national calendar comes from
`chinese_calendar` (PyPI: `chinesecalendar`), which carries the State Council's schedule for
each year once it is published (every November or December for the following year).

Two settings adjust it: `APPEAL_EXTRA_HOLIDAYS` and `APPEAL_EXTRA_WORKDAYS`. They are how an
operator adds local days off, and how next year's national schedule is entered before a
release of `chinesecalendar` with it has been deployed. For a year the library does not know
yet, Monday to Friday are working days and a warning is logged once per year and process, so
the gap is visible before it produces wrong deadlines at New Year or Spring Festival.

All day boundaries are Shanghai time (the city's civil time; no daylight saving).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import chinese_calendar

if TYPE_CHECKING:  # pragma: no cover
    from app.config import Settings

__all__ = ["SHANGHAI", "WorkingCalendar"]

logger = logging.getLogger("qiyun.appeal.calendar")

SHANGHAI = ZoneInfo("Asia/Shanghai")
_DAY_SECONDS = 24 * 60 * 60

#: Years a "not covered by chinese_calendar" warning was already logged for, in this process.
#: Only de-duplicates a log line; nothing depends on it being shared between processes.
_warned_years: set[int] = set()


class WorkingCalendar:
    """Working days: the operator's overrides first, then the national calendar, then Mon–Fri.

    Cheap to build (two small sets), so callers build one per operation from the settings
    with `WorkingCalendar.from_settings` rather than sharing one.
    """

    def __init__(self, *, extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()) -> None:
        self._holidays = frozenset(extra_holidays)
        self._workdays = frozenset(extra_workdays)
        both = self._holidays & self._workdays
        if both:
            # A day cannot be both; guessing which list the operator meant would silently move deadlines.
            listed = "、".join(day.isoformat() for day in sorted(both))
            raise ValueError(f"同一天不能既是额外假日又是额外工作日：{listed}")

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkingCalendar:
        return cls(extra_holidays=settings.appeal_extra_holidays, extra_workdays=settings.appeal_extra_workdays)

    def is_working_day(self, day: date) -> bool:
        """Whether `day` is a working day.

        Order: `extra_holidays`, `extra_workdays`, then `chinese_calendar.is_workday`. For a year
        `chinese_calendar` does not cover (it raises `NotImplementedError`; release 1.11 covers
        2004–2026) Monday to Friday count, with a warning logged once per year: enter that
        year's holidays and 调休 days in the override settings until the library is upgraded.
        """
        if day in self._holidays:
            return False
        if day in self._workdays:
            return True
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in _warned_years:
                _warned_years.add(day.year)
                logger.warning(
                    "chinese_calendar has no data for %s: counting Monday to Friday as working days; "
                    "set APPEAL_EXTRA_HOLIDAYS / APPEAL_EXTRA_WORKDAYS or upgrade chinesecalendar",
                    day.year,
                )
            return day.weekday() < 5

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The deadline `days` working days after `start`.

        The rule (as 12345 hotlines count it): the day of `start` does not count, however early
        it is, because an appeal arriving at 16:55 cannot fairly be due that evening; the
        deadline is the end of the `days`-th working day after it, 23:59:59.999999 Shanghai
        time. `days=0` means "today": the end of the start day if it is a working day, else of
        the next working day. Days are Shanghai calendar days whatever `start`'s zone; the
        result is returned in `start`'s time zone (the same instant either way).
        """
        _require_aware(start, "start")
        if days < 0:
            raise ValueError("days must not be negative")
        day = start.astimezone(SHANGHAI).date()
        if days == 0:
            while not self.is_working_day(day):
                day += timedelta(days=1)
        else:
            counted = 0
            while counted < days:
                day += timedelta(days=1)
                if self.is_working_day(day):
                    counted += 1
        deadline = datetime.combine(day, time.max, tzinfo=SHANGHAI)
        return deadline.astimezone(start.tzinfo)

    def working_days_between(self, start: datetime, end: datetime) -> float:
        """Working time elapsed from `start` to `end`, in working days (0.0 if `end` is not later).

        Used for average handling times, so an appeal waiting over National Day is not counted
        as a week late. Non-working days contribute nothing; each working day contributes the
        fraction of its 24 clock hours (Shanghai time) that lies between `start` and `end`, so
        Monday 12:00 to Tuesday 12:00 is 1.0 and 09:00 to 15:00 on one working day is 0.25.
        One calendar lookup per day spanned.
        """
        _require_aware(start, "start")
        _require_aware(end, "end")
        if end <= start:
            return 0.0
        start_local = start.astimezone(SHANGHAI)
        end_local = end.astimezone(SHANGHAI)
        total = 0.0
        day = start_local.date()
        last = end_local.date()
        while day <= last:
            if self.is_working_day(day):
                day_start = datetime.combine(day, time.min, tzinfo=SHANGHAI)
                day_end = day_start + timedelta(days=1)
                overlap = min(end_local, day_end) - max(start_local, day_start)
                total += overlap.total_seconds() / _DAY_SECONDS
            day += timedelta(days=1)
        return total


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
