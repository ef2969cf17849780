"""What a 《企业服务动态》 report says: its figures and tables, gathered once, rendered three ways.

`compose_report` reads everything a report shows for one period and scope and returns a
`ReportContent`; `app.reporting.report_files` turns that one object into the HTML page, the
PDF and the XLSX workbook, so the three can never disagree with each other.

Where the numbers come from, and why:

* the summary (汇总), policy service, provider and activity figures are
  `app.reporting.figures.period_figures` for the period and scope — the very function the
  dashboard reads — so a report agrees with the dashboard for the same period by
  construction. The comparison column ("上期") is the previous period
  (`app.reporting.periods.previous_period`): the appeal and delivery figures from the
  `*_previous` fields `period_figures` already computed, the others from
  `app.reporting.figures.context_figures` for the previous period (the part of
  `period_figures` that does not read the summary tables), computed the same way;
* the league table is `app.reporting.league.league_table` (ranks, scores and their changes);
* the common issues are `app.appeal.common_issues.common_issues`, the largest `ISSUE_LIMIT`;
* survey results are shown for the surveys `period_figures` lists that CLOSED within the
  period (a survey still open has no final result to hand upward).

`SUMMARY_LINES` is the one list of the headline figures: the summary table, the XLSX 汇总
sheet and `Report.figures` (the JSON kept with a generated report) are all built from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from app.appeal.calendar import SHANGHAI
from app.appeal.common_issues import CommonIssue, CommonIssues, common_issues
from app.config import Settings
from app.reporting.figures import ContextFigures, PeriodFigures, SurveyFigures, context_figures, period_figures
from app.reporting.league import League, league_table
from app.reporting.periods import previous_period, quarter_label
from app.reporting.scope import ReportScope

__all__ = [
    "ISSUE_LIMIT",
    "SUMMARY_LINES",
    "ReportContent",
    "SummaryLine",
    "SummaryValue",
    "compose_report",
    "headline_figures",
    "report_title",
]

ISSUE_LIMIT = 10
"""The common issues a report lists (the largest first)."""

REPORT_NAME = "上海市企业服务动态"


@dataclass(frozen=True)
class SummaryLine:
    """One headline figure: where it is read from, how it is labelled and shown."""

    key: str
    """Stable key (the JSON kept in `Report.figures`)."""
    section: str
    """The group it is shown under (诉求办理, 政策服务, ...)."""
    label: str
    read: Callable[[Any], float | int | None]
    """Reads the value from a `PeriodFigures` (and, for the default comparison, from the
    previous period's `ContextFigures`, which has the same attribute names)."""
    kind: str = "count"
    """count, rate (a fraction 0–1, shown as a percentage), days (working days), score, rating."""
    previous: Callable[[PeriodFigures, ContextFigures], float | int | None] | None = None
    """How the previous period's value is read from (this period's figures, the previous period's);
    default: `read` applied to the previous period's figures."""
    compare: bool = True
    """False for a figure that is "now" whatever the period (no comparison is meaningful)."""
    lower_is_better: bool = False
    """A rise is bad news (days taken, failures, reopened appeals): how a change is coloured."""


@dataclass(frozen=True)
class SummaryValue:
    line: SummaryLine
    value: float | int | None
    previous: float | int | None

    @property
    def change(self) -> float | int | None:
        if self.value is None or self.previous is None or not self.line.compare:
            return None
        return self.value - self.previous

    @property
    def trend(self) -> str:
        """better, worse or "" (no change, or nothing to compare) — for colouring the change."""
        change = self.change
        if not change:
            return ""
        return "better" if (change > 0) != self.line.lower_is_better else "worse"


def _appeals(name: str) -> Callable[[PeriodFigures], Any]:
    return lambda f: getattr(f.appeals, name)


def _appeals_previous(name: str) -> Callable[[PeriodFigures, ContextFigures], Any]:
    return lambda f, _p: getattr(f.appeals_previous, name)


def _deliveries(name: str) -> Callable[[PeriodFigures], Any]:
    return lambda f: getattr(f.deliveries, name)


def _deliveries_previous(name: str) -> Callable[[PeriodFigures, ContextFigures], Any]:
    return lambda f, _p: getattr(f.deliveries_previous, name)


def _providers(name: str) -> Callable[[PeriodFigures], Any]:
    return lambda f: getattr(f.providers, name) if f.providers is not None else None


APPEALS, POLICY, PROVIDERS, ACTIVITIES, FOLLOWERS = "诉求办理", "政策服务", "服务机构", "服务活动", "关注与绑定"

SUMMARY_LINES: tuple[SummaryLine, ...] = (
    *(
        SummaryLine(f"appeals.{name}", APPEALS, label, _appeals(name), kind, _appeals_previous(name),
                    lower_is_better=name == "reopen_rate" or kind == "days")
        for name, label, kind in (
            ("received", "收到诉求", "count"),
            ("accepted", "受理", "count"),
            ("dispatched", "分派", "count"),
            ("replied", "答复", "count"),
            ("closed", "办结", "count"),
            ("response_rate", "响应率", "rate"),
            ("on_time_rate", "按期办结率", "rate"),
            ("resolution_rate", "解决率", "rate"),
            ("satisfaction_rate", "满意率", "rate"),
            ("reopen_rate", "重办率", "rate"),
            ("avg_accept_days", "平均受理用时", "days"),
            ("avg_respond_days", "平均响应用时", "days"),
            ("avg_close_days", "平均办结用时", "days"),
            ("score", "综合得分", "score"),
        )
    ),
    SummaryLine("appeals.overdue_now", APPEALS, "当前超期", _appeals("overdue_now"), compare=False),
    SummaryLine("policies.published", POLICY, "发布政策", lambda f: f.policies.published),
    SummaryLine("policies.in_force", POLICY, "有效政策（期末）", lambda f: f.policies.in_force),
    SummaryLine("policies.campaigns", POLICY, "发起推送", lambda f: f.policies.campaigns),
    *(
        SummaryLine(f"deliveries.{name}", POLICY, label, _deliveries(name), kind, _deliveries_previous(name),
                    lower_is_better=name == "failed")
        for name, label, kind in (
            ("sent", "推送成功发出", "count"),
            ("delivered", "确认送达", "count"),
            ("failed", "推送失败", "count"),
            ("success_rate", "推送成功率", "rate"),
        )
    ),
    SummaryLine("followers.subscribed", FOLLOWERS, "新增关注", lambda f: f.followers.subscribed),
    SummaryLine("followers.unsubscribed", FOLLOWERS, "取消关注", lambda f: f.followers.unsubscribed,
                lower_is_better=True),
    SummaryLine("followers.total_now", FOLLOWERS, "关注总数（当前）", lambda f: f.followers.total_now, compare=False),
    SummaryLine("followers.bindings_new", FOLLOWERS, "新增企业绑定", lambda f: f.followers.bindings_new),
    SummaryLine("followers.bindings_total", FOLLOWERS, "有效绑定（期末）", lambda f: f.followers.bindings_total),
    SummaryLine("providers.active", PROVIDERS, "在册服务机构（当前）", _providers("active"), compare=False),
    SummaryLine("providers.engagements", PROVIDERS, "服务需求（订单）", _providers("engagements")),
    SummaryLine("providers.ratings", PROVIDERS, "服务评价", _providers("ratings")),
    SummaryLine("providers.average_rating", PROVIDERS, "平均评分", _providers("average_rating"), "rating"),
    SummaryLine("providers.warnings", PROVIDERS, "预警、暂停或退出", _providers("warnings"), lower_is_better=True),
    SummaryLine("activities.held", ACTIVITIES, "举办活动", lambda f: f.activities.held),
    SummaryLine("activities.signups", ACTIVITIES, "报名人次", lambda f: f.activities.signups),
    SummaryLine("activities.attended", ACTIVITIES, "签到人次", lambda f: f.activities.attended),
    SummaryLine("activities.attendance_rate", ACTIVITIES, "到场率", lambda f: f.activities.attendance_rate, "rate"),
)
"""The headline figures, in display order (a registry: add a line here, every output shows it)."""


@dataclass(frozen=True)
class ReportContent:
    """Everything one report shows."""

    title: str
    scope: ReportScope
    period_start: date
    period_end: date
    period_label: str
    previous_start: date
    previous_end: date
    previous_label: str
    generated_at: datetime
    figures: PeriodFigures
    previous_figures: ContextFigures
    """The previous period's followers, policies, providers and activities (its appeals and
    deliveries are `figures.appeals_previous` / `figures.deliveries_previous`)."""
    summary: list[SummaryValue]
    league: League
    issues: CommonIssues
    surveys: list[SurveyFigures] = field(default_factory=list)
    """Surveys that closed within the period, with their results."""

    def section(self, name: str) -> list[SummaryValue]:
        return [value for value in self.summary if value.line.section == name]

    @property
    def sections(self) -> list[str]:
        return list(dict.fromkeys(value.line.section for value in self.summary))

    @property
    def top_issues(self) -> tuple[CommonIssue, ...]:
        return self.issues.issues[:ISSUE_LIMIT]


def report_title(*, scope: ReportScope, period_start: date, period_end: date) -> str:
    """上海市企业服务动态（2026年第三季度） for the city; ·浦东新区 (the district's name, not its
    government's) or ·市科委 added for a narrower scope."""
    where = "" if scope.is_city else f"·{scope.district.label if scope.district is not None else scope.label}"
    return f"{REPORT_NAME}{where}（{quarter_label(period_start, period_end)}）"


async def compose_report(
    *, scope: ReportScope, period_start: date, period_end: date, settings: Settings, now: datetime | None = None
) -> ReportContent:
    """Gather a report's figures and tables for the period and scope (see the module docstring)."""
    now = now or datetime.now(timezone.utc)
    previous_start, previous_end = previous_period(period_start, period_end)
    figures = await period_figures(scope=scope, period_start=period_start, period_end=period_end,
                                   settings=settings, now=now)
    previous_figures = await context_figures(scope=scope, period_start=previous_start, period_end=previous_end,
                                             now=now, with_scores=False)
    summary = [
        SummaryValue(
            line,
            _clean(line.read(figures)),
            _clean((line.previous or (lambda _f, p, read=line.read: read(p)))(figures, previous_figures))
            if line.compare else None,
        )
        for line in SUMMARY_LINES
    ]
    league = await league_table(period_start=period_start, period_end=period_end, scope=scope,
                                settings=settings, now=now)
    issues = await _common_issues(scope=scope, period_start=period_start, period_end=period_end)
    return ReportContent(
        title=report_title(scope=scope, period_start=period_start, period_end=period_end),
        scope=scope,
        period_start=period_start,
        period_end=period_end,
        period_label=quarter_label(period_start, period_end),
        previous_start=previous_start,
        previous_end=previous_end,
        previous_label=quarter_label(previous_start, previous_end),
        generated_at=now,
        figures=figures,
        previous_figures=previous_figures,
        summary=summary,
        league=league,
        issues=issues,
        surveys=[s for s in figures.surveys if _closed_within(s, period_start, period_end)],
    )


def headline_figures(content: ReportContent) -> dict[str, Any]:
    """The JSON kept in `Report.figures`: every summary value and its previous value, by key."""
    return {
        "period": [content.period_start.isoformat(), content.period_end.isoformat()],
        "previous_period": [content.previous_start.isoformat(), content.previous_end.isoformat()],
        "scope": content.scope.label,
        "values": {value.line.key: value.value for value in content.summary},
        "previous": {value.line.key: value.previous for value in content.summary if value.line.compare},
        "league_rows": len(content.league.rows),
        "common_issues": len(content.top_issues),
        "surveys": [s.survey_id for s in content.surveys],
    }


def _clean(value: Any) -> float | int | None:
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    if isinstance(value, int):
        return value
    return float(value)


def _closed_within(survey: SurveyFigures, start: date, end: date) -> bool:
    if survey.closed_at is None:
        return False
    closed = survey.closed_at if survey.closed_at.tzinfo else survey.closed_at.replace(tzinfo=timezone.utc)
    return start <= closed.astimezone(SHANGHAI).date() <= end


async def _common_issues(*, scope: ReportScope, period_start: date, period_end: date) -> CommonIssues:
    """The scope's common issues (a report has no viewer: the scope decides which appeals count)."""
    return await common_issues(period_start=period_start, period_end=period_end, scope=scope, limit=ISSUE_LIMIT)
