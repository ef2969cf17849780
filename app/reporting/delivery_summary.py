"""Push delivery figures read from the daily summary (`DeliveryDailyStat`).

OWNER: summary helper. Contract:

    figures = await delivery_figures(period_start=..., period_end=..., scope=scope)
    figures.campaigns: int     # campaigns with any delivery finished in the period
    figures.sent / delivered / failed / skipped: int
    figures.by_day: list[tuple[date, int, int]]   # (day, sent, failed), zero-filled, in order
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from app.reporting.scope import ReportScope

__all__ = ["DeliveryFigures", "delivery_figures"]


@dataclass(frozen=True)
class DeliveryFigures:
    campaigns: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    skipped: int = 0
    by_day: list[tuple[date, int, int]] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.failed

    @property
    def success_rate(self) -> float | None:
        return self.sent / self.attempted if self.attempted else None


async def delivery_figures(*, period_start: date, period_end: date, scope: ReportScope) -> DeliveryFigures:
    raise NotImplementedError
