"""Working days for appeal deadlines (`app.appeal.calendar`).

The national dates asserted here are the State Council's 2026 schedule as `chinesecalendar`
1.11 carries it: National Day and Mid-Autumn are separate in 2026 (中秋 Sep 25–27, 国庆
Oct 1–7), with Sunday Sep 20 and Saturday Oct 10 as adjusted working days (调休).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, timezone

import pytest

from app.appeal import calendar as calendar_module
from app.appeal.calendar import SHANGHAI, WorkingCalendar
from app.config import Settings

END_OF_DAY = time(23, 59, 59, 999999)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def end_of(day: date) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI)


@pytest.fixture
def national() -> WorkingCalendar:
    return WorkingCalendar()


# -- which days are working days ------------------------------------------------------


def test_national_day_2026_is_seven_days_off(national: WorkingCalendar) -> None:
    for offset in range(7):
        assert not national.is_working_day(date(2026, 10, 1) + timedelta(days=offset))
    assert national.is_working_day(date(2026, 9, 30))
    assert national.is_working_day(date(2026, 10, 8))


def test_national_day_2026_adjusted_working_days_are_weekends_worked(national: WorkingCalendar) -> None:
    assert date(2026, 9, 20).weekday() == 6 and national.is_working_day(date(2026, 9, 20))
    assert date(2026, 10, 10).weekday() == 5 and national.is_working_day(date(2026, 10, 10))
    assert not national.is_working_day(date(2026, 10, 11))  # the Sunday after is still off


def test_an_ordinary_weekend_is_not_working(national: WorkingCalendar) -> None:
    assert not national.is_working_day(date(2026, 6, 13))  # Saturday
    assert not national.is_working_day(date(2026, 6, 14))  # Sunday
    assert national.is_working_day(date(2026, 6, 15))  # Monday


def test_an_extra_holiday_overrides_the_national_calendar() -> None:
    calendar = WorkingCalendar(extra_holidays=[date(2026, 6, 16)])
    assert not calendar.is_working_day(date(2026, 6, 16))
    assert calendar.is_working_day(date(2026, 6, 17))


def test_an_extra_workday_overrides_the_national_calendar() -> None:
    calendar = WorkingCalendar(extra_workdays=[date(2026, 10, 3)])
    assert calendar.is_working_day(date(2026, 10, 3))


def test_a_day_cannot_be_both_an_extra_holiday_and_an_extra_workday() -> None:
    with pytest.raises(ValueError, match="2026-06-16"):
        WorkingCalendar(extra_holidays=[date(2026, 6, 16)], extra_workdays=[date(2026, 6, 16)])


def test_from_settings_reads_the_override_lists(settings: Settings) -> None:
    configured = settings.model_copy(
        update={"appeal_extra_holidays": [date(2026, 6, 16)], "appeal_extra_workdays": [date(2026, 6, 13)]}
    )
    calendar = WorkingCalendar.from_settings(configured)
    assert not calendar.is_working_day(date(2026, 6, 16))
    assert calendar.is_working_day(date(2026, 6, 13))


def test_a_year_the_library_does_not_know_falls_back_to_monday_to_friday_and_warns_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calendar_module, "_warned_years", set())
    calendar = WorkingCalendar(extra_holidays=[date(2027, 1, 1)])
    with caplog.at_level(logging.WARNING, logger="qiyun.appeal.calendar"):
        assert calendar.is_working_day(date(2027, 1, 4))  # Monday
        assert calendar.is_working_day(date(2027, 1, 8))  # Friday
        assert not calendar.is_working_day(date(2027, 1, 9))  # Saturday
        assert not calendar.is_working_day(date(2027, 1, 1))  # entered by the operator: New Year's Day
    warnings = [record for record in caplog.records if "2027" in record.getMessage()]
    assert len(warnings) == 1


# -- deadlines ----------------------------------------------------------------------


def test_the_start_day_does_not_count(national: WorkingCalendar) -> None:
    # Tuesday 2026-06-16, one working day: the end of Wednesday.
    assert national.add_working_days(at(date(2026, 6, 16), 8), 1) == end_of(date(2026, 6, 17))
    assert national.add_working_days(at(date(2026, 6, 16), 23, 30), 1) == end_of(date(2026, 6, 17))


def test_a_deadline_skips_the_weekend(national: WorkingCalendar) -> None:
    # Friday 2026-06-12 + 2 working days: Monday 15, Tuesday 16.
    assert national.add_working_days(at(date(2026, 6, 12)), 2) == end_of(date(2026, 6, 16))


def test_zero_days_is_the_end_of_today_or_of_the_next_working_day(national: WorkingCalendar) -> None:
    assert national.add_working_days(at(date(2026, 6, 16)), 0) == end_of(date(2026, 6, 16))
    assert national.add_working_days(at(date(2026, 6, 13)), 0) == end_of(date(2026, 6, 15))


def test_a_deadline_over_national_day_2026(national: WorkingCalendar) -> None:
    # Submitted Wednesday Sep 30: Oct 1–7 are off, Thu 8 and Fri 9 count, Sat 10 is 调休.
    submitted = at(date(2026, 9, 30), 16, 55)
    assert national.add_working_days(submitted, 1) == end_of(date(2026, 10, 8))
    assert national.add_working_days(submitted, 3) == end_of(date(2026, 10, 10))
    assert national.add_working_days(submitted, 4) == end_of(date(2026, 10, 12))


def test_an_extra_holiday_moves_a_deadline() -> None:
    calendar = WorkingCalendar(extra_holidays=[date(2026, 6, 17)])
    assert calendar.add_working_days(at(date(2026, 6, 16)), 1) == end_of(date(2026, 6, 18))


def test_an_extra_workday_moves_a_deadline_earlier() -> None:
    calendar = WorkingCalendar(extra_workdays=[date(2026, 6, 13)])
    assert calendar.add_working_days(at(date(2026, 6, 12)), 1) == end_of(date(2026, 6, 13))


def test_days_are_shanghai_days_and_the_result_keeps_the_callers_zone(national: WorkingCalendar) -> None:
    # 17:00 UTC on Monday is already 01:00 Tuesday in Shanghai, so Tuesday is the start day.
    start = datetime(2026, 6, 15, 17, 0, tzinfo=timezone.utc)
    deadline = national.add_working_days(start, 1)
    assert deadline.tzinfo is timezone.utc
    assert deadline == end_of(date(2026, 6, 17))
    assert deadline.astimezone(SHANGHAI).time() == END_OF_DAY


def test_a_deadline_in_2027_uses_the_fallback(national: WorkingCalendar) -> None:
    # Thursday 2026-12-31 + 2: Friday 2027-01-01 (unknown year, counted as a weekday), Monday 4.
    assert national.add_working_days(at(date(2026, 12, 31)), 2) == end_of(date(2027, 1, 4))


def test_naive_datetimes_and_negative_days_are_refused(national: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        national.add_working_days(datetime(2026, 6, 16, 10), 1)
    with pytest.raises(ValueError):
        national.add_working_days(at(date(2026, 6, 16)), -1)


# -- elapsed working time -----------------------------------------------------------


def test_elapsed_time_within_and_across_working_days(national: WorkingCalendar) -> None:
    assert national.working_days_between(at(date(2026, 6, 16), 9), at(date(2026, 6, 16), 15)) == pytest.approx(0.25)
    assert national.working_days_between(at(date(2026, 6, 15), 12), at(date(2026, 6, 16), 12)) == pytest.approx(1.0)


def test_elapsed_time_skips_a_weekend(national: WorkingCalendar) -> None:
    # Friday noon to Monday noon: half of Friday and half of Monday.
    assert national.working_days_between(at(date(2026, 6, 12), 12), at(date(2026, 6, 15), 12)) == pytest.approx(1.0)


def test_elapsed_time_skips_national_day(national: WorkingCalendar) -> None:
    # Wednesday Sep 30 noon to Thursday Oct 8 noon: eight calendar days, one working day.
    elapsed = national.working_days_between(at(date(2026, 9, 30), 12), at(date(2026, 10, 8), 12))
    assert elapsed == pytest.approx(1.0)
    # To Monday Oct 12 noon: + the rest of Oct 8, Oct 9, the 调休 Saturday Oct 10, half of Oct 12.
    elapsed = national.working_days_between(at(date(2026, 9, 30), 12), at(date(2026, 10, 12), 12))
    assert elapsed == pytest.approx(4.0)


def test_elapsed_time_is_zero_when_end_is_not_later(national: WorkingCalendar) -> None:
    moment = at(date(2026, 6, 16))
    assert national.working_days_between(moment, moment) == 0.0
    assert national.working_days_between(moment, moment - timedelta(hours=1)) == 0.0


def test_elapsed_time_accepts_mixed_zones(national: WorkingCalendar) -> None:
    start = datetime(2026, 6, 16, 1, 0, tzinfo=timezone.utc)  # 09:00 Shanghai
    end = at(date(2026, 6, 16), 15)
    assert national.working_days_between(start, end) == pytest.approx(0.25)
