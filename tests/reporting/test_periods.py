"""Which period a figure is compared with, and quarters."""

from __future__ import annotations

from datetime import date

import pytest

from app.reporting.periods import last_complete_quarter, previous_period, quarter_label, quarter_of


@pytest.mark.parametrize(("period", "before"), [
    ((date(2025, 1, 1), date(2025, 3, 31)), (date(2024, 10, 1), date(2024, 12, 31))),   # a whole quarter
    ((date(2026, 10, 1), date(2026, 12, 3)), (date(2026, 7, 1), date(2026, 9, 2))),     # quarter to date
    ((date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 2, 1), date(2026, 2, 28))),     # a whole month
    ((date(2026, 3, 1), date(2026, 3, 30)), (date(2026, 2, 1), date(2026, 2, 28))),     # month to date, cut
    ((date(2026, 12, 1), date(2026, 12, 3)), (date(2026, 11, 1), date(2026, 11, 3))),
    ((date(2026, 11, 4), date(2026, 12, 3)), (date(2026, 10, 5), date(2026, 11, 3))),   # 30 days
])
def test_each_period_is_compared_with_the_one_before_it(period, before):
    assert previous_period(*period) == before


def test_quarters():
    assert quarter_of(date(2026, 8, 15)) == (date(2026, 7, 1), date(2026, 9, 30))
    assert last_complete_quarter(date(2026, 1, 1)) == (date(2025, 10, 1), date(2025, 12, 31))
    assert quarter_label(date(2026, 7, 1), date(2026, 9, 30)) == "2026年第三季度"
    assert quarter_label(date(2026, 7, 1), date(2026, 8, 15)) == "2026-07-01 至 2026-08-15"
