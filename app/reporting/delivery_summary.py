"""Push delivery figures read from the daily summary (`DeliveryDailyStat`).

Use:

    figures = await delivery_figures(period_start=..., period_end=..., scope=scope)
    figures.campaigns: int     # campaigns with any delivery finished in the period
    figures.sent / delivered / failed / skipped: int
    figures.by_day: list[tuple[date, int, int]]   # (day, sent, failed), zero-filled, in order

A delivery is counted once it reached a final state (sent, delivered, failed, skipped — queued
and sending ones are not counted yet) on the Shanghai day of `finished_at` (of `sent_at` if a
sent one has no finish time). `sent` counts what WeChat accepted (sent or delivered), `delivered`
what it confirmed. Scope: the city everything; a district the deliveries to followers whose
(lowest-numbered active) binding is to an enterprise of that district; a department the
deliveries of campaigns its staff created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from tortoise import connections

from app.appeal.calendar import SHANGHAI
from app.appeal.measures import _Sql
from app.push.models import DeliveryStatus
from app.reporting.appeal_summary import as_date, day_literal, local_day
from app.reporting.scope import ReportScope

__all__ = ["DeliveryFigures", "delivery_figures", "delivery_rows_sql"]


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


def delivery_rows_sql(sql: _Sql, *, since: date | None) -> str:
    """INSERT INTO report_delivery_daily ... : the rows of every day from `since` on (None: all)."""
    finished = "COALESCE(d.finished_at, d.sent_at)"
    final = ", ".join(f"'{s.value}'" for s in (DeliveryStatus.sent, DeliveryStatus.delivered, DeliveryStatus.failed,
                                                DeliveryStatus.skipped))
    where = f"d.status IN ({final}) AND {finished} IS NOT NULL"
    if since is not None:
        where += f" AND {finished} >= {sql.at(datetime.combine(since, time.min, tzinfo=SHANGHAI))}"
    day = local_day(sql, finished)

    def counted(*statuses: DeliveryStatus) -> str:
        values = ", ".join(f"'{s.value}'" for s in statuses)
        return f"SUM(CASE WHEN d.status IN ({values}) THEN 1 ELSE 0 END)"

    # The district of a follower's user: the enterprise of their lowest-numbered active binding.
    districts = (
        "SELECT eb.user_id, e.district FROM enterprise_binding eb JOIN enterprise e ON e.id = eb.enterprise_id "
        "JOIN (SELECT user_id, MIN(id) AS id FROM enterprise_binding WHERE revoked_at IS NULL GROUP BY user_id) "
        "first_binding ON first_binding.id = eb.id"
    )
    return (
        "INSERT INTO report_delivery_daily (day, campaign_id, creator_organisation_id, district, sent, delivered, "
        "failed, skipped) "
        f"SELECT {day}, d.campaign_id, s.organisation_id, ud.district, "
        f"{counted(DeliveryStatus.sent, DeliveryStatus.delivered)}, {counted(DeliveryStatus.delivered)}, "
        f"{counted(DeliveryStatus.failed)}, {counted(DeliveryStatus.skipped)} "
        "FROM push_delivery d JOIN push_campaign c ON c.id = d.campaign_id "
        "LEFT JOIN staff s ON s.id = c.created_by_id "
        "LEFT JOIN follower fo ON fo.id = d.follower_id "
        f"LEFT JOIN ({districts}) ud ON ud.user_id = fo.user_id "
        f"WHERE {where} "
        f"GROUP BY {day}, d.campaign_id, s.organisation_id, ud.district"
    )


def scope_condition(scope: ReportScope) -> str:
    """City: everything; district: the recipients' district; department: its staff's campaigns."""
    if scope.organisation_ids is None:
        return "1 = 1"
    if scope.district is not None:
        return f"district = '{str(getattr(scope.district, 'value', scope.district))}'"
    ids = ", ".join(str(int(i)) for i in sorted(scope.organisation_ids)) or "-1"
    return f"creator_organisation_id IN ({ids})"


async def delivery_figures(*, period_start: date, period_end: date, scope: ReportScope) -> DeliveryFigures:
    """What the push deliveries of the period came to, for the scope, from the daily summary."""
    connection = connections.get("default")
    sql = _Sql(connection.capabilities.dialect)
    where = (
        f"day >= {day_literal(sql, period_start)} AND day <= {day_literal(sql, period_end)} "
        f"AND {scope_condition(scope)}"
    )
    _, [totals] = await connection.execute_query(
        "SELECT COUNT(DISTINCT campaign_id) AS campaigns, SUM(sent) AS sent, SUM(delivered) AS delivered, "
        f"SUM(failed) AS failed, SUM(skipped) AS skipped FROM report_delivery_daily WHERE {where}"
    )
    _, days = await connection.execute_query(
        f"SELECT day, SUM(sent) AS sent, SUM(failed) AS failed FROM report_delivery_daily WHERE {where} GROUP BY day"
    )
    by_day_found = {as_date(row["day"]): (int(row["sent"] or 0), int(row["failed"] or 0)) for row in days}
    by_day = []
    day = period_start
    while day <= period_end:
        sent, failed = by_day_found.get(day, (0, 0))
        by_day.append((day, sent, failed))
        day += timedelta(days=1)
    totals = dict(totals)
    return DeliveryFigures(
        campaigns=int(totals["campaigns"] or 0), sent=int(totals["sent"] or 0),
        delivered=int(totals["delivered"] or 0), failed=int(totals["failed"] or 0),
        skipped=int(totals["skipped"] or 0), by_day=by_day,
    )
