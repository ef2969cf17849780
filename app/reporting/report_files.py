"""A report's three files from one `ReportContent`: the printable HTML page, its PDF and the XLSX.

* **HTML**: Jinja2 over `app/reporting/templates` (its own environment: the report is a
  document handed upward, not an admin page), self-contained — the A4 print stylesheet
  (`report.css`: `@page` margins, running header, "第 n 页 / 共 m 页" page numbers, "Noto Sans
  CJK SC") is inlined, and the charts are inline SVG from `admin.charts`, each with the table
  of its numbers beside it, so the file reads the same opened from disk, printed or archived.
* **PDF**: WeasyPrint renders that very HTML (it draws the inline SVG charts itself).
* **XLSX**: openpyxl, one sheet per table (`SHEETS`: 汇总, 排名, 共性问题, 政策服务,
  服务机构与活动, 评估结果). Numbers are written as numbers (rates as fractions with a
  percentage format), so the sheet can be recalculated and its 汇总 values are exactly the
  report's headline figures.

`write_report_files` writes all three into a directory (each via a temporary name and a
rename, so a crash never leaves half a file under the final name).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from admin.charts import Series, bar_chart, grouped_bar_chart
from app.appeal.calendar import SHANGHAI
from app.appeal.measures import DEFINITIONS, RATES
from app.reporting.report_content import ReportContent, SummaryValue

__all__ = ["SHEETS", "ReportFiles", "file_names", "render_html", "render_pdf", "render_xlsx", "write_report_files"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
PERCENT = "0.0%"


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    pdf: Path
    xlsx: Path
    pages: int
    """The PDF's page count."""


# -- formatting ------------------------------------------------------------------------------------------


def format_value(value: float | int | None, kind: str = "count") -> str:
    """A figure as the report prints it: — for unknown, rates as percentages, days and scores to 0.1."""
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind in ("days", "score"):
        return f"{value:.1f}"
    if kind == "rating":
        return f"{value:.2f}"
    return f"{int(value):,}"


def format_change(value: float | int | None, kind: str = "count") -> str:
    """The change on the previous period, signed: +3, −1.2个百分点, —."""
    if value is None:
        return "—"
    if kind == "rate":
        points = value * 100
        return "持平" if abs(points) < 0.05 else f"{points:+.1f}个百分点"
    if kind in ("days", "score", "rating"):
        return "持平" if abs(value) < 0.05 else f"{value:+.1f}"
    return "持平" if value == 0 else f"{int(value):+,}"


def _local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    return value.astimezone(SHANGHAI).strftime(fmt) if value.tzinfo else value.strftime(fmt)


def _percent(value: float | None) -> float | None:
    return None if value is None else value * 100


_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html"], default_for_string=True, default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["value"] = format_value
_env.filters["change"] = format_change
_env.filters["local"] = _local


# -- charts ----------------------------------------------------------------------------------------------


def _charts(content: ReportContent) -> dict[str, Markup]:
    """The report's charts (inline SVG, each with its numbers), by the section that shows them."""
    figures = content.figures
    charts: dict[str, Markup] = {}
    rates = list(RATES)
    charts["rates"] = bar_chart(
        title=f"{content.scope.label}诉求办理“三率”及按期办结率", labels=[RATES[r] for r in rates],
        values=[_percent(figures.appeals.rate(r)) for r in rates], unit="%", max_value=100,
        comparison=[_percent(figures.appeals_previous.rate(r)) for r in rates],
        value_label=content.period_label, comparison_label=f"上期（{content.previous_label}）",
        chart_id="chart-rates",
    )
    ranked = [row for row in content.league.rows if row.row.score is not None][:15]
    if ranked:
        charts["league"] = bar_chart(
            title="承办单位综合得分（前15名）", labels=[row.row.label for row in ranked],
            values=[row.row.score for row in ranked], unit="分", max_value=100, chart_id="chart-league",
            comparison=[row.previous.score if row.previous is not None else None for row in ranked],
            value_label="本期得分", comparison_label="上期得分",
        )
    issues = content.top_issues
    if issues:
        charts["issues"] = bar_chart(
            title="共性问题涉及诉求件数", labels=[f"{i}. {'、'.join(issue.hot_words[:3]) or '—'}"
                                          for i, issue in enumerate(issues, 1)],
            values=[issue.size for issue in issues], unit="件", digits=0, chart_id="chart-issues",
        )
    deliveries, previous = figures.deliveries, figures.deliveries_previous
    charts["deliveries"] = grouped_bar_chart(
        title="政策推送发送情况", labels=["成功发出", "确认送达", "发送失败"],
        series=[Series(content.period_label, [deliveries.sent, deliveries.delivered, deliveries.failed]),
                Series(f"上期（{content.previous_label}）", [previous.sent, previous.delivered, previous.failed])],
        unit="条", digits=0, chart_id="chart-deliveries",
    )
    for survey in content.surveys:
        if survey.dimensions:
            charts[f"survey-{survey.survey_id}"] = bar_chart(
                title=f"{survey.title}：各维度得分", labels=[label for label, _ in survey.dimensions],
                values=[score for _, score in survey.dimensions], unit="分", max_value=100,
                chart_id=f"chart-survey-{survey.survey_id}",
            )
    return charts


