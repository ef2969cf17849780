"""Appeal reports (诉求统计): the measures for a period, the league table and the common issues.

Everything shown comes from `app.appeal.measures` and `app.appeal.common_issues`, scoped to
what the reader may see; every count links to the list of exactly the appeals it counts
(`/admin/appeal-reports/appeals`, built from the same conditions), and the overdue count
also to the supervision tab of the appeal queue, which counts the same appeals.

Who may read it: `report.view` (city and district administrators, the service manager, the
evaluator) or `appeal.dispatch`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timezone
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from sanic import Request
from sanic.response import HTTPResponse

from admin import forms
from admin.blueprint import bp
from admin.paging import Page, page_number
from admin.render import forbidden, render
from app.appeal.calendar import SHANGHAI
from app.appeal.common_issues import cached_common_issues
from app.appeal.errors import AppealError
from app.appeal.measures import (
    DEFINITIONS,
    DRILL_DOWN,
    RATES,
    GroupBy,
    PeriodKind,
    measure_appeals,
    measure_weights,
    measures,
    period_for,
    row_label,
)
from app.appeal.categories import CATEGORIES
from app.reporting.league import compare
from app.reporting.periods import previous_period
from app.reporting.scope import scope_for_staff
from app.staff.scope import can

REPORT_GROUPS = (GroupBy.organisation, GroupBy.district, GroupBy.category)
PER_PAGE = 30

Handler = Callable[..., Awaitable[HTTPResponse]]


def report_reader(handler: Handler) -> Handler:
    """`report.view` or `appeal.dispatch` (a dispatcher answers for the intake's figures)."""

    @wraps(handler)
    async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        staff = request.ctx.staff
        if not (can(staff, "report.view") or can(staff, "appeal.dispatch")):
            return forbidden(request, action="report.view")
        return await handler(request, *args, **kwargs)

    guarded.__admin_action__ = "report.view"  # type: ignore[attr-defined]
    return guarded


def _today() -> date:
    return datetime.now(timezone.utc).astimezone(SHANGHAI).date()


def _date(request: Request, name: str) -> date | None:
    try:
        return date.fromisoformat(forms.query(request, name).strip())
    except ValueError:
        return None


def period_from_request(request: Request) -> tuple[PeriodKind, date, date, str]:
    """The chosen period (`period`, and `start` / `end` for a custom one), or this month with a
    message when the custom dates do not make one. Shared by the report pages (admin/views/report_pages.py)."""
    today = _today()
    raw = forms.query(request, "period", PeriodKind.this_month.value)
    kind = PeriodKind(raw) if raw in PeriodKind.labels() else PeriodKind.this_month
    try:
        start, end = period_for(kind, today=today, start=_date(request, "start"), end=_date(request, "end"))
    except AppealError as exc:
        start, end = period_for(PeriodKind.this_month, today=today)
        return PeriodKind.this_month, start, end, exc.message
    return kind, start, end, ""


def _group(request: Request) -> GroupBy:
    raw = forms.query(request, "group", GroupBy.organisation.value)
    return GroupBy(raw) if raw in {g.value for g in REPORT_GROUPS} else GroupBy.organisation


def period_params(kind: PeriodKind, start: date, end: date) -> dict[str, str]:
    """The query parameters that choose this period again (for links and drill-downs)."""
    params = {"period": kind.value}
    if kind is PeriodKind.custom:
        params |= {"start": start.isoformat(), "end": end.isoformat()}
    return params


@bp.get("/appeal-reports")
@report_reader
async def appeal_report(request: Request) -> HTTPResponse:
    staff = request.ctx.staff
    settings = request.app.ctx.resources.settings
    kind, start, end, error = period_from_request(request)
    group = _group(request)
    period = {"period_start": start, "period_end": end, "scope_staff": staff}
    now = datetime.now(timezone.utc)
    rows = await measures(**period, group_by=group, settings=settings, now=now)
    [total] = await measures(**period, group_by=GroupBy.total, settings=settings, now=now)
    league = rows if group is GroupBy.organisation else await measures(
        **period, group_by=GroupBy.organisation, settings=settings, now=now)
    previous_start, previous_end = previous_period(start, end)
    before = await measures(period_start=previous_start, period_end=previous_end, scope_staff=staff,
                            group_by=GroupBy.organisation, settings=settings, now=now)
    changes = {item.row.key: item for item in compare(league, before)}
    issues, analysed_at = await cached_common_issues(
        redis=request.app.ctx.resources.redis, scope=await scope_for_staff(staff), period_start=start, period_end=end
    )
    params = period_params(kind, start, end)

    def drill(row: Any, measure: str, by: GroupBy | None = None) -> str:
        by = by or row.group_by
        key = "" if row.key is None else str(row.key)
        return "/admin/appeal-reports/appeals?" + urlencode(
            params | {"group": by.value, "key": key or "none", "measure": measure})

    def queue(row: Any) -> str:
        """The supervision tab, filtered like the row where the queue can filter so."""
        extra = {}
        if row.group_by is GroupBy.district and row.key:
            extra["district"] = row.key
        elif row.group_by is GroupBy.category and row.key:
            extra["category"] = row.key
        elif row.group_by not in (GroupBy.total,):
            return ""
        return "/admin/appeals?" + urlencode({"tab": "overdue"} | extra)

    return render(
        request, "appeal_report.html",
        kind=kind, kinds=list(PeriodKind), start=start, end=end, error=error, group=group, groups=REPORT_GROUPS,
        rows=rows, total=total, league=league, changes=changes,
        previous_start=previous_start, previous_end=previous_end, period_query=urlencode(params),
        issues=issues, analysed_at=analysed_at, drill=drill, queue=queue,
        rates=RATES, weights=measure_weights(settings), min_cases=settings.appeal_measure_min_cases,
        definitions=DEFINITIONS, can_open_queue=can(staff, "appeal.handle"),
    )


@bp.get("/appeal-reports/appeals")
@report_reader
async def appeal_report_list(request: Request) -> HTTPResponse:
    """The appeals behind one number of the report."""
    staff = request.ctx.staff
    kind, start, end, error = period_from_request(request)
    raw_group = forms.query(request, "group", GroupBy.total.value)
    group = GroupBy(raw_group) if raw_group in GroupBy.labels() else GroupBy.total
    measure = forms.query(request, "measure", "received")
    raw_key = forms.query(request, "key").strip()
    key: int | str | None = None if raw_key in ("", "none") else raw_key
    number = page_number(forms.query(request, "page"))
    try:
        if group is GroupBy.organisation and key is not None:
            key = int(key)
        total, appeals = await measure_appeals(
            period_start=start, period_end=end, group_by=group, key=key, measure=measure, scope_staff=staff,
            offset=(number - 1) * PER_PAGE, limit=PER_PAGE,
        )
        label = await row_label(group, key)
    except (AppealError, ValueError) as exc:
        total, appeals, label = 0, [], ""
        error = getattr(exc, "message", "无法识别的统计条件")
    page = Page(items=appeals, number=number, per_page=PER_PAGE, total=total)
    params = period_params(kind, start, end) | {"group": group.value, "key": raw_key or "none", "measure": measure}
    return render(
        request, "appeal_report_list.html", page=page, params=params, error=error, start=start, end=end,
        measure_label=DRILL_DOWN.get(measure, measure), group=group, row_label=label,
        back="/admin/appeal-reports?" + urlencode(period_params(kind, start, end) | (
            {"group": group.value} if group in REPORT_GROUPS else {})),
        categories={code: c.label for code, c in CATEGORIES.items()},
    )



_period = period_from_request  # the names this module used before they were shared
_period_params = period_params
