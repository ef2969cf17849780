"""Appeal measures (考核指标) per organisation, district, category or in total, for a period.

No official definition or weighting of 12345's 响应率 / 解决率 / 满意率 has been published
(see the government reference §1.4), so the definitions below are this module's documented
defaults and the weights are configuration (`APPEAL_MEASURE_WEIGHTS`). docs/appeal-measures.md
is the reader's copy of these definitions; keep the two in step.

The period is `period_start`..`period_end`, whole Shanghai calendar days, both included. "In
the period" means a timestamp within it. Every measure is read from the appeal's columns, which
describe its *current handling round*: a redispatch, an escalation or a reopen starts new
respond / resolve clocks (`dispatched_at`, `respond_due_at`, `resolve_due_at`,
`first_response_at`), so an appeal is measured on the round it is in or ended with.

Rates (numerator / denominator; None — shown as "—" — when the denominator is 0):

* **响应率 response_rate**: appeals dispatched in the period whose first response
  (签收 or a reply, `first_response_at`) came by `respond_due_at`, over the appeals dispatched
  in the period that have been responded to or whose respond deadline has passed (an appeal
  still within its deadline and not yet answered is not counted either way).
* **按期办结率 on_time_rate**: appeals replied by `resolve_due_at`, over the appeals whose
  on-time fate was decided in the period — replied in the period before their deadline, or
  whose deadline fell in the period (and has passed) without a reply by then. Each appeal is
  counted in exactly one period: at the earlier of its reply and its deadline.
* **解决率 resolution_rate**: appeals closed in the period that the enterprise confirmed
  resolved, over those closed in the period with a verdict (resolved or unresolved; closed as
  未评价 or merged are left out).
* **满意率 satisfaction_rate**: of the appeals closed in the period with a verdict and a
  satisfaction level, those rated 非常满意, 满意 or 基本满意.
* **重办率 reopen rate**: appeals closed in the period (merged ones excluded) that were
  reopened at least once, over the appeals closed in the period.

Averages, in working days (`WorkingCalendar.working_days_between`: weekends, public holidays
and adjusted working days of the national calendar and the settings' overrides):

* **受理用时** submission → acceptance, for appeals accepted in the period;
* **响应用时** dispatch → first response, for appeals dispatched in the period and responded to;
* **办结用时** submission → closure, for appeals closed in the period (merged excluded).

Counts: received (submitted in the period), accepted, declined, dispatched, replied and
closed (each by the date of that step, in the period; closed excludes merged duplicates),
merged, and **overdue now** — open appeals past their current deadline at this moment (not
accepted and dispatched by `accept_due_at`, or being handled and past `resolve_due_at`, or not yet signed
for past `respond_due_at`), whatever the period.

**Weighted score** = 100 × Σ weightᵢ × rateᵢ / Σ weightᵢ over the four rates that have a value
(default weights 响应率 0.2, 按期办结率 0.3, 解决率 0.25, 满意率 0.25, overridden per rate by
`APPEAL_MEASURE_WEIGHTS`); so with all four rates known and the default weights it is simply
Σ weight × rate × 100. A row whose rates are all "—" has no score. Rows are ranked by score
(equal scores share a rank) when they have at least `APPEAL_MEASURE_MIN_CASES` cases (default
5; the cases of a row are the largest of its 响应率, 按期办结率 and 解决率 denominators — a
number made of sums, so the daily summary of app.reporting gives it exactly); smaller ones are
listed but not ranked, and so is the "未分派" row.

**Attribution.** By organisation, an appeal belongs to the lead organisation at (its latest)
reply time. Only a reopen changes the lead after a reply, so for an appeal never reopened that is
its lead column (and, not replied yet, its current lead; never dispatched, or returned and
waiting: no organisation, "未分派"). A reopened appeal is read from the timeline: the organisation
the latest `dispatch`, `redispatch` or `escalate` event before its latest `reply` made lead — so
one redispatched elsewhere stays with the organisation that replied until the new lead replies —
else the organisation recorded on that reply. By district: the appeal's district; by category:
its category.

**Scope.** Only the appeals `app.appeal.access.staff_appeals` lets the viewer see are measured
(a district administrator: their district's intake and what its organisations handle; a
department handler: what their organisation handles; city-wide roles: everything). A scoped
league table therefore ranks only within that scope.

**How it is computed.** One SQL statement per table: each appeal's conditions evaluated once,
then conditional sums grouped by the key, and for the averages, per key and Shanghai day, how
many timestamps fell on that day and their summed seconds — working time is additive (with W(t)
the working time from a fixed origin to t, working_days_between(a, b) = W(b) − W(a)), so the
calendar turns those sums into the exact mean. Nothing is loaded row by row, on PostgreSQL or
SQLite (benchmarks/appeal_measures.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import connections
from tortoise.transactions import in_transaction

from app.appeal.access import staff_appeals
from app.appeal.calendar import SHANGHAI, WorkingCalendar
from app.appeal.categories import CATEGORIES
from app.appeal.errors import AppealError
from app.appeal.models import Appeal, AppealStatus, CloseReason, Satisfaction
from app.config import Settings
from app.db import TIMEZONE as DB_TIMEZONE
from app.enterprise.reference import District, LabelledEnum
from app.organisation.models import Organisation
from app.staff.models import Staff

__all__ = [
    "DEFINITIONS",
    "DRILL_DOWN",
    "DEFAULT_MIN_CASES",
    "DEFAULT_WEIGHTS",
    "RATES",
    "SATISFIED_LEVELS",
    "GroupBy",
    "MeasureRow",
    "PeriodKind",
    "Rate",
    "attributed_organisations",
    "measure_appeals",
    "measure_weights",
    "measures",
    "period_for",
    "row_label",
]

RATES: dict[str, str] = {
    "response_rate": "响应率",
    "on_time_rate": "按期办结率",
    "resolution_rate": "解决率",
    "satisfaction_rate": "满意率",
}
"""The rates the weighted score is made of (name -> Chinese label), in display order."""

DEFAULT_WEIGHTS: dict[str, float] = {
    "response_rate": 0.2,
    "on_time_rate": 0.3,
    "resolution_rate": 0.25,
    "satisfaction_rate": 0.25,
}
DEFAULT_MIN_CASES = 5

SATISFIED_LEVELS = (Satisfaction.very_satisfied, Satisfaction.satisfied, Satisfaction.basically_satisfied)
"""The 好差评 levels that count as satisfied (the upper three of five)."""

UNASSIGNED_LABEL = "未分派"
NO_DISTRICT_LABEL = "未注明区"
TOTAL_LABEL = "合计"

DEFINITIONS: tuple[tuple[str, str], ...] = (
    ("响应率", "统计期内分派的诉求中，在响应时限内签收或答复的比例。分母为统计期内分派、且已响应或响应时限已过的诉求（尚在时限内未响应的不计）。"),
    ("按期办结率", "在办结时限内答复的比例。每件诉求只计入一个统计期：按时答复的计入答复所在期，逾期或未答复的计入办结时限所在期（时限须已过）。"),
    ("解决率", "统计期内办结、且企业作出评价的诉求中，企业确认“已解决”的比例（逾期未评价、合并办理的不计）。"),
    ("满意率", "统计期内办结并评价满意度的诉求中，评价为非常满意、满意或基本满意的比例。"),
    ("重办率", "统计期内办结的诉求（合并办理的除外）中，曾因企业评价未解决而重办的比例。"),
    ("平均用时", "按工作日计算（扣除周末、法定节假日，计入调休上班日）：受理用时为提交至受理，响应用时为分派至首次响应，办结用时为提交至办结。"),
    ("当前超期", "此刻已超过受理、响应或办结时限仍未完成该环节的在办诉求，与统计期无关，与“督办”列表一致。"),
    ("综合得分", "各项比率乘以权重之和 ×100（只计有数据的比率，权重按其合计折算）。"),
    ("承办单位", "诉求计入最近一次答复时的主办单位（以办理记录为准，重办后改由新单位答复的计入新单位）；尚未答复的计入当前主办单位；尚未分派的计入“未分派”。"),
)
"""What each measure means, in the words staff read on the report page (the docstring above is the reference)."""

DRILL_DOWN: dict[str, str] = {
    "received": "收件",
    "accepted": "受理",
    "declined": "不予受理",
    "dispatched": "分派",
    "replied": "答复",
    "closed": "办结",
    "merged": "合并办理",
    "overdue_now": "当前超期",
    "response_den": "响应率·计入分母",
    "response_num": "按时响应",
    "on_time_den": "按期办结率·计入分母",
    "on_time_num": "按期答复",
    "resolution_den": "解决率·计入分母",
    "resolution_num": "已解决",
    "satisfaction_den": "满意率·计入分母",
    "satisfaction_num": "满意",
    "reopen_den": "重办率·计入分母",
    "reopen_num": "曾重办",
    "cases": "计入考核的案件",
}
"""The numbers of a measures row whose appeals can be listed (`measure_appeals`), with their labels."""

_UTC_OFFSET_SECONDS = 8 * 3600
"""Shanghai is UTC+8 all year (no daylight saving since 1991): the SQL works out local days with it."""
_DAY = 86400


class GroupBy(LabelledEnum):
    organisation = "organisation", "承办单位"
    district = "district", "区"
    category = "category", "诉求类别"
    total = "total", "全市合计"


class PeriodKind(LabelledEnum):
    this_month = "this_month", "本月"
    last_month = "last_month", "上月"
    this_quarter = "this_quarter", "本季度"
    custom = "custom", "自定义"


def period_for(kind: PeriodKind | str, *, today: date, start: date | None = None, end: date | None = None) -> tuple[date, date]:
    """The (first, last) day of a report period: this month or quarter up to today, last month
    whole, or a custom range (validated: both days given, start not after end)."""
    kind = PeriodKind(kind)
    if kind is PeriodKind.this_month:
        return today.replace(day=1), today
    if kind is PeriodKind.last_month:
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if kind is PeriodKind.this_quarter:
        first_month = (today.month - 1) // 3 * 3 + 1
        return date(today.year, first_month, 1), today
    if start is None or end is None:
        raise AppealError("请填写开始日期和结束日期（格式 2024-01-31）", code="invalid_period", field="start")
    if start > end:
        raise AppealError("开始日期不能晚于结束日期", code="invalid_period", field="start")
    return start, end


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """numerator / denominator, None when nothing was counted."""
        return self.numerator / self.denominator if self.denominator else None


@dataclass
class MeasureRow:
    """One line of a measures table: counts, rates, average working days, score and rank."""

    group_by: GroupBy
    key: int | str | None
    """Organisation id, district code, category code, or "total"; None: unassigned / no district."""
    label: str
    received: int = 0
    accepted: int = 0
    declined: int = 0
    dispatched: int = 0
    replied: int = 0
    closed: int = 0
    merged: int = 0
    overdue_now: int = 0
    cases: int = 0
    """The largest of the 响应率, 按期办结率 and 解决率 denominators (the minimum for ranking applies to it).
    Not "appeals in any denominator": that is not a sum of daily figures, this is."""
    response: Rate = Rate(0, 0)
    on_time: Rate = Rate(0, 0)
    resolution: Rate = Rate(0, 0)
    satisfaction: Rate = Rate(0, 0)
    reopen: Rate = Rate(0, 0)
    avg_accept_days: float | None = None
    avg_respond_days: float | None = None
    avg_close_days: float | None = None
    score: float | None = None
    rank: int | None = None
    ranked: bool = False
    """Whether the row takes part in the ranking (enough cases, an organisation, a score)."""

    @property
    def response_rate(self) -> float | None:
        return self.response.value

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time.value

    @property
    def resolution_rate(self) -> float | None:
        return self.resolution.value

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfaction.value

    @property
    def reopen_rate(self) -> float | None:
        return self.reopen.value

    def rate(self, name: str) -> float | None:
        return getattr(self, name)


def measure_weights(settings: Settings | None) -> dict[str, float]:
    """The defaults with `APPEAL_MEASURE_WEIGHTS` applied; a precise error for an unknown rate,
    a negative weight, or weights that are all zero."""
    weights = dict(DEFAULT_WEIGHTS)
    overrides = settings.appeal_measure_weights if settings is not None else {}
    for name, weight in overrides.items():
        if name not in DEFAULT_WEIGHTS:
            raise ValueError(f"APPEAL_MEASURE_WEIGHTS: unknown measure {name!r} (known: {', '.join(DEFAULT_WEIGHTS)})")
        if weight < 0:
            raise ValueError(f"APPEAL_MEASURE_WEIGHTS: weight of {name!r} must not be negative")
        weights[name] = float(weight)
    if sum(weights.values()) <= 0:
        raise ValueError("APPEAL_MEASURE_WEIGHTS: at least one weight must be positive")
    return weights


def score(row: MeasureRow, weights: dict[str, float]) -> float | None:
    """100 × Σ wᵢ·rateᵢ / Σ wᵢ over the rates that have a value (and a positive weight)."""
    total_weight = 0.0
    total = 0.0
    for name, weight in weights.items():
        value = row.rate(name)
        if value is None or weight <= 0:
            continue
        total_weight += weight
        total += weight * value
    if total_weight == 0:
        return None
    return 100 * total / total_weight


# -- SQL --------------------------------------------------------------------------------
#
# One statement per table, in three layers:
#
#   base   the appeals in scope that take part in anything in the period (`relevant`), with
#          their group key `k`;
#   flags  one row per such appeal: each elementary condition (a timestamp in the period, a
#          deadline met, ...) evaluated once, and the Shanghai-time seconds of the timestamps
#          the averages need (a WITH query referenced several times, so both backends
#          materialise it once);
#   result per key, the counts and the rates' numerators and denominators (conditional sums of
#          flag combinations, `_MEASURES`), and per key and Shanghai day the timestamps the
#          averages are made of (see `_fill_averages`), as one UNION ALL.


class _Sql:
    """The few expressions that differ between SQLite and PostgreSQL.

    PostgreSQL compares `timestamptz` columns. SQLite compares the stored text: tortoise writes
    every timestamp as `str(datetime)` in the configured zone (Asia/Shanghai, `app.db`), so
    text order is time order to the microsecond — SQLite's own date functions round to the
    millisecond, which would move a deadline of 23:59:59.999999 into the next day (and period).
    The period bounds and "now" are inlined as literals computed here, never request text.
    """

    def __init__(self, dialect: str) -> None:
        self.postgres = dialect == "postgres"

    def at(self, moment: datetime) -> str:
        if self.postgres:
            return f"'{moment.astimezone(timezone.utc).isoformat()}'::timestamptz"
        return f"'{moment.astimezone(ZoneInfo(DB_TIMEZONE))}'"

    def local_seconds(self, column: str) -> str:
        """Seconds since 1970-01-01 00:00 Shanghai time, as a float (NULL stays NULL)."""
        if self.postgres:
            return f"(date_part('epoch', {column}) + {_UTC_OFFSET_SECONDS})"
        return f"((julianday({column}) - 2440587.5) * {_DAY}.0 + {_UTC_OFFSET_SECONDS})"

    def day_of(self, seconds: str) -> str:
        """The day number (since 1970-01-01) of a `local_seconds` value."""
        if self.postgres:
            return f"CAST(FLOOR({seconds} / {_DAY}) AS BIGINT)"
        return f"CAST({seconds} / {_DAY} AS INTEGER)"  # positive: truncation is floor


def _quoted(values: Any) -> str:
    # Only enum values of this codebase are quoted here, never input.
    return ", ".join(f"'{getattr(value, 'value', value)}'" for value in values)


def _flag_sql(sql: _Sql, start: datetime, end: datetime, now: datetime) -> dict[str, str]:
    """The elementary conditions, over the base row `b` (each becomes one column of `flags`)."""
    p0, p1, at_now = sql.at(start), sql.at(end), sql.at(now)

    def within(column: str) -> str:
        return f"({column} >= {p0} AND {column} < {p1})"

    # When an appeal's on-time fate was decided: its reply if that met the deadline, else the deadline.
    decided = (
        "(CASE WHEN b.replied_at IS NOT NULL AND b.replied_at <= b.resolve_due_at "
        "THEN b.replied_at ELSE b.resolve_due_at END)"
    )
    # Waiting for the dispatcher: as the supervision's accept stage (app.appeal.deadlines.STAGES).
    waiting = _quoted((AppealStatus.submitted, AppealStatus.held, AppealStatus.accepted))
    handling = _quoted((AppealStatus.dispatched, AppealStatus.in_progress))
    return {
        "f_received": within("b.created_at"),
        "f_accepted": within("b.accepted_at"),
        "f_dispatched": within("b.dispatched_at"),
        "f_replied": within("b.replied_at"),
        "f_closed_in": within("b.closed_at"),
        "f_status_closed": f"b.status = '{AppealStatus.closed.value}'",
        "f_status_declined": f"b.status = '{AppealStatus.declined.value}'",
        "f_merged": f"COALESCE(b.close_reason, '') = '{CloseReason.merged.value}'",
        "f_not_merged": f"COALESCE(b.close_reason, '') <> '{CloseReason.merged.value}'",
        "f_verdict": f"COALESCE(b.close_reason, '') IN ({_quoted((CloseReason.resolved, CloseReason.unresolved))})",
        "f_resolved": f"COALESCE(b.close_reason, '') = '{CloseReason.resolved.value}'",
        "f_rated": "b.satisfaction IS NOT NULL",
        "f_satisfied": f"COALESCE(b.satisfaction, '') IN ({_quoted(SATISFIED_LEVELS)})",
        "f_reopened": "b.reopen_count > 0",
        "f_responded": "b.first_response_at IS NOT NULL",
        "f_responded_in_time": "COALESCE(b.first_response_at <= b.respond_due_at, FALSE)",
        "f_respond_passed": f"COALESCE(b.respond_due_at < {at_now}, FALSE)",
        "f_decided": f"(b.resolve_due_at IS NOT NULL AND {within(decided)} AND {decided} <= {at_now})",
        "f_replied_in_time": "COALESCE(b.replied_at <= b.resolve_due_at, FALSE)",
        "f_overdue_now": (
            f"((b.status IN ({waiting}) AND COALESCE(b.accept_due_at < {at_now}, FALSE)) OR "
            f"(b.status IN ({handling}) AND (COALESCE(b.resolve_due_at < {at_now}, FALSE) OR "
            f"(b.first_response_at IS NULL AND COALESCE(b.respond_due_at < {at_now}, FALSE)))))"
        ),
        # Anything in the period, or overdue now: the base keeps only these appeals.
        "relevant": " OR ".join(
            [within("b.created_at"), within("b.accepted_at"), within("b.closed_at"), within("b.dispatched_at"),
             within("b.replied_at"), within("b.resolve_due_at"), within(decided),
             f"(b.status IN ({waiting}, {handling}))"]
        ),
    }


_CLOSED = "(f_status_closed AND f_not_merged AND f_closed_in)"
_MEASURES: dict[str, str] = {
    # measure -> its condition over a `flags` row; the keys of DRILL_DOWN.
    "received": "f_received",
    "accepted": "f_accepted",
    "declined": "(f_status_declined AND f_closed_in)",
    "dispatched": "f_dispatched",
    "replied": "f_replied",
    "closed": _CLOSED,
    "merged": "(f_status_closed AND f_merged AND f_closed_in)",
    "overdue_now": "f_overdue_now",
    "response_den": "(f_dispatched AND (f_responded OR f_respond_passed))",
    "response_num": "(f_dispatched AND f_responded AND f_responded_in_time)",
    "on_time_den": "f_decided",
    "on_time_num": "(f_decided AND f_replied_in_time)",
    "resolution_den": f"({_CLOSED} AND f_verdict)",
    "resolution_num": f"({_CLOSED} AND f_resolved)",
    "satisfaction_den": f"({_CLOSED} AND f_verdict AND f_rated)",
    "satisfaction_num": f"({_CLOSED} AND f_verdict AND f_satisfied)",
    "reopen_den": _CLOSED,
    "reopen_num": f"({_CLOSED} AND f_reopened)",
}
CASE_PARTS = ("response_den", "on_time_den", "resolution_den")
"""`cases` is the largest of these denominators (first one wins a tie when listing its appeals)."""

COUNTS = ("received", "accepted", "declined", "dispatched", "replied", "closed", "merged", "overdue_now")
RATE_PARTS = ("response", "on_time", "resolution", "satisfaction", "reopen")
AVERAGES: dict[str, tuple[str, str, str]] = {
    # name: (condition over flags, from, to) — the seconds columns of `flags`
    "avg_accept_days": ("f_accepted", "s_created", "s_accepted"),
    "avg_respond_days": ("(f_dispatched AND f_responded)", "s_dispatched", "s_first_response"),
    "avg_close_days": (_CLOSED, "s_created", "s_closed"),
}
_SECONDS = {
    "s_created": "b.created_at", "s_accepted": "b.accepted_at", "s_dispatched": "b.dispatched_at",
    "s_first_response": "b.first_response_at", "s_closed": "b.closed_at",
}

_ASSIGNING = ("dispatch", "redispatch", "escalate")
"""The timeline events that make an organisation the lead (their `organisation` is the new lead)."""

_LATEST_REPLY = "(SELECT MAX(r.id) FROM appeal_event r WHERE r.appeal_id = b.id AND r.action = 'reply')"
_ORGANISATION_KEY = (
    # Nothing changes the lead after a reply but a reopen, so unless the appeal was reopened
    # its lead column is the lead at reply time. A reopened one is read from the timeline: the
    # lead named by the latest assignment before its latest reply; else the organisation on
    # that reply; else (never replied) the current lead.
    "(CASE WHEN b.reopen_count = 0 THEN b.lead_organisation_id ELSE COALESCE("
    "(SELECT d.organisation_id FROM appeal_event d WHERE d.appeal_id = b.id "
    f"AND d.action IN ({_quoted(_ASSIGNING)}) AND d.id < {_LATEST_REPLY} ORDER BY d.id DESC LIMIT 1), "
    f"(SELECT e.organisation_id FROM appeal_event e WHERE e.id = {_LATEST_REPLY}), "
    "b.lead_organisation_id) END)"
)

_KEYS: dict[GroupBy, str] = {
    GroupBy.organisation: _ORGANISATION_KEY,
    GroupBy.district: "b.district",
    GroupBy.category: "b.category",
    GroupBy.total: "'total'",
}

_COLUMNS = (
    "id", "lead_organisation_id", "district", "category", "status", "created_at", "accepted_at", "dispatched_at",
    "first_response_at", "replied_at", "closed_at", "accept_due_at", "respond_due_at", "resolve_due_at",
    "close_reason", "satisfaction", "reopen_count",
)


async def _scope_sql(staff: Staff | None) -> tuple[str, list[Any]]:
    """`a.id IN (...)` for what `staff` may see (staff_appeals decides), or nothing for no staff."""
    if staff is None:
        return "", []
    query = (await staff_appeals(staff)).values("id")
    query._choose_db_if_not_chosen()
    query._make_query()
    sql, params = query.query.get_parameterized_sql()
    return f" AND a.id IN ({sql})", list(params)


@dataclass(frozen=True)
class _Query:
    connection: Any
    sql: _Sql
    flags: str
    """SELECT ... : one row per appeal taking part: id, created_at, k, the f_ flags and s_ seconds."""
    params: list[Any]


async def _prepare(
    period_start: date, period_end: date, group_by: GroupBy, scope_staff: Staff | None, now: datetime | None
) -> _Query:
    if period_start > period_end:
        raise AppealError("开始日期不能晚于结束日期", code="invalid_period", field="start")
    now = now or datetime.now(timezone.utc)
    start = datetime.combine(period_start, time.min, tzinfo=SHANGHAI)
    end = datetime.combine(period_end + timedelta(days=1), time.min, tzinfo=SHANGHAI)
    connection = connections.get("default")
    sql = _Sql(connection.capabilities.dialect)
    flags = _flag_sql(sql, start, end, now)
    relevant = flags.pop("relevant")
    scope, params = await _scope_sql(scope_staff)
    columns = ", ".join(f"a.{name}" for name in _COLUMNS)
    selected = ", ".join(
        [f"{_KEYS[group_by]} AS k", "b.id", "b.created_at"]
        + [f"{condition} AS {name}" for name, condition in flags.items()]
        + [f"{sql.local_seconds(column)} AS {name}" for name, column in _SECONDS.items()]
    )
    query = f"SELECT {selected} FROM (SELECT {columns} FROM appeal a WHERE 1 = 1{scope}) b WHERE {relevant}"
    return _Query(connection, sql, query, params)


async def _execute(query: _Query, statement: str) -> list[dict[str, Any]]:
    """Run one of the measures statements. On PostgreSQL without JIT compilation: the correlated
    timeline lookups make the planner's cost estimate large enough to compile the query, which
    takes longer (hundreds of milliseconds) than running it."""
    if not query.sql.postgres:
        _, rows = await query.connection.execute_query(statement, query.params)
        return [dict(row) for row in rows]
    async with in_transaction() as connection:
        await connection.execute_query("SET LOCAL jit = off")
        _, rows = await connection.execute_query(statement, query.params)
    return [dict(row) for row in rows]


def _sum(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


async def measures(
    *,
    period_start: date,
    period_end: date,
    group_by: GroupBy | str,
    scope_staff: Staff | None,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> list[MeasureRow]:
    """The measures table for a period, one row per organisation / district / category (or one
    total row), for the appeals `scope_staff` may see (None: all, for jobs and exports).

    Rows come in display order: by organisation the league table (ranked first by rank, then
    the unranked by score, then 未分派); by district or category the reference order.
    `settings` supplies the weights, the minimum cases for ranking and the working calendar.
    """
    group_by = GroupBy(group_by)
    weights = measure_weights(settings)
    query = await _prepare(period_start, period_end, group_by, scope_staff, now)
    sums = [f"{_sum(_MEASURES[name])} AS {name}" for name in COUNTS]
    sums += [f"{_sum(_MEASURES[f'{part}_{end}'])} AS {part}_{end}" for part in RATE_PARTS for end in ("num", "den")]
    measure_names = [*COUNTS, *(f"{part}_{end}" for part in RATE_PARTS for end in ("num", "den"))]
    nothing = ", ".join(f"NULL AS {name}" for name in measure_names)
    parts = [
        f"SELECT 'measures' AS m, f.k AS k, CAST(NULL AS BIGINT) AS d, COUNT(*) AS n, "
        f"CAST(NULL AS DOUBLE PRECISION) AS s, {', '.join(sums)} FROM f GROUP BY f.k"
    ]
    for name, (condition, begin, finish) in AVERAGES.items():
        for end_name, seconds in (("from", begin), ("to", finish)):
            day = query.sql.day_of(f"f.{seconds}")
            parts.append(
                f"SELECT '{name}:{end_name}', f.k, {day}, COUNT(*), SUM(f.{seconds}), {nothing} FROM f "
                f"WHERE {condition} AND f.{seconds} IS NOT NULL GROUP BY f.k, {day}"
            )
    statement = f"WITH f AS ({query.flags}) " + " UNION ALL ".join(parts)
    records = await _execute(query, statement)

    table: dict[Any, MeasureRow] = {}
    for record in records:
        if record["m"] != "measures":
            continue
        key = _key(group_by, record["k"])
        row = MeasureRow(group_by=group_by, key=key, label="")
        for name in COUNTS:
            setattr(row, name, int(record[name] or 0))
        for part in RATE_PARTS:
            setattr(row, part, Rate(int(record[f"{part}_num"] or 0), int(record[f"{part}_den"] or 0)))
        row.cases = max(int(record[name] or 0) for name in CASE_PARTS)
        table[key] = row
    _fill_averages(table, group_by, [r for r in records if r["m"] != "measures"], settings)

    min_cases = settings.appeal_measure_min_cases if settings is not None else DEFAULT_MIN_CASES
    for row in table.values():
        row.score = score(row, weights)
        row.ranked = (
            group_by is not GroupBy.total and row.key is not None and row.score is not None and row.cases >= min_cases
        )
    _rank([row for row in table.values() if row.ranked])
    await _label(table, group_by)
    if group_by is GroupBy.total and not table:
        table["total"] = MeasureRow(group_by=group_by, key="total", label=TOTAL_LABEL)
    return _ordered(list(table.values()), group_by)


async def measure_appeals(
    *,
    period_start: date,
    period_end: date,
    group_by: GroupBy | str,
    key: int | str | None,
    measure: str,
    scope_staff: Staff | None,
    offset: int = 0,
    limit: int = 50,
    now: datetime | None = None,
) -> tuple[int, list[Appeal]]:
    """The appeals behind one number of a measures row — (how many, one page of them, newest
    first, with their lead organisation) — selected by the very conditions that counted them,
    so a list and its number agree.

    `measure` is a key of DRILL_DOWN; `key` the row's key (None for 未分派 / 未注明区)."""
    group_by = GroupBy(group_by)
    if measure not in DRILL_DOWN:
        raise AppealError("未知的统计口径", code="invalid_measure", field="measure")
    key_condition = _key_condition(group_by, key)
    query = await _prepare(period_start, period_end, group_by, scope_staff, now)
    if measure == "cases":
        # The cases are the largest denominator: list the appeals of that one.
        sums = ", ".join(f"{_sum(_MEASURES[name])} AS {name}" for name in CASE_PARTS)
        [record] = await _execute(query, f"SELECT {sums} FROM ({query.flags}) f WHERE {key_condition}")
        measure = max(CASE_PARTS, key=lambda name: (int(record[name] or 0), -CASE_PARTS.index(name)))
    where = f"{key_condition} AND {_MEASURES[measure]}"
    [counted] = await _execute(query, f"SELECT COUNT(*) AS n FROM ({query.flags}) f WHERE {where}")
    rows = await _execute(
        query,
        f"SELECT f.id AS id FROM ({query.flags}) f WHERE {where} ORDER BY f.created_at DESC, f.id DESC "
        f"LIMIT {int(limit)} OFFSET {int(offset)}",
    )
    total = int(counted["n"])
    ids = [int(row["id"]) for row in rows]
    found = {a.id: a for a in await Appeal.filter(id__in=ids or [-1]).select_related("lead_organisation")}
    return total, [found[i] for i in ids if i in found]


