"""Bringing the summary tables up to date: incrementally every few minutes, or rebuilt whole.

Use:

    result = await refresh_summaries(settings=settings, full=False, now=None)   # -> RefreshResult
    await refresh_summaries_job(ctx)      # the arq cron job (every 5 minutes); settings: ctx["resources"].settings

**Which days an incremental refresh recomputes.** The appeal summary is rebuilt from day W on
(rows of days ≥ W deleted and inserted again from the appeals), where W is the earliest of:

* yesterday (`RECOMPUTE_DAYS`: a small fixed window that absorbs clock and day-boundary slack);
* the submission day of every appeal changed since the last refresh (`updated_at` ≥ watermark −
  `MARGIN`): a change can move *any* of the appeal's rows — a reopen re-attributes its old
  received row to the organisation that replies next, a closure adds its closed row —, and its
  earliest row is on its submission day;
* the dispatch day of every appeal whose respond deadline passed since then (it enters the
  响应率 denominator on its dispatch day without being changed), and the day of every resolve
  deadline that passed since then (按期办结率, counted on the deadline's day).

The rows of days ≥ W are then computed from the appeals that have any step or resolve deadline
on a day ≥ W — the only ones that can contribute there (each contribution lies on the day of a
step or of the deadline). Appeals are never deleted by the application; a hand-deleted one
stays counted until a full refresh. `MARGIN` covers transactions that committed after the
refresh read the appeals but had set `updated_at` before the watermark.

**Deliveries** are counted on the day they reached their final state; that moment only moves
forward and is always "now" when it is set, so the delivery summary is recomputed from
min(today − RECOMPUTE_DAYS, the watermark's day) on. A recipient's district is read at refresh
time (their lowest-numbered active binding's enterprise); a full refresh re-reads all of them.

**One refresh at a time.** Every refresh runs in one transaction that first locks the state
row (`SELECT ... FOR UPDATE` on PostgreSQL): the cron job on several workers, the CLI and an
on-demand refresh queue behind each other, and the second then finds the first's watermark and
has little left to do. The lock lives in the database the rows are written to, needs no Redis,
and is released when the transaction ends, even if the process dies. Deleting and inserting a
day's rows in that same transaction means a reader sees the old rows or the new, never neither.
On SQLite (tests, the embedded default) there is one writer anyway, and an in-process lock
serialises refreshes of one event loop.

**The working calendar** is written to `report_working_day` for the days the appeals span; if
the calendar changed for a day already there (a holiday override added in the settings), the
appeal summary is rebuilt whole, since its stored working-day sums used the old calendar.
"""

from __future__ import annotations

import asyncio
import logging
import time as monotonic
import weakref
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from app.appeal.calendar import SHANGHAI, WorkingCalendar
from app.appeal.measures import _Sql
from app.reporting.appeal_summary import appeal_rows_sql, as_date, day_literal, local_day
from app.reporting.delivery_summary import delivery_rows_sql

__all__ = ["MARGIN", "RECOMPUTE_DAYS", "RefreshResult", "refresh_summaries", "refresh_summaries_job"]

log = logging.getLogger(__name__)

RECOMPUTE_DAYS = 1
MARGIN = timedelta(minutes=10)
_FUTURE_DAYS = 31
"""Working days are tabled this far past today (timestamps a little ahead of the clock)."""

_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class RefreshResult:
    full: bool
    """Whether the appeal summary was rebuilt whole."""
    appeal_since: date | None
    """The first day recomputed (None: all)."""
    appeal_rows: int
    delivery_since: date | None
    delivery_rows: int
    seconds: float

    @property
    def rows(self) -> int:
        return self.appeal_rows + self.delivery_rows


def _lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _locks.get(loop)
    if lock is None:
        lock = _locks[loop] = asyncio.Lock()
    return lock


async def refresh_summaries(*, settings: Any, full: bool = False, now: datetime | None = None) -> RefreshResult:
    """Bring the appeal and delivery summaries up to date as of `now` (default: the clock);
    `full` rebuilds them from scratch. Returns what was recomputed and how long it took."""
    now = now or datetime.now(timezone.utc)
    started = monotonic.perf_counter()
    dialect = connections.get("default").capabilities.dialect
    sql = _Sql(dialect)
    async with _lock():
        # Make sure the state rows exist, outside the transaction (concurrent refreshes race here harmlessly).
        for name in ("appeal", "delivery"):
            await connections.get("default").execute_query(
                "INSERT INTO report_summary_state (name, last_seconds) VALUES ('" + name + "', 0) "
                "ON CONFLICT (name) DO NOTHING"
            )
        async with in_transaction() as connection:
            if sql.postgres:
                await connection.execute_query("SET LOCAL jit = off")
                # The rebuild sorts and groups millions of contributions: let it do so in memory.
                await connection.execute_query("SET LOCAL work_mem = '256MB'")
                await connection.execute_query(
                    "SELECT name FROM report_summary_state WHERE name IN ('appeal', 'delivery') ORDER BY name FOR UPDATE"
                )
            states = await _states(connection)
            calendar_changed = await _update_working_days(connection, sql, settings, now)
            appeal_full = full or calendar_changed or states["appeal"]["watermark"] is None
            appeal_since = None if appeal_full else await _appeal_since(connection, sql, states["appeal"]["watermark"], now)
            appeal_rows = await _rebuild(connection, sql, "report_appeal_daily", appeal_since,
                                         appeal_rows_sql(sql, since=appeal_since, now=now))
            delivery_mark = states["delivery"]["watermark"]
            delivery_since = None
            if not full and delivery_mark is not None:
                delivery_since = min(_today(now) - timedelta(days=RECOMPUTE_DAYS), _shanghai_day(delivery_mark - MARGIN))
            delivery_rows = await _rebuild(connection, sql, "report_delivery_daily", delivery_since,
                                           delivery_rows_sql(sql, since=delivery_since))
            seconds = monotonic.perf_counter() - started
            finished = datetime.now(timezone.utc)
            for name, rebuilt in (("appeal", appeal_full), ("delivery", delivery_since is None)):
                await connection.execute_query(
                    "UPDATE report_summary_state SET watermark = " + sql.at(now) + ", refreshed_at = " + sql.at(finished)
                    + (", rebuilt_at = " + sql.at(finished) if rebuilt else "")
                    + f", last_seconds = {seconds:.6f} WHERE name = '{name}'"
                )
    result = RefreshResult(
        full=appeal_full, appeal_since=appeal_since, appeal_rows=appeal_rows, delivery_since=delivery_since,
        delivery_rows=delivery_rows, seconds=monotonic.perf_counter() - started,
    )
    log.info("summaries refreshed", extra={"full": result.full, "appeal_since": str(appeal_since),
                                           "rows": result.rows, "seconds": round(result.seconds, 3)})
    return result


