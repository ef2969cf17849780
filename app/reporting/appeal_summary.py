"""Appeal measures read from the daily summary (`AppealDailyStat`) instead of the appeals.

Use:

    table = await summary_measures(period_start=..., period_end=..., group_by=GroupBy.organisation,
                                   scope=scope, settings=settings, now=None)
    table.rows: list[MeasureRow]   # as app.appeal.measures.measures returns them: labelled, scored, ranked
    table.total: MeasureRow
    table.refreshed_at: datetime | None   # when the summary was last brought up to date

    points = await appeal_trend(period_start=..., period_end=..., scope=scope, bucket="week")
    # one TrendPoint per day / ISO week (starting Monday) / month overlapping the period, in order,
    # zero-filled: TrendPoint(start, end, received, accepted, closed, replied)

`overdue_now` on every row is live (open appeals past their deadline now), as in measures.

Why a summary agrees with `app.appeal.measures` exactly: every measure there counts an appeal on
exactly one Shanghai day (received: the day it was submitted; accepted and the accept time: the
acceptance day; dispatched, 响应率 and the respond time: the dispatch day; replied: the reply day;
declined, closed, merged, 解决率, 满意率, 重办率 and the close time: the closing day; 按期办结率:
the day its on-time fate was decided), so a period's figure is the sum of its days' rows. The
rows are built by one INSERT ... SELECT (`appeal_rows_sql`) that evaluates the very conditions of
`app.appeal.measures` (`_flag_sql`, `_MEASURES`) over "the period from day W on", and puts each
appeal's contribution on its day. Averages are stored as summed working days and counts;
working days come from `report_working_day` (the working calendar as a table), so the mean is
`WorkingCalendar.working_days_between` averaged, as in measures.

Counts that depend on "now" (an unanswered appeal enters the 响应率 denominator when its respond
deadline passes; an unreplied one enters the 按期办结率 denominator when its resolve deadline
passes) are as of the last refresh (`refreshed_at`), at most one cron interval old.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from tortoise import connections

from app.appeal.calendar import SHANGHAI
from app.appeal.measures import (
    _KEYS,
    _MEASURES,
    _ORGANISATION_KEY,
    DEFAULT_MIN_CASES,
    RATE_PARTS,
    GroupBy,
    MeasureRow,
    Rate,
    _flag_sql,
    _label,
    _ordered,
    _rank,
    _Sql,
    measure_weights,
    score,
)
from app.config import Settings
from app.reporting.models import SummaryState
from app.reporting.scope import ReportScope

__all__ = ["MeasureTable", "TrendPoint", "appeal_rows_sql", "appeal_trend", "summary_measures"]

SUMMED = (
    "received", "accepted", "declined", "dispatched", "replied", "closed", "merged",
    "response_den", "response_num", "on_time_den", "on_time_num", "resolution_den", "resolution_num",
    "satisfaction_den", "satisfaction_num", "reopen_den", "reopen_num",
    "accept_n", "accept_days", "respond_n", "respond_days", "close_n", "close_days",
)
"""The additive columns of `report_appeal_daily`, in table order."""
_FLOAT_COLUMNS = {"accept_days", "respond_days", "close_days"}
_GROUP_COLUMN = {
    GroupBy.organisation: "organisation_id",
    GroupBy.district: "district",
    GroupBy.category: "category",
    GroupBy.total: None,
}
_GROUPING = {GroupBy.organisation: "o", GroupBy.district: "d", GroupBy.category: "c", GroupBy.total: "o"}
"""Which rows of `report_appeal_daily` a table sums (the totals read the organisation rows)."""
_FAR_FUTURE = datetime(3000, 1, 1, tzinfo=timezone.utc)
"""The open end of "the period from day W on" (inlined into the flag conditions)."""


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


# -- building the rows ----------------------------------------------------------------------


def local_day(sql: _Sql, column: str) -> str:
    """The Shanghai calendar day of a timestamp column, as the summary's `day` column stores it.

    SQLite: the date part of the stored text (tortoise writes timestamps in Shanghai time, see
    `_Sql`), exact to the microsecond like the measures' text comparisons."""
    if sql.postgres:
        return f"CAST(({column} AT TIME ZONE 'Asia/Shanghai') AS DATE)"
    return f"substr({column}, 1, 10)"


def _day_fraction(sql: _Sql, column: str) -> str:
    """How much of its Shanghai day has elapsed at a timestamp, 0 ≤ x < 1."""
    if sql.postgres:
        return f"(EXTRACT(EPOCH FROM CAST(({column} AT TIME ZONE 'Asia/Shanghai') AS TIME)) / 86400.0)"
    return f"(julianday({column}) + 1.0 / 3 - julianday(substr({column}, 1, 10)))"


