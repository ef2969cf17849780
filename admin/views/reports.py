"""统计报表: the generated 《企业服务动态》 reports, asking for one, reading and downloading them.

Thin: who may ask and for which scope, who may read which report, and the generation itself
are `app.reporting.reports`; this module validates the form, calls it and renders.

* `GET /admin/reports` (`report.view`): the reports within the reader's scope, newest first,
  and (with `report.generate`) the form to ask for one — a quarter, or custom dates; city-wide
  staff choose the city or a district government.
* `POST /admin/reports` (`report.generate`): queue it, then its page.
* `GET /admin/reports/<id>`: status (refreshing itself while queued or running), the report
  inline, downloads. A report outside the reader's scope is "not found" (404), not "forbidden",
  so its existence is not disclosed.
* `GET /admin/reports/<id>/report.html` (inline) and `/admin/reports/<id>/download/<pdf|xlsx|html>`.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote

from sanic import Request
from sanic.response import HTTPResponse, raw

from admin import forms
from admin.blueprint import bp
from admin.guard import requires
from admin.paging import page_number, paginate
from admin.render import flash, not_found, redirect_to, render
from app.reporting.models import Report, ReportKind, ReportStatus
from app.reporting.periods import quarter_label, quarter_of, today
from app.reporting.reports import (
    ReportError,
    may_view,
    parse_quarter,
    report_file,
    request_report,
    scope_choices,
    visible_reports,
)
from app.staff.scope import can

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}
INLINE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'self'; "
                 "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
"""The report page is a self-contained document (its print stylesheet inlined), shown in a frame
of the report's admin page: inline styles allowed, nothing else, no script."""
QUARTERS_OFFERED = 8


def _quarters(now_day: date) -> list[tuple[str, str]]:
    """(value 2026Q3, label 2026年第三季度) of the current quarter and the ones before it."""
    offered = []
    start, _ = quarter_of(now_day)
    for _ in range(QUARTERS_OFFERED):
        start, end = quarter_of(start)
        offered.append((f"{start.year}Q{(start.month - 1) // 3 + 1}", quarter_label(start, end)))
        start = start - timedelta(days=1)
    return offered


def _date(raw_value: str) -> date | None:
    try:
        return date.fromisoformat(raw_value.strip())
    except ValueError:
        return None


async def _list_page(request: Request, *, status: int = 200, error: str = "", form: dict | None = None) -> HTTPResponse:
    staff = request.ctx.staff
    page = await paginate((await visible_reports(staff)).prefetch_related("requested_by"),
                          number=page_number(forms.query(request, "page")))
    can_generate = can(staff, "report.generate")
    quarters = _quarters(today())
    return render(
        request, "report_list.html", status=status, page=page, params={}, error=error,
        can_generate=can_generate, quarters=quarters, scopes=await scope_choices(staff) if can_generate else [],
        form=form or {"mode": "quarter", "quarter": quarters[1][0] if len(quarters) > 1 else quarters[0][0],
                      "start": "", "end": "", "scope": ""},
        statuses=ReportStatus,
    )


@bp.get("/reports")
@requires("report.view")
async def report_list(request: Request) -> HTTPResponse:
    return await _list_page(request)


@bp.post("/reports")
@requires("report.generate")
async def report_generate(request: Request) -> HTTPResponse:
    staff = request.ctx.staff
    form = {name: forms.text(request, name).strip() for name in ("mode", "quarter", "start", "end", "scope")}
    if form["mode"] == "custom":
        kind, start, end = ReportKind.custom, _date(form["start"]), _date(form["end"])
        if start is None or end is None:
            return await _list_page(request, status=400, error="请填写自定义统计期的开始和结束日期。", form=form)
        if (start, end) == quarter_of(start):
            kind = ReportKind.quarterly  # a whole quarter typed as dates is the quarterly report
    else:
        period = parse_quarter(form["quarter"])
        if period is None:
            return await _list_page(request, status=400, error="请选择统计季度。", form=form)
        kind, (start, end) = ReportKind.quarterly, period
    scope_id = int(form["scope"]) if form["scope"].isdigit() else None
    if not form["scope"]:
        choices = await scope_choices(staff)
        scope_id = choices[0].organisation_id  # city-wide: the city; anyone else: their own scope
    try:
        report = await request_report(staff=staff, scope_organisation_id=scope_id, kind=kind, period_start=start,
                                      period_end=end, redis=request.app.ctx.resources.redis)
    except ReportError as exc:
        return await _list_page(request, status=403 if exc.code == "forbidden" else 400, error=exc.message, form=form)
    flash(request, "ok", f"已提交生成《{report.title}》，生成后将通过微信通知您。")
    return redirect_to(request, f"/admin/reports/{report.id}")


async def _visible(request: Request, report_id: int) -> Report | None:
    report = await Report.get_or_none(id=report_id).prefetch_related("requested_by")
    if report is None or not await may_view(request.ctx.staff, report):
        return None
    return report


@bp.get("/reports/<report_id:int>")
@requires("report.view")
async def report_detail(request: Request, report_id: int) -> HTTPResponse:
    report = await _visible(request, report_id)
    if report is None:
        return not_found(request, "报告")
    values = (report.figures or {}).get("values", {})
    return render(request, "report_detail.html", report=report, period_label=quarter_label(report.period_start,
                  report.period_end), pending=report.status in (ReportStatus.queued, ReportStatus.running),
                  values=values, pages=(report.figures or {}).get("pages"))


@bp.get("/reports/<report_id:int>/report.html")
@requires("report.view")
async def report_inline(request: Request, report_id: int) -> HTTPResponse:
    return await _file(request, report_id, "html", inline=True)


@bp.get("/reports/<report_id:int>/download/<fmt:str>")
@requires("report.view")
async def report_download(request: Request, report_id: int, fmt: str) -> HTTPResponse:
    return await _file(request, report_id, fmt, inline=False)


async def _file(request: Request, report_id: int, fmt: str, *, inline: bool) -> HTTPResponse:
    if fmt not in CONTENT_TYPES:
        return not_found(request, "文件")
    report = await _visible(request, report_id)
    if report is None or report.status is not ReportStatus.ready:
        return not_found(request, "报告")
    path = report_file(request.app.ctx.resources.settings, getattr(report, f"{fmt}_key"))
    if path is None or not path.is_file():
        return not_found(request, "报告文件")
    content = path.read_bytes()
    if inline:
        return raw(content, content_type=CONTENT_TYPES["html"], headers={
            "Content-Security-Policy": INLINE_POLICY, "X-Frame-Options": "SAMEORIGIN"})
    name = f"{report.title}.{fmt}"
    disposition = f"attachment; filename=\"{path.name}\"; filename*=UTF-8''{quote(name, safe='')}"
    return raw(content, content_type=CONTENT_TYPES[fmt], headers={"Content-Disposition": disposition})