# -- HTML and PDF ----------------------------------------------------------------------------------------


def render_html(content: ReportContent) -> str:
    """The printable report page (UTF-8, stylesheet inlined)."""
    stylesheet = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    return _env.get_template("report.html").render(
        c=content,
        figures=content.figures,
        charts=_charts(content),
        rates=RATES,
        definitions=DEFINITIONS,
        stylesheet=Markup(stylesheet),
    )


def render_pdf(html: str) -> tuple[bytes, int]:
    """The PDF of the report page and its number of pages (WeasyPrint, CPU-bound: run in a thread)."""
    import weasyprint  # heavy import, only where a PDF is made

    document = weasyprint.HTML(string=html, base_url=str(TEMPLATES), encoding="utf-8").render()
    return document.write_pdf(), len(document.pages)


# -- XLSX ------------------------------------------------------------------------------------------------

Cell = Any
SheetRows = tuple[list[str], list[list[Cell]], dict[int, str]]
"""(headers, rows, column index -> number format)."""


def _summary_sheet(content: ReportContent) -> SheetRows:
    rows: list[list[Cell]] = []
    formats: dict[int, str] = {}
    for value in content.summary:
        rows.append([value.line.section, value.line.label, value.value, value.previous, value.change,
                     _unit(value)])
    return ["分组", "指标", "本期", f"上期（{content.previous_label}）", "变化", "单位"], rows, formats


def _unit(value: SummaryValue) -> str:
    return {"rate": "比率", "days": "工作日", "score": "分", "rating": "分（1–5）"}.get(value.line.kind, "件/人次")


def _league_sheet(content: ReportContent) -> SheetRows:
    headers = ["名次", "承办单位", "收件", "答复", "办结", "计入考核", *RATES.values(), "综合得分",
               "上期得分", "得分变化", "名次变化"]
    rows = []
    for entry in content.league.rows:
        row = entry.row
        rows.append([row.rank if row.ranked else None, row.label, row.received, row.replied, row.closed, row.cases,
                     *[row.rate(name) for name in RATES], row.score,
                     entry.previous.score if entry.previous is not None else None,
                     entry.score_change, entry.rank_change])
    return headers, rows, {6 + i: PERCENT for i in range(len(RATES))}


def _issues_sheet(content: ReportContent) -> SheetRows:
    rows = []
    for number, issue in enumerate(content.top_issues, 1):
        rows.append([
            number, "、".join(issue.hot_words), issue.size,
            "；".join(f"{name}（{count}）" for _id, name, count in issue.organisations),
            "；".join(f"{label}（{count}）" for _code, label, count in issue.categories),
            "；".join(f"{example.number} {example.title}" for example in issue.examples),
        ])
    return ["序号", "热词", "诉求件数", "涉及单位", "诉求类别", "典型诉求"], rows, {}


def _lines(content: ReportContent, sections: Iterable[str]) -> list[list[Cell]]:
    return [[v.line.section, v.line.label, v.value, v.previous, v.change]
            for section in sections for v in content.section(section)]