def day_literal(sql: _Sql, day: date) -> str:
    return f"DATE '{day.isoformat()}'" if sql.postgres else f"'{day.isoformat()}'"


_DECIDED = (
    # When an appeal's on-time fate was decided (as app.appeal.measures._flag_sql): its reply if
    # that met the deadline, else the deadline.
    "(CASE WHEN b.replied_at IS NOT NULL AND b.replied_at <= b.resolve_due_at "
    "THEN b.replied_at ELSE b.resolve_due_at END)"
)
_WORKING_TIMES = {
    # alias -> timestamp whose working time W(t) the averages need
    "created": "b.created_at", "accepted": "b.accepted_at", "dispatched": "b.dispatched_at",
    "first_response": "b.first_response_at", "closed": "b.closed_at",
}


def _case(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def appeal_rows_sql(sql: _Sql, *, since: date | None, now: datetime) -> str:
    """INSERT INTO report_appeal_daily ... : the rows of every day from `since` on (None: all days).

    Layers: `f` — one row per appeal that contributes on a day ≥ `since` (one of its step
    timestamps or its resolve deadline falls then): its keys, the measures' elementary flags for
    the period [since, ∞) and "now", the Shanghai days of its steps and W(t) of the timestamps
    the averages need; then one SELECT per step day (received, accepted, dispatched, replied,
    closed, decided) putting each measure on its day; summed per day and key."""
    start = datetime.combine(since, time.min, tzinfo=SHANGHAI) if since else datetime(1900, 1, 1, tzinfo=SHANGHAI)
    flags = _flag_sql(sql, start, _FAR_FUTURE, now)
    flags.pop("relevant")
    flags.pop("f_overdue_now")
    at = sql.at(start)
    relevant = " OR ".join(
        f"b.{column} >= {at}"
        for column in ("created_at", "accepted_at", "dispatched_at", "replied_at", "closed_at", "resolve_due_at")
    )
    joins = []
    selected = [
        f"{_ORGANISATION_KEY} AS k_organisation", "b.owner_organisation_id AS k_owner", "b.district AS k_district",
        "b.category AS k_category",
    ]
    selected += [f"{condition} AS {name}" for name, condition in flags.items()]
    for name, column in (
        ("created", "b.created_at"), ("accepted", "b.accepted_at"), ("dispatched", "b.dispatched_at"),
        ("replied", "b.replied_at"), ("closed", "b.closed_at"), ("decided", _DECIDED),
    ):
        selected.append(f"{local_day(sql, column)} AS d_{name}")
    for name, column in _WORKING_TIMES.items():
        joins.append(f"LEFT JOIN report_working_day w_{name} ON w_{name}.day = {local_day(sql, column)}")
        selected.append(
            f"(w_{name}.\"before\" + CASE WHEN w_{name}.working THEN {_day_fraction(sql, column)} ELSE 0 END) AS w_{name}"
        )
    base = f"SELECT {', '.join(selected)} FROM appeal b {' '.join(joins)}"
    if since is not None:
        base += f" WHERE {relevant}"

    def part(day: str, where: str, values: dict[str, str]) -> str:
        columns = [f"f.{day} AS day", "f.k_organisation", "f.k_owner", "f.k_district", "f.k_category"]
        for name in SUMMED:
            value = values.get(name)
            if value is None:
                value = "0.0" if name in _FLOAT_COLUMNS else "0"
            columns.append(f"{value} AS {name}")
        return f"SELECT {', '.join(columns)} FROM f WHERE {where}"

    closed = _MEASURES["closed"]
    parts = [
        part("d_created", "f_received", {"received": "1"}),
        part("d_accepted", "f_accepted", {
            "accepted": "1", "accept_n": "1", "accept_days": "(f.w_accepted - f.w_created)",
        }),
        part("d_dispatched", "f_dispatched", {
            "dispatched": "1",
            "response_den": _case(_MEASURES["response_den"]),
            "response_num": _case(_MEASURES["response_num"]),
            "respond_n": _case("f_responded"),
            "respond_days": "CASE WHEN f_responded THEN f.w_first_response - f.w_dispatched ELSE 0.0 END",
        }),
        part("d_replied", "f_replied", {"replied": "1"}),
        part("d_closed", "f_closed_in", {
            name: _case(_MEASURES[name])
            for name in ("declined", "closed", "merged", "resolution_den", "resolution_num", "satisfaction_den",
                         "satisfaction_num", "reopen_den", "reopen_num")
        } | {"close_n": _case(closed), "close_days": f"CASE WHEN {closed} THEN f.w_closed - f.w_created ELSE 0.0 END"}),
        part("d_decided", "f_decided", {"on_time_den": "1", "on_time_num": _case(_MEASURES["on_time_num"])}),
    ]
    sums = ", ".join(f"SUM(u.{name})" for name in SUMMED)
    keys = "u.day, u.k_organisation, u.k_owner"
    groupings = [
        # (grouping, district column, category column): see AppealDailyStat.
        ("o", "NULL", "''", keys),
        ("d", "u.k_district", "''", f"{keys}, u.k_district"),
        ("c", "NULL", "COALESCE(u.k_category, '')", f"{keys}, COALESCE(u.k_category, '')"),
    ]
    selects = " UNION ALL ".join(
        f"SELECT '{grouping}', {keys}, {district}, {category}, {sums} FROM u GROUP BY {group}"
        for grouping, district, category, group in groupings
    )
    return (
        f"INSERT INTO report_appeal_daily (grouping, day, organisation_id, owner_organisation_id, district, category, "
        f"{', '.join(SUMMED)}) "
        f"WITH f AS ({base}), u AS ({' UNION ALL '.join(parts)}) {selects}"
    )


# -- reading ---------------------------------------------------------------------------------


def scope_condition(scope: ReportScope, *, organisation: str = "organisation_id", owner: str = "owner_organisation_id") -> str:
    """SQL for the scope over summary (or appeal) columns: the attributed organisation in scope,
    or, with `includes_intake`, the owning organisation. Ids are integers inlined."""
    if scope.organisation_ids is None:
        return "1 = 1"
    ids = ", ".join(str(int(i)) for i in sorted(scope.organisation_ids)) or "-1"
    condition = f"{organisation} IN ({ids})"
    if scope.includes_intake:
        condition = f"({condition} OR {owner} IN ({ids}))"
    return condition


def _sql() -> tuple[Any, _Sql]:
    connection = connections.get("default")
    return connection, _Sql(connection.capabilities.dialect)


def _key(group_by: GroupBy, value: Any) -> int | str | None:
    if group_by is GroupBy.total:
        return "total"
    if value is None:
        return None
    return int(value) if group_by is GroupBy.organisation else str(value)


def _row(group_by: GroupBy, key: Any, record: dict[str, Any]) -> MeasureRow:
    row = MeasureRow(group_by=group_by, key=key, label="")
    for name in ("received", "accepted", "declined", "dispatched", "replied", "closed", "merged"):
        setattr(row, name, int(record[name] or 0))
    for part in RATE_PARTS:
        setattr(row, part, Rate(int(record[f"{part}_num"] or 0), int(record[f"{part}_den"] or 0)))
    # The case rule of app.appeal.measures: the largest of the three rate denominators.
    row.cases = max(row.response.denominator, row.on_time.denominator, row.resolution.denominator)
    for name, n, days in (
        ("avg_accept_days", "accept_n", "accept_days"), ("avg_respond_days", "respond_n", "respond_days"),
        ("avg_close_days", "close_n", "close_days"),
    ):
        count = int(record[n] or 0)
        if count:
            setattr(row, name, max(0.0, float(record[days] or 0.0) / count))
    return row


_OPEN = "('submitted', 'held', 'accepted', 'dispatched', 'in_progress')"
"""The statuses measures treat as open (waiting or being handled): they take part whatever the period."""


async def _overdue_now(group_by: GroupBy, scope: ReportScope, now: datetime) -> dict[Any, int]:
    """Per key with open appeals, how many are past a deadline now — live, as measures'
    `overdue_now` (measures lists a row for every key with an open appeal, overdue or not).

    The scope is read from the appeal's *current* lead (or owner): an open appeal is overdue for
    whoever holds it now. It differs from the attribution only for an open appeal reopened and
    moved to another organisation, and it lets PostgreSQL scan the open appeals in parallel
    instead of evaluating the timeline lookups for each."""
    connection, sql = _sql()
    overdue = _flag_sql(sql, now, now, now)["f_overdue_now"]
    key = _KEYS[group_by]
    where = scope_condition(scope, organisation="b.lead_organisation_id", owner="b.owner_organisation_id")
    grouping = "" if group_by is GroupBy.total else f" GROUP BY {key}"  # PostgreSQL refuses GROUP BY 'total'
    statement = (
        f"SELECT {key} AS k, SUM(CASE WHEN {overdue} THEN 1 ELSE 0 END) AS n, COUNT(*) AS c FROM appeal b "
        f"WHERE b.status IN {_OPEN} AND {where}{grouping}"
    )
    _, rows = await connection.execute_query(statement)
    rows = [row for row in rows if row["c"]]
    return {_key(group_by, row["k"]): int(row["n"] or 0) for row in rows}


async def refreshed_at(name: str = "appeal") -> datetime | None:
    state = await SummaryState.get_or_none(name=name)
    return state.refreshed_at if state else None


async def summary_measures(
    *, period_start: date, period_end: date, group_by: GroupBy, scope: ReportScope, settings: Settings,
    now: datetime | None = None, overdue: bool = True,
) -> MeasureTable:
    """The measures table of `app.appeal.measures.measures` for a period and scope, summed from the
    daily summary: same rows, labels, scores, ranks and order (overdue_now live at `now`).

    `overdue=False` leaves overdue_now at 0 and skips the one live query (over the open appeals):
    a comparison with an earlier period has no use for "overdue now", and it is the costly part."""
    group_by = GroupBy(group_by)
    now = now or datetime.now(timezone.utc)
    connection, sql = _sql()
    column = _GROUP_COLUMN[group_by] or "organisation_id"
    sums = ", ".join(f"SUM({name}) AS {name}" for name in SUMMED)
    statement = (
        f"SELECT {column} AS k, COUNT(*) AS n, {sums} FROM report_appeal_daily "
        f"WHERE grouping = '{_GROUPING[group_by]}' "
        f"AND day >= {day_literal(sql, period_start)} AND day <= {day_literal(sql, period_end)} "
        f"AND {scope_condition(scope)} GROUP BY {column}"
    )
    _, records = await connection.execute_query(statement)
    records = [dict(record) for record in records if record["n"]]
    # The total sums the same rows: every appeal has exactly one key per grouping.
    overall = {name: sum((record[name] or 0) for record in records) for name in SUMMED}
    overdue = await _overdue_now(group_by, scope, now) if overdue else {}

    weights = measure_weights(settings)
    min_cases = settings.appeal_measure_min_cases if settings is not None else DEFAULT_MIN_CASES
    total = _row(GroupBy.total, "total", overall)
    total.overdue_now = sum(overdue.values())
    total.score = score(total, weights)
    await _label({"total": total}, GroupBy.total)
    if group_by is GroupBy.total:
        return MeasureTable(rows=[total], total=total, refreshed_at=await refreshed_at())

    table: dict[Any, MeasureRow] = {}
    for record in records:
        key = _key(group_by, record.get("k"))
        table[key] = _row(group_by, key, record)
    for key, n in overdue.items():
        table.setdefault(key, MeasureRow(group_by=group_by, key=key, label="")).overdue_now = n
    for row in table.values():
        row.score = score(row, weights)
        row.ranked = row.key is not None and row.score is not None and row.cases >= min_cases
    _rank([row for row in table.values() if row.ranked])
    await _label(table, group_by)
    rows = _ordered(list(table.values()), group_by)
    return MeasureTable(rows=rows, total=total, refreshed_at=await refreshed_at())


def buckets(period_start: date, period_end: date, bucket: str) -> list[tuple[date, date]]:
    """The (first, last) days of each day / ISO week (Monday first) / month overlapping the
    period, clipped to it, in order."""
    if bucket not in ("day", "week", "month"):
        raise ValueError(f"unknown trend bucket {bucket!r} (day, week, month)")
    result: list[tuple[date, date]] = []
    current = period_start
    while current <= period_end:
        if bucket == "day":
            last = current
        elif bucket == "week":
            last = current + timedelta(days=6 - current.weekday())
        else:
            last = current.replace(day=monthrange(current.year, current.month)[1])
        last = min(last, period_end)
        result.append((current, last))
        current = last + timedelta(days=1)
    return result


async def appeal_trend(*, period_start: date, period_end: date, scope: ReportScope, bucket: str = "week") -> list[TrendPoint]:
    """Received / accepted / replied / closed per bucket of the period, zero-filled."""
    spans = buckets(period_start, period_end, bucket)
    connection, sql = _sql()
    statement = (
        "SELECT day, SUM(received) AS received, SUM(accepted) AS accepted, SUM(replied) AS replied, "
        "SUM(closed) AS closed FROM report_appeal_daily "
        f"WHERE grouping = 'o' AND day >= {day_literal(sql, period_start)} AND day <= {day_literal(sql, period_end)} "
        f"AND {scope_condition(scope)} GROUP BY day"
    )
    _, records = await connection.execute_query(statement)
    by_day = {as_date(r["day"]): r for r in records}
    points = []
    for first, last in spans:
        totals = {"received": 0, "accepted": 0, "replied": 0, "closed": 0}
        day = first
        while day <= last:
            record = by_day.get(day)
            if record:
                for name in totals:
                    totals[name] += int(record[name] or 0)
            day += timedelta(days=1)
        points.append(TrendPoint(start=first, end=last, **totals))
    return points


def as_date(value: Any) -> date:
    """A `day` column as read back (a date, a datetime or ISO text, by backend)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
