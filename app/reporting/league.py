"""The league table of organisations for a period, with changes since the period before.

OWNER: league helper. Contract:

    league = await league_table(period_start=..., period_end=..., scope=scope, settings=settings, now=None)
    league.rows: list[LeagueRow]     # ranked rows first (by rank), then the unranked
    league.previous_start / previous_end: date
    LeagueRow.row: MeasureRow (this period), .previous: MeasureRow | None,
             .score_change: float | None, .rank_change: int | None  (positive: moved up)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app.appeal.measures import MeasureRow
from app.config import Settings
from app.reporting.scope import ReportScope

__all__ = ["League", "LeagueRow", "league_table"]


@dataclass(frozen=True)
class LeagueRow:
    row: MeasureRow
    previous: MeasureRow | None
    score_change: float | None
    rank_change: int | None


@dataclass(frozen=True)
class League:
    period_start: date
    period_end: date
    previous_start: date
    previous_end: date
    rows: list[LeagueRow]


async def league_table(
    *, period_start: date, period_end: date, scope: ReportScope, settings: Settings, now: datetime | None = None
) -> League:
    raise NotImplementedError
