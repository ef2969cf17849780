"""Report pages (报表): the league table of organisations with its changes since the period
before (/admin/reports/league) and the period's common issues for the joint meeting
(/admin/reports/common-issues).

Thin: the period comes from the request (the appeal reports' own parsing, so both pages
understand the same links), the scope is the viewer's (`app.reporting.scope.scope_for_staff`),
the figures from `app.reporting.league` and `app.appeal.common_issues`; this module only turns
them into charts (`admin.charts`: every chart with its numbers beside it) and links. Every
number of the league opens the list of the appeals it counts (/admin/appeal-reports/appeals,
the drill-down of the appeal reports); every example opens its appeal.

Who may read them: the appeal reports' readers (`report_reader`: `report.view` or `appeal.dispatch`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from sanic import Request
from sanic.response import HTTPResponse

from admin import charts
from admin.blueprint import bp
from admin.render import render
from admin.views.appeal_reports import period_from_request, period_params, report_reader
from app.appeal.common_issues import DEFAULT_MIN_SIZE, cached_common_issues
from app.appeal.measures import RATES, GroupBy, PeriodKind, measure_weights
from app.reporting.league import league_table
from app.reporting.periods import last_complete_quarter, quarter_label, today
from app.reporting.scope import scope_for_staff

DRILL = "/admin/appeal-reports/appeals?"


def _shortcuts(now: datetime) -> list[tuple[str, str]]:
    """Quick links for the periods a report usually covers: the last whole quarter and the one before."""
    start, end = last_complete_quarter(today(now))
    before_start, before_end = last_complete_quarter(start)
    return [
        (quarter_label(s, e), urlencode(period_params(PeriodKind.custom, s, e)))
        for s, e in ((start, end), (before_start, before_end))
    ]


def _drill(params: dict[str, str]):
    """url(row, measure): the appeals behind one number of an organisation's row."""

    def url(row: Any, measure: str) -> str:
        key = "none" if row.key is None else str(row.key)
        return DRILL + urlencode(params | {"group": GroupBy.organisation.value, "key": key, "measure": measure})

    return url


@bp.get("/reports/league")
@report_reader
async def report_league(request: Request) -> HTTPResponse:
    settings = request.app.ctx.resources.settings
    now = datetime.now(timezone.utc)
    kind, start, end, error = period_from_request(request)
    scope = await scope_for_staff(request.ctx.staff)
    league = await league_table(period_start=start, period_end=end, scope=scope, settings=settings, now=now)
    params = period_params(kind, start, end)
    scored = [item for item in league.rows if item.row.score is not None]
    chart = charts.bar_chart(
        title=f"{scope.label}承办单位综合得分（{start.isoformat()} 至 {end.isoformat()}）",
        labels=[_chart_label(item) for item in scored],
        values=[item.row.score for item in scored],
        comparison=[item.previous.score if item.previous else None for item in scored],
        value_label="本期得分", comparison_label="上期得分", max_value=100, unit="分", chart_id="league-chart",
        caption="", note="灰色细条为上期得分；未参与排名的单位（案件较少）也列出得分，供参考。",
    ) if scored else None
    return render(
        request, "report_league.html",
        kind=kind, kinds=list(PeriodKind), start=start, end=end, error=error, scope=scope, league=league,
        chart=chart, drill=_drill(params), previous_drill=_drill(period_params(
            PeriodKind.custom, league.previous_start, league.previous_end)),
        shortcuts=_shortcuts(now), rates=RATES, weights=measure_weights(settings),
        min_cases=settings.appeal_measure_min_cases,
        issues_link="/admin/reports/common-issues?" + urlencode(params),
    )


def _chart_label(item: Any) -> str:
    return f"{item.row.rank}. {item.row.label}" if item.row.ranked else f"{item.row.label}（不排名）"


@bp.get("/reports/common-issues")
@report_reader
async def report_common_issues(request: Request) -> HTTPResponse:
    now = datetime.now(timezone.utc)
    kind, start, end, error = period_from_request(request)
    scope = await scope_for_staff(request.ctx.staff)
    found, analysed_at = await cached_common_issues(
        redis=request.app.ctx.resources.redis, scope=scope, period_start=start, period_end=end
    )
    chart = charts.bar_chart(
        title=f"{scope.label}共性问题涉及诉求件数（{start.isoformat()} 至 {end.isoformat()}）",
        labels=[_issue_label(number, issue) for number, issue in enumerate(found.issues, start=1)],
        values=[issue.size for issue in found.issues], value_label="诉求件数", unit="件", digits=0,
        chart_id="issues-chart", caption="",
    ) if found.issues else None
    return render(
        request, "report_common_issues.html",
        kind=kind, kinds=list(PeriodKind), start=start, end=end, error=error, scope=scope, found=found, analysed_at=analysed_at,
        chart=chart, shortcuts=_shortcuts(now), min_size=DEFAULT_MIN_SIZE,
        league_link="/admin/reports/league?" + urlencode(period_params(kind, start, end)),
    )


def _issue_label(number: int, issue: Any) -> str:
    return f"问题{number}：{'、'.join(issue.hot_words[:3]) or '—'}"