async def row_label(group_by: GroupBy | str, key: int | str | None) -> str:
    """A row's name as the measures table shows it."""
    group_by = GroupBy(group_by)
    table = {key: MeasureRow(group_by=group_by, key=key, label="")}
    await _label(table, group_by)
    return table[key].label


def _key_condition(group_by: GroupBy, key: int | str | None) -> str:
    """`f.k = <key>` with the key checked against what a key can be (it is inlined)."""
    if group_by is GroupBy.total:
        return "1 = 1"
    if key is None:
        return "f.k IS NULL"
    if group_by is GroupBy.organisation:
        return f"f.k = {int(key)}"
    known = District.labels() if group_by is GroupBy.district else CATEGORIES
    if str(key) not in known:
        raise AppealError("未知的分组", code="invalid_key", field="key")
    return f"f.k = '{key}'"


def _key(group_by: GroupBy, value: Any) -> int | str | None:
    if value is None:
        return None
    if group_by is GroupBy.organisation:
        return int(value)
    return str(value)


def _fill_averages(
    table: dict[Any, MeasureRow], group_by: GroupBy, records: list[dict[str, Any]], settings: Settings | None
) -> None:
    """Average working days per row from per-day sums.

    With W(t) the working time from a fixed origin to t, working_days_between(a, b) = W(b) − W(a),
    and ΣW over a day's timestamps = n × (working days before that day) + (that day's share of
    the n timestamps' seconds since midnight, if it is a working day). So Σ(to) − Σ(from) over
    an average's appeals, divided by their number, is the mean of working_days_between exactly.
    """
    if not records:
        return
    working = WorkingCalendar.from_settings(settings) if settings is not None else WorkingCalendar()
    first = min(int(r["d"]) for r in records)
    last = max(int(r["d"]) for r in records)
    epoch = date(1970, 1, 1)
    cumulative: dict[int, int] = {}
    is_working: dict[int, bool] = {}
    before = 0
    for day in range(first, last + 1):
        cumulative[day] = before
        is_working[day] = working.is_working_day(epoch + timedelta(days=day))
        before += is_working[day]
    totals: dict[tuple[str, Any, str], float] = {}
    counts: dict[tuple[str, Any, str], int] = {}
    for record in records:
        name, end_name = record["m"].split(":")
        key = (name, _key(group_by, record["k"]), end_name)
        day, n, seconds = int(record["d"]), int(record["n"]), float(record["s"])
        within_day = (seconds - n * day * _DAY) / _DAY if is_working[day] else 0.0
        totals[key] = totals.get(key, 0.0) + n * cumulative[day] + within_day
        counts[key] = counts.get(key, 0) + n
    for (name, key, end_name), total in totals.items():
        if end_name != "to" or key not in table:
            continue
        n = counts[(name, key, "to")]
        start_total = totals.get((name, key, "from"), 0.0)
        if n:
            setattr(table[key], name, max(0.0, (total - start_total) / n))


