"""Appeal measures read from the daily summary (`AppealDailyStat`) instead of the appeals.

OWNER: summary helper. Contract (others code against these signatures):

    table = await summary_measures(period_start=..., period_end=..., group_by=GroupBy.organisation,
                                   scope=scope, settings=settings, now=None)
    table.rows: list[MeasureRow]   # as app.appeal.measures.measures returns them: labelled, scored, ranked
    table.total: MeasureRow
    table.refreshed_at: datetime | None   # when the summary was last brought up to date

    points = await appeal_trend(period_start=..., period_end=..., scope=scope, bucket="week")
    # one TrendPoint per day / ISO week (starting Monday) / month overlapping the period, in order,
    # zero-filled: TrendPoint(start, end, received, accepted, closed, replied)

`overdue_now` on every row is live (open appeals past their deadline now), as in measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app.appeal.measures import GroupBy, MeasureRow
from app.config import Settings
from app.reporting.scope import ReportScope

__all__ = ["MeasureTable", "TrendPoint", "appeal_trend", "summary_measures"]


@dataclass
class MeasureTable:
    rows: list[MeasureRow]
    total: MeasureRow
    refreshed_at: datetime | None


@dataclass(frozen=True)
class TrendPoint:
    start: date
    end: date
    received: int
    accepted: int
    replied: int
    closed: int


async def summary_measures(
    *, period_start: date, period_end: date, group_by: GroupBy, scope: ReportScope, settings: Settings,
    now: datetime | None = None,
) -> MeasureTable:
    raise NotImplementedError


async def appeal_trend(*, period_start: date, period_end: date, scope: ReportScope, bucket: str = "week") -> list[TrendPoint]:
    raise NotImplementedError