async def refresh_summaries_job(ctx: dict[str, Any]) -> Any:
    result = await refresh_summaries(settings=ctx["resources"].settings)
    return {"full": result.full, "rows": result.rows, "seconds": round(result.seconds, 3)}


def _today(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


def _shanghai_day(moment: Any) -> date:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(SHANGHAI).date()


async def _states(connection: Any) -> dict[str, dict[str, Any]]:
    _, rows = await connection.execute_query("SELECT name, watermark FROM report_summary_state")
    states = {row["name"]: dict(row) for row in rows}
    for state in states.values():
        if isinstance(state["watermark"], str):
            state["watermark"] = datetime.fromisoformat(state["watermark"])
    return states


async def _appeal_since(connection: Any, sql: _Sql, watermark: datetime, now: datetime) -> date:
    """W: the first day whose rows may have changed since the watermark (see the module docstring)."""
    since, at_now = sql.at(watermark - MARGIN), sql.at(now)
    statement = (
        f"SELECT MIN(CASE WHEN updated_at >= {since} THEN {local_day(sql, 'created_at')} END) AS changed, "
        f"MIN(CASE WHEN respond_due_at >= {since} AND respond_due_at <= {at_now} "
        f"THEN {local_day(sql, 'dispatched_at')} END) AS responded, "
        f"MIN(CASE WHEN resolve_due_at >= {since} AND resolve_due_at <= {at_now} "
        f"THEN {local_day(sql, 'resolve_due_at')} END) AS decided FROM appeal"
    )
    _, [row] = await connection.execute_query(statement)
    days = [_today(now) - timedelta(days=RECOMPUTE_DAYS)]
    days += [as_date(value) for value in dict(row).values() if value is not None]
    return min(days)


async def _rebuild(connection: Any, sql: _Sql, table: str, since: date | None, insert: str) -> int:
    where = f" WHERE day >= {day_literal(sql, since)}" if since is not None else ""
    await connection.execute_query(f"DELETE FROM {table}{where}")
    await connection.execute_query(insert)
    if sql.postgres and since is None:
        # A rebuilt table is all new rows: give the planner their statistics now rather than
        # after autovacuum gets round to it (a stale estimate picks a slow plan for a year's sums).
        await connection.execute_query(f"ANALYZE {table}")
    _, [row] = await connection.execute_query(f"SELECT COUNT(*) AS n FROM {table}{where}")
    return int(dict(row)["n"])


async def _update_working_days(connection: Any, sql: _Sql, settings: Any, now: datetime) -> bool:
    """Table the working calendar from the first appeal's day to a month ahead; True if a day
    already tabled changed (the calendar, or the first day, moved), so the sums must be rebuilt."""
    _, [row] = await connection.execute_query(f"SELECT MIN({local_day(sql, 'created_at')}) AS first FROM appeal")
    today = max(_today(now), _today(datetime.now(timezone.utc)))
    first = as_date(dict(row)["first"]) if dict(row)["first"] is not None else today
    last = today + timedelta(days=_FUTURE_DAYS)
    _, existing_rows = await connection.execute_query('SELECT day, working, "before" FROM report_working_day')
    existing = {as_date(r["day"]): (bool(r["working"]), float(r["before"])) for r in existing_rows}
    calendar = WorkingCalendar.from_settings(settings)
    wanted: dict[date, tuple[bool, float]] = {}
    before = 0.0
    day = min(first, min(existing, default=first))
    while day <= max(last, max(existing, default=last)):
        working = calendar.is_working_day(day)
        wanted[day] = (working, before)
        before += 1.0 if working else 0.0
        day += timedelta(days=1)
    changed = any(wanted.get(day) != values for day, values in existing.items())
    if changed:
        await connection.execute_query("DELETE FROM report_working_day")
        existing = {}
    missing = [(day, values) for day, values in wanted.items() if day not in existing]
    for offset in range(0, len(missing), 500):
        values = ", ".join(
            f"({day_literal(sql, day)}, {'TRUE' if working else 'FALSE'}, {before})"
            for day, (working, before) in missing[offset:offset + 500]
        )
        await connection.execute_query(f'INSERT INTO report_working_day (day, working, "before") VALUES {values}')
    return changed and bool(existing_rows)
