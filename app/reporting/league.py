"""The league table of organisations for a period, with changes since the period before.

Use:

    league = await league_table(period_start=..., period_end=..., scope=scope, settings=settings, now=None)
    league.rows: list[LeagueRow]     # ranked rows first (by rank), then the unranked
    league.previous_start / previous_end: date
    LeagueRow.row: MeasureRow (this period), .previous: MeasureRow | None,
             .score_change: float | None, .rank_change: int | None  (positive: moved up)

    rows = compare(current_rows, previous_rows)   # the same pairing for rows already measured

Both periods are read from the daily summary (`app.reporting.appeal_summary.summary_measures`),
so the league table, the dashboard and the quarterly report agree; "the period before" is
`app.reporting.periods.previous_period` (the previous quarter or month, else as many days just
before). A change is only stated when both periods have the number: a score change needs a
score in both, a rank change a rank in both (an organisation below the minimum cases in either
period, or new this period, has none — shown as "—", never as a jump from nowhere). Ranks are
within the scope, as the measures rank them, so a district's league compares its own
organisations with each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from app.appeal.measures import GroupBy, MeasureRow
from app.config import Settings
from app.reporting.appeal_summary import summary_measures
from app.reporting.periods import previous_period
from app.reporting.scope import ReportScope

__all__ = ["League", "LeagueRow", "compare", "league_table"]


@dataclass(frozen=True)
class LeagueRow:
    row: MeasureRow
    previous: MeasureRow | None
    score_change: float | None
    """This period's score minus the previous one's, in points; None unless both have a score."""
    rank_change: int | None
    """Previous rank minus this rank (positive: moved up); None unless ranked in both periods."""

    @property
    def moved(self) -> str:
        """"up", "down", "same" or "" (no rank change known): for arrows and CSS classes."""
        if self.rank_change is None:
            return ""
        return "up" if self.rank_change > 0 else "down" if self.rank_change < 0 else "same"


@dataclass(frozen=True)
class League:
    period_start: date
    period_end: date
    previous_start: date
    previous_end: date
    rows: list[LeagueRow]


def compare(current: Sequence[MeasureRow], previous: Sequence[MeasureRow]) -> list[LeagueRow]:
    """Pair each of this period's rows with the same organisation's row of the period before
    (by key; 未分派 with 未分派) and work out the changes. Ranked rows first by rank, then the
    unranked in the order given (the measures put them by score, 未分派 last)."""
    before = {row.key: row for row in previous}
    paired = []
    for row in current:
        old = before.get(row.key)
        score_change = (
            row.score - old.score if old is not None and row.score is not None and old.score is not None else None
        )
        rank_change = (
            old.rank - row.rank
            if old is not None and row.ranked and old.ranked and row.rank is not None and old.rank is not None
            else None
        )
        paired.append(LeagueRow(row=row, previous=old, score_change=score_change, rank_change=rank_change))
    order = {id(item): position for position, item in enumerate(paired)}
    return sorted(paired, key=lambda item: (not item.row.ranked, item.row.rank or 0, order[id(item)]))


async def league_table(
    *, period_start: date, period_end: date, scope: ReportScope, settings: Settings, now: datetime | None = None
) -> League:
    """The organisations' measures, score and rank for the period within `scope`, each with its
    change since `previous_period` (two reads of the daily summary)."""
    previous_start, previous_end = previous_period(period_start, period_end)
    common = {"group_by": GroupBy.organisation, "scope": scope, "settings": settings, "now": now}
    current = await summary_measures(period_start=period_start, period_end=period_end, **common)
    # "Overdue now" belongs to the current table only.
    previous = await summary_measures(period_start=previous_start, period_end=previous_end, overdue=False, **common)
    return League(period_start, period_end, previous_start, previous_end, compare(current.rows, previous.rows))