def _rank(rows: list[MeasureRow]) -> None:
    """Competition ranking by score (1, 2, 2, 4): equal scores share a rank."""
    rows.sort(key=lambda row: -(row.score or 0.0))
    previous: float | None = None
    rank = 0
    for position, row in enumerate(rows, start=1):
        rounded = round(row.score or 0.0, 9)
        if previous is None or rounded != previous:
            rank = position
            previous = rounded
        row.rank = rank


async def _label(table: dict[Any, MeasureRow], group_by: GroupBy) -> None:
    if group_by is GroupBy.organisation:
        ids = [key for key in table if key is not None]
        names = {
            org["id"]: org["short_name"] or org["name"]
            for org in await Organisation.filter(id__in=ids or [-1]).values("id", "name", "short_name")
        }
        for key, row in table.items():
            row.label = UNASSIGNED_LABEL if key is None else names.get(key, f"#{key}")
    elif group_by is GroupBy.district:
        labels = District.labels()
        for key, row in table.items():
            row.label = NO_DISTRICT_LABEL if key is None else labels.get(key, key)
    elif group_by is GroupBy.category:
        for key, row in table.items():
            row.label = CATEGORIES[key].label if key in CATEGORIES else str(key or "—")
    else:
        for row in table.values():
            row.label = TOTAL_LABEL


