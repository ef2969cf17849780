"""The home page: the dashboard of the reader's scope for a period, and who you are.

Thin: the period comes from the query (`period`, and `start` / `end` for 自定义), the
figures from `app.reporting.dashboard.build_dashboard`; this module only turns them into
charts (`admin.charts`, each with its numbers in a table) and links to the lists behind them.
A period that cannot be read falls back to the default (本季度) with a message saying why.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from sanic import Request
from sanic.response import HTTPResponse

from admin import charts, forms
from admin.blueprint import bp
from admin.guard import signed_in_only
from admin.render import render
from app.appeal.errors import AppealError
from app.appeal.measures import RATES
from app.reporting.appeal_summary import buckets
from app.reporting.dashboard import (
    DEFAULT_PERIOD,
    SECTION_LABELS,
    Dashboard,
    DashboardPeriod,
    build_dashboard,
    dashboard_period,
)
from app.reporting.periods import quarter_label, today
from app.reporting.scope import scope_for_staff
from app.staff.scope import allowed_actions


def _date(request: Request, name: str) -> date | None:
    raw = forms.query(request, name).strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _period(request: Request, now: datetime) -> tuple[DashboardPeriod, date, date, str]:
    """The chosen period, or the default with a Chinese message when it cannot be made."""
    raw = forms.query(request, "period", DEFAULT_PERIOD.value)
    day = today(now)
    for name in ("start", "end"):
        text = forms.query(request, name).strip()
        if raw == DashboardPeriod.custom.value and text and _date(request, name) is None:
            start, end = dashboard_period(DEFAULT_PERIOD, today=day)
            return DEFAULT_PERIOD, start, end, f"日期“{text[:20]}”无法识别，请按 2026-01-31 的格式填写"
    try:
        start, end = dashboard_period(raw, today=day, start=_date(request, "start"), end=_date(request, "end"))
        return DashboardPeriod(raw), start, end, ""
    except AppealError as exc:
        start, end = dashboard_period(DEFAULT_PERIOD, today=day)
        return DEFAULT_PERIOD, start, end, exc.message


@bp.get("/")
@signed_in_only
async def home(request: Request) -> HTTPResponse:
    staff = request.ctx.staff
    settings = request.app.ctx.resources.settings
    now = datetime.now(timezone.utc)
    kind, start, end, error = _period(request, now)
    scope = await scope_for_staff(staff)
    dashboard = await build_dashboard(staff=staff, scope=scope, period_start=start, period_end=end,
                                      settings=settings, now=now)
    return render(
        request, "home.html", actions=allowed_actions(staff), dashboard=dashboard, figures=dashboard.figures,
        kind=kind, kinds=list(DashboardPeriod), start=start, end=end, error=error,
        period_label=quarter_label(start, end), links=_links(start, end), charts=_charts(dashboard, start, end),
        section_labels=SECTION_LABELS, rates=RATES,
    )


def _links(start: date, end: date) -> dict[str, Any]:
    """The lists behind the figures (the appeal report's drill-down takes any period as custom)."""
    period = {"period": "custom", "start": start.isoformat(), "end": end.isoformat()}

    def measure(name: str) -> str:
        return "/admin/appeal-reports/appeals?" + urlencode(period | {"group": "total", "key": "none", "measure": name})

    return {
        "report": "/admin/appeal-reports?" + urlencode(period),
        "measure": measure,
        "queue": lambda tab: "/admin/appeals?" + urlencode({"tab": tab}),
        "overdue": "/admin/appeals?tab=overdue",
        "campaigns": "/admin/campaigns",
        "providers": "/admin/providers",
        "activities": "/admin/activities",
        "surveys": "/admin/surveys",
        "survey": lambda survey_id: f"/admin/surveys/{survey_id}/results",
        "followers": "/admin/followers",
        "policies": "/admin/policies",
    }


def _span_label(first: date, last: date, bucket: str, *, short: bool) -> str:
    if bucket == "month":
        return f"{first.year}-{first.month:02d}" if not short else f"{first.month}月"
    if bucket == "week":
        return f"{first.month}/{first.day}" if short else f"{first.isoformat()} 起一周"
    return str(first.day) if short else first.isoformat()


def _over_time(*, title: str, chart_id: str, bucket: str, spans: list[tuple[date, date]],
               series: list[tuple[str, list[float | None]]]) -> Markup:
    """Counts per bucket: grouped columns while they fit, else columns with a mark for the second series."""
    if len(spans) <= 16:
        return charts.grouped_bar_chart(
            title=title, chart_id=chart_id, digits=0, caption="",
            labels=[_span_label(a, b, bucket, short=True) for a, b in spans],
            series=[charts.Series(name, values) for name, values in series],
            note="按周统计（周一至周日），横轴标注每周第一天" if bucket == "week" else "",
        )
    (main_label, main), (other_label, other) = series[0], series[1]
    return charts.histogram(
        title=title, chart_id=chart_id, caption="", labels=[_span_label(a, b, bucket, short=True) for a, b in spans],
        full_labels=[_span_label(a, b, bucket, short=False) for a, b in spans], counts=main, comparison=other,
        value_label=main_label, comparison_label=other_label,
        note=f"柱为{main_label}，横线为{other_label}",
    )


def _charts(dashboard: Dashboard, start: date, end: date) -> dict[str, Markup]:
    figures = dashboard.figures
    made: dict[str, Markup] = {}
    if dashboard.shows("appeals"):
        made["status"] = charts.bar_chart(
            title="在办诉求（按状态）", chart_id="open-by-status", caption="", digits=0, value_label="件数",
            labels=[row.label for row in dashboard.open_by_status], values=[row.count for row in dashboard.open_by_status],
        )
        spans = [(p.start, p.end) for p in dashboard.trend]
        made["trend"] = _over_time(
            title="收件与办结趋势", chart_id="appeal-trend", bucket=dashboard.trend_bucket, spans=spans,
            series=[("收件", [p.received for p in dashboard.trend]), ("办结", [p.closed for p in dashboard.trend])],
        )
        now, before = figures.appeals, figures.appeals_previous
        made["rates"] = charts.bar_chart(
            title="三率与按期办结率（%）", chart_id="appeal-rates", caption="", unit="%", max_value=100,
            labels=list(RATES.values()),
            values=[_percent(now.rate(name)) for name in RATES],
            comparison=[_percent(before.rate(name)) for name in RATES],
            value_label="本期", comparison_label="上期",
        )
    if dashboard.shows("pushes"):
        bucket = dashboard.trend_bucket
        spans = buckets(start, end, bucket)
        sent = [0.0] * len(spans)
        failed = [0.0] * len(spans)
        for day, day_sent, day_failed in figures.deliveries.by_day:
            for position, (first, last) in enumerate(spans):
                if first <= day <= last:
                    sent[position] += day_sent
                    failed[position] += day_failed
                    break
        made["deliveries"] = _over_time(title="推送发送情况", chart_id="delivery-trend", bucket=bucket, spans=spans,
                                        series=[("发送成功", sent), ("发送失败", failed)])
    if dashboard.shows("providers") and figures.providers is not None and figures.providers.top:
        top = figures.providers.top
        made["providers"] = charts.bar_chart(
            title="评分靠前的服务机构", chart_id="provider-top", caption="", max_value=5, digits=2, unit="分",
            value_label="评分", labels=[name for name, _, _ in top], values=[score for _, score, _ in top],
            note="评分为贝叶斯平均（满分 5 分），评价较少的机构排在后面",
        )
    if dashboard.shows("surveys") and figures.surveys:
        made["surveys"] = charts.bar_chart(
            title="问卷回复率（AAPOR RR1，%）", chart_id="survey-rates", caption="", unit="%", max_value=100,
            value_label="回复率", labels=[s.title for s in figures.surveys],
            values=[_percent(s.response_rate) for s in figures.surveys],
        )
    return made


def _percent(value: float | None) -> float | None:
    return None if value is None else value * 100