def _policy_sheet(content: ReportContent) -> SheetRows:
    rows = _lines(content, ["政策服务", "关注与绑定"])
    d = content.figures.deliveries
    rows.append(["政策服务", "推送尝试（成功+失败）", d.attempted, content.figures.deliveries_previous.attempted, None])
    rows.append(["政策服务", "跳过（不满足发送条件）", d.skipped, content.figures.deliveries_previous.skipped, None])
    return ["分组", "指标", "本期", "上期", "变化"], rows, {}


def _providers_sheet(content: ReportContent) -> SheetRows:
    rows = _lines(content, ["服务机构", "服务活动"])
    providers = content.figures.providers
    if providers is not None and providers.top:
        rows.append([])
        rows.append(["评分靠前的服务机构", "机构", "评分", "评价数", None])
        for name, score, ratings in providers.top:
            rows.append(["评分靠前的服务机构", name, score, ratings, None])
    return ["分组", "指标", "本期", "上期", "变化"], rows, {}


def _surveys_sheet(content: ReportContent) -> SheetRows:
    rows: list[list[Cell]] = []
    for survey in content.surveys:
        rows.append([survey.title, "样本量", survey.sampled])
        rows.append([survey.title, "完成", survey.completed])
        rows.append([survey.title, "应答率（AAPOR RR1）", survey.response_rate])
        rows.append([survey.title, "总体得分（0–100）", survey.overall_score])
        for label, score in survey.dimensions:
            rows.append([survey.title, f"维度：{label}", score])
    if not rows:
        rows.append(["本统计期内没有结束的营商环境评估", None, None])
    return ["评估", "指标", "数值"], rows, {}


SHEETS: dict[str, Callable[[ReportContent], SheetRows]] = {
    "汇总": _summary_sheet,
    "排名": _league_sheet,
    "共性问题": _issues_sheet,
    "政策服务": _policy_sheet,
    "服务机构与活动": _providers_sheet,
    "评估结果": _surveys_sheet,
}
"""Sheet name -> its table (a registry: the workbook is these, in this order)."""

_RATE_LABELS = {"应答率（AAPOR RR1）"}


def render_xlsx(content: ReportContent) -> bytes:
    """The workbook: a title row, the period, then one table per sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    rate_labels = {v.line.label for v in content.summary if v.line.kind == "rate"} | _RATE_LABELS
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, build in SHEETS.items():
        headers, rows, formats = build(content)
        sheet = workbook.create_sheet(name)
        sheet.append([content.title])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([f"统计期：{content.period_start.isoformat()} 至 {content.period_end.isoformat()}；"
                      f"范围：{content.scope.label}；生成于 {_local(content.generated_at)}"])
        sheet.append(headers)
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
            current = sheet.max_row
            for column, number_format in formats.items():
                sheet.cell(row=current, column=column + 1).number_format = number_format
            if len(row) > 1 and row[1] in rate_labels:
                for column in range(3, len(row) + 1):
                    sheet.cell(row=current, column=column).number_format = PERCENT
        sheet.freeze_panes = "A4"
        for index, header in enumerate(headers, 1):
            width = max([len(str(header))] + [len(str(r[index - 1])) for r in rows if len(r) >= index and r[index - 1]])
            sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, width * 1.6))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- files -----------------------------------------------------------------------------------------------


def file_names(*, report_id: int, period_start: Any, period_end: Any) -> dict[str, str]:
    """The stored (ASCII) file names of a report, by format."""
    stem = f"report-{report_id}-{period_start.isoformat()}-{period_end.isoformat()}"
    return {"html": f"{stem}.html", "pdf": f"{stem}.pdf", "xlsx": f"{stem}.xlsx"}


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def write_report_files(content: ReportContent, directory: Path, names: dict[str, str]) -> ReportFiles:
    """Render and write the three files (blocking: run it in a thread)."""
    directory.mkdir(parents=True, exist_ok=True)
    html = render_html(content)
    pdf, pages = render_pdf(html)
    xlsx = render_xlsx(content)
    paths = {kind: directory / name for kind, name in names.items()}
    _write(paths["html"], html.encode("utf-8"))
    _write(paths["pdf"], pdf)
    _write(paths["xlsx"], xlsx)
    return ReportFiles(html=paths["html"], pdf=paths["pdf"], xlsx=paths["xlsx"], pages=pages)