def _ordered(rows: list[MeasureRow], group_by: GroupBy) -> list[MeasureRow]:
    if group_by is GroupBy.organisation:
        return sorted(
            rows,
            key=lambda row: (
                row.key is None,
                not row.ranked,
                row.rank or 0,
                -(row.score if row.score is not None else -1.0),
                row.label,
            ),
        )
    if group_by is GroupBy.district:
        order = {code: position for position, code in enumerate(District.labels())}
        return sorted(rows, key=lambda row: (row.key is None, order.get(row.key, 99)))
    if group_by is GroupBy.category:
        order = {code: position for position, code in enumerate(CATEGORIES)}
        return sorted(rows, key=lambda row: order.get(row.key, 99))
    return rows


async def attributed_organisations(appeal_ids: list[int]) -> dict[int, int | None]:
    """Appeal id -> the organisation the measures attribute it to (the rule of `_ORGANISATION_KEY`):
    the lead column unless the appeal was reopened; for a reopened one, the lead named by the
    latest assignment before its latest reply, else the organisation on that reply, else the
    current lead."""
    if not appeal_ids:
        return {}
    from app.appeal.models import AppealEvent

    rows = await Appeal.filter(id__in=appeal_ids).values_list("id", "lead_organisation_id", "reopen_count")
    result: dict[int, int | None] = {appeal_id: lead for appeal_id, lead, _ in rows}
    reopened = [appeal_id for appeal_id, _, reopens in rows if reopens]
    events = await AppealEvent.filter(appeal_id__in=reopened or [-1], action__in=("reply", *_ASSIGNING)).order_by(
        "id").values_list("appeal_id", "action", "organisation_id")
    lead: dict[int, int | None] = {}
    at_reply: dict[int, int | None] = {}
    for appeal_id, action, organisation_id in events:  # in timeline order
        if action == "reply":
            at_reply[appeal_id] = lead.get(appeal_id) or organisation_id
        else:
            lead[appeal_id] = organisation_id
    for appeal_id, organisation_id in at_reply.items():
        if organisation_id is not None:
            result[appeal_id] = organisation_id
    return result
