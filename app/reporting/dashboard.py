"""The admin home dashboard (工作台): the period's headline figures and the live state of the queue.

Use:

    dashboard = await build_dashboard(staff=staff, scope=scope, period_start=..., period_end=..., settings=settings,
                                      now=None)
    dashboard.figures: PeriodFigures          # exactly what the quarterly report shows (app.reporting.figures)
    dashboard.sections: tuple[str, ...]       # which sections `staff` sees (SECTIONS), in display order
    dashboard.open_by_status / overdue / due_soon / trend / trend_bucket

    start, end = dashboard_period(kind, today=..., start=None, end=None)   # the period selector

**Headline figures** come from `app.reporting.figures.period_figures` (without the survey
scores: the one costly figure), so the dashboard and the report never disagree.

**Live parts** are the appeals as the queue shows them to `staff` now
(`app.appeal.access.staff_appeals`, the list every link leads to), narrowed to the scope when
a city-wide reader looks at a smaller one:

* open appeals by status (each links to its tab of the queue);
* overdue and due soon, by the supervision rules of `app.appeal.deadlines` (`STAGES`): an
  appeal is overdue when one of its pending staff deadlines has passed — the supervision tab
  (督办) counts the same appeals — and due soon when none has passed but one falls within
  `APPEAL_REMINDER_HOURS` (the reminder window, when handlers are reminded);
* the trend of received / accepted / replied / closed appeals (`appeal_trend`): by day for a
  period up to 31 days, by ISO week up to half a year, by month beyond.

**Sections** (`SECTIONS`, a registry): who sees what follows the permissions
(`app.staff.scope.can`) and the scope — appeals for those who handle, dispatch or read
reports; pushes and policies for policy editors and report readers; followers for those who
see followers and report readers; providers (city scope only), activities and surveys (not a
department's) for their managers and report readers. A department handler sees only its
appeals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from app.appeal.access import staff_appeals
from app.appeal.deadlines import STAGES
from app.appeal.errors import AppealError
from app.appeal.measures import PeriodKind, period_for
from app.appeal.models import Appeal, AppealStatus
from app.config import Settings
from app.db import db_time
from app.enterprise.reference import District, LabelledEnum
from app.reporting.appeal_summary import TrendPoint, appeal_trend
from app.reporting.figures import PeriodFigures, period_figures
from app.reporting.periods import last_complete_quarter, quarter_of
from app.reporting.scope import ReportScope, appeal_scope_q, scope_for_staff
from app.staff.models import Staff
from app.staff.scope import can

__all__ = [
    "DEFAULT_PERIOD",
    "MAX_DAYS",
    "OPEN_STATUSES",
    "SECTION_LABELS",
    "SECTIONS",
    "Dashboard",
    "DashboardPeriod",
    "Section",
    "StatusCount",
    "build_dashboard",
    "dashboard_period",
    "deadline_conditions",
    "trend_bucket",
    "visible_sections",
]

MAX_DAYS = 366
"""The longest custom period the dashboard draws (a year)."""


class DashboardPeriod(LabelledEnum):
    this_month = "this_month", "本月"
    this_quarter = "this_quarter", "本季度"
    last_quarter = "last_quarter", "上季度"
    last_30_days = "last_30_days", "近30天"
    custom = "custom", "自定义"


DEFAULT_PERIOD = DashboardPeriod.this_quarter


def _this_quarter(today: date) -> tuple[date, date]:
    return quarter_of(today)[0], today


_PERIODS: dict[DashboardPeriod, Callable[[date], tuple[date, date]]] = {
    DashboardPeriod.this_month: lambda today: period_for(PeriodKind.this_month, today=today),
    DashboardPeriod.this_quarter: _this_quarter,
    DashboardPeriod.last_quarter: last_complete_quarter,
    DashboardPeriod.last_30_days: lambda today: (today - timedelta(days=29), today),
}
"""kind -> (first day, last day) for a given today; `custom` is validated separately."""


def dashboard_period(kind: DashboardPeriod | str, *, today: date, start: date | None = None,
                     end: date | None = None) -> tuple[date, date]:
    """The dashboard's period: this month or quarter up to today, the last whole quarter, the
    last 30 days, or a custom range (both days given, start not after end, at most a year).
    `AppealError` (code invalid_period) with a Chinese message otherwise."""
    try:
        kind = DashboardPeriod(kind)
    except ValueError:
        raise AppealError("未知的统计期", code="invalid_period", field="period") from None
    if kind is not DashboardPeriod.custom:
        return _PERIODS[kind](today)
    start, end = period_for(PeriodKind.custom, today=today, start=start, end=end)
    if (end - start).days + 1 > MAX_DAYS:
        raise AppealError("统计期不能超过一年", code="invalid_period", field="start")
    return start, end


def trend_bucket(period_start: date, period_end: date) -> str:
    """day for up to 31 days, week up to half a year, month beyond."""
    days = (period_end - period_start).days + 1
    return "day" if days <= 31 else "week" if days <= 184 else "month"


# -- sections ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    code: str
    label: str
    actions: frozenset[str]
    """Any of these permissions shows the section."""
    applies: Callable[[ReportScope], bool] = lambda scope: True
    """Whether the section means anything for the scope."""


SECTIONS: tuple[Section, ...] = (
    Section("appeals", "企业诉求", frozenset({"appeal.handle", "appeal.dispatch", "report.view"})),
    Section("pushes", "政策与推送", frozenset({"policy.edit", "report.view"})),
    Section("followers", "粉丝与企业绑定", frozenset({"follower.view", "report.view"}),
            lambda scope: not scope.is_department),
    Section("providers", "专业服务机构", frozenset({"provider.manage", "report.view"}), lambda scope: scope.is_city),
    Section("activities", "服务活动", frozenset({"activity.manage", "report.view"})),
    Section("surveys", "营商环境评估", frozenset({"survey.view", "survey.manage", "report.view"}),
            lambda scope: not scope.is_department),
)
SECTION_LABELS = {section.code: section.label for section in SECTIONS}


def visible_sections(staff: Staff, scope: ReportScope) -> tuple[str, ...]:
    return tuple(
        section.code for section in SECTIONS
        if section.applies(scope) and any(can(staff, action) for action in section.actions)
    )


# -- the dashboard ----------------------------------------------------------------------------


OPEN_STATUSES: tuple[AppealStatus, ...] = (
    AppealStatus.submitted, AppealStatus.held, AppealStatus.accepted, AppealStatus.dispatched,
    AppealStatus.in_progress, AppealStatus.replied,
)
_QUEUE_TABS = {
    AppealStatus.submitted: "submitted", AppealStatus.held: "held", AppealStatus.accepted: "accepted",
    AppealStatus.dispatched: "handling", AppealStatus.in_progress: "handling", AppealStatus.replied: "replied",
}
"""status -> the tab of the appeal queue (admin/views/appeal_support.TABS) that lists it."""


@dataclass(frozen=True)
class StatusCount:
    status: AppealStatus
    label: str
    count: int
    tab: str
    """The queue tab listing these appeals."""


@dataclass(frozen=True)
class Dashboard:
    scope: ReportScope
    period_start: date
    period_end: date
    figures: PeriodFigures
    sections: tuple[str, ...]
    open_by_status: list[StatusCount]
    overdue: int
    """Open appeals past a staff deadline now (the supervision tab counts the same)."""
    due_soon: int
    """Open appeals not overdue with a staff deadline within APPEAL_REMINDER_HOURS."""
    due_soon_hours: int
    trend: list[TrendPoint]
    trend_bucket: str
    now: datetime

    @property
    def scope_label(self) -> str:
        """What the heading names: 全市, the district (浦东新区) or the organisation (市科委)."""
        if self.scope.is_district and self.scope.district is not None:
            return District(self.scope.district).label
        return self.scope.label

    @property
    def open_total(self) -> int:
        return sum(row.count for row in self.open_by_status)

    def shows(self, section: str) -> bool:
        return section in self.sections


async def build_dashboard(
    *, staff: Staff, scope: ReportScope, period_start: date, period_end: date, settings: Settings,
    now: datetime | None = None,
) -> Dashboard:
    """The dashboard `staff` sees for `scope` and the period (see the module docstring)."""
    now = now or datetime.now(timezone.utc)
    sections = visible_sections(staff, scope)
    figures = await period_figures(scope=scope, period_start=period_start, period_end=period_end,
                                   settings=settings, now=now, with_scores=False)
    open_by_status: list[StatusCount] = []
    overdue = due_soon = 0
    trend: list[TrendPoint] = []
    bucket = trend_bucket(period_start, period_end)
    if "appeals" in sections:
        live = await _live_appeals(staff, scope)
        counts = dict(await live.filter(status__in=OPEN_STATUSES).annotate(n=Count("id")).group_by("status")
                      .values_list("status", "n"))
        open_by_status = [
            StatusCount(status, status.label, int(counts.get(status, counts.get(status.value, 0)) or 0),
                        _QUEUE_TABS[status])
            for status in OPEN_STATUSES
        ]
        overdue_q, soon_q = deadline_conditions(now, settings)
        overdue = await live.filter(overdue_q).count()
        due_soon = await live.filter(soon_q).count()
        trend = await appeal_trend(period_start=period_start, period_end=period_end, scope=scope, bucket=bucket)
    return Dashboard(
        scope=scope, period_start=period_start, period_end=period_end, figures=figures, sections=sections,
        open_by_status=open_by_status, overdue=overdue, due_soon=due_soon,
        due_soon_hours=settings.appeal_reminder_hours, trend=trend, trend_bucket=bucket, now=now,
    )


async def _live_appeals(staff: Staff, scope: ReportScope) -> QuerySet[Appeal]:
    """The appeals the queue shows `staff`, narrowed to `scope` when it is smaller than theirs."""
    queryset = await staff_appeals(staff)
    own = await scope_for_staff(staff)
    if own.is_city and not scope.is_city:
        queryset = queryset.filter(appeal_scope_q(scope))
    return queryset


def deadline_conditions(now: datetime, settings: Settings) -> tuple[Q, Q]:
    """(overdue, due soon) as filters, from the supervision rules (`app.appeal.deadlines.STAGES`)."""
    at = db_time(now)
    horizon = db_time(now + timedelta(hours=settings.appeal_reminder_hours))
    overdue = Q()
    soon = Q()
    for position, rule in enumerate(STAGES):
        pending = Q(**rule.filters())
        late = pending & Q(**{f"{rule.due_field}__lte": at})
        near = pending & Q(**{f"{rule.due_field}__gt": at, f"{rule.due_field}__lte": horizon})
        overdue = late if position == 0 else overdue | late
        soon = near if position == 0 else soon | near
    return overdue, soon & ~overdue
