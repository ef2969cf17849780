"""A survey's results (结果 tab): dimension scores, the comparison with last year, group
comparisons, every question's distribution, free-text hot words, and the XLSX export.

Read-only, for `survey.view`: the evaluator (StaffRole.evaluator), city administrators and
service managers. Every figure comes from `app.survey.analysis.summarise`; this module turns
it into charts (`admin.charts`) and renders. Weighted figures lead; the unweighted ones are
drawn beside them (grey) so the weighting's effect is visible.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from markupsafe import Markup
from sanic import Request
from sanic.response import HTTPResponse, raw

from admin import charts
from admin.blueprint import bp
from admin.guard import requires
from admin.render import not_found, render
from app.survey.analysis import QuestionSummary, SurveySummary, summarise
from app.survey.errors import SurveyNotFound
from app.survey.export import XLSX, export_name, export_xlsx

PERMISSION = "survey.view"


@bp.get("/surveys/<survey_id:int>/results")
@requires(PERMISSION)
async def survey_results(request: Request, survey_id: int) -> HTTPResponse:
    settings = request.app.ctx.resources.settings
    try:
        summary = await summarise(survey_id=survey_id, settings=settings)
    except SurveyNotFound:
        return not_found(request, "问卷调查")
    return render(request, "survey_results.html", survey=summary.survey, tab="results", summary=summary,
                  dimension_charts=_dimension_charts(summary), group_charts=_group_charts(summary),
                  question_charts={q.key: _question_chart(q) for q in summary.questions})


@bp.get("/surveys/<survey_id:int>/results.xlsx")
@requires(PERMISSION)
async def survey_results_export(request: Request, survey_id: int) -> HTTPResponse:
    settings = request.app.ctx.resources.settings
    try:
        content = await export_xlsx(survey_id=survey_id, settings=settings, staff=request.ctx.staff)
    except SurveyNotFound:
        return not_found(request, "问卷调查")
    name = await export_name(survey_id=survey_id)
    disposition = (f"attachment; filename=\"survey-{survey_id}-results.xlsx\"; "
                   f"filename*=UTF-8''{quote(name, safe='')}")
    return raw(content, content_type=XLSX, headers={"Content-Disposition": disposition})


# -- charts -----------------------------------------------------------------------------------------


def _dimension_charts(summary: SurveySummary) -> dict[str, Any]:
    rows = [*summary.dimensions, summary.overall]
    previous = summary.previous_survey
    previous_label = _previous_label(summary)
    bullets = [
        charts.bullet(title=row.label, value=row.weighted_score, comparison=row.previous,
                      comparison_label=previous_label, chart_id=f"bullet-{row.key}")
        for row in rows
    ]
    series = [charts.Series("加权得分", [row.weighted_score for row in rows]),
              charts.Series("未加权得分", [row.score for row in rows], colour=charts.COMPARISON)]
    if previous is not None:
        series.append(charts.Series(previous_label, [row.previous for row in rows],
                                    colour=charts.PALETTE[1]))
    overview = charts.grouped_bar_chart(
        title="各维度得分（0–100）", labels=[row.label for row in rows], series=series, max_value=100,
        chart_id="dimension-scores",
        note="加权得分按抽样设计权重（入样概率的倒数）推算全市企业的评价；未加权得分为答卷的简单平均。",
    )
    return {"bullets": bullets, "overview": overview}


def _previous_label(summary: SurveySummary) -> str:
    """上期, with its year when that tells the reader something (2025年)."""
    previous = summary.previous_survey
    if previous is not None and previous.year and previous.year != summary.survey.year:
        return f"上期（{previous.year}年）"
    return "上期"


def _group_charts(summary: SurveySummary) -> dict[str, Markup]:
    made = {}
    for group in summary.groups:
        if not group.rows:
            continue
        made[group.by] = charts.bar_chart(
            title=f"按{group.label}比较：综合得分", labels=[row.label for row in group.rows],
            values=[row.overall for row in group.rows], max_value=100, value_label="综合得分（加权）",
            chart_id=f"group-{group.by}",
            note=(f"答卷少于 {summary.min_cell} 份的分组样本不足，不单独显示得分。" if group.suppressed else ""),
        )
    return made


def _question_chart(question: QuestionSummary) -> Markup | None:
    if not question.answered:
        return None
    chart_id = f"question-{question.key}"
    title = f"{question.number}. {question.title}"
    if question.type in ("single", "multiple"):
        note = "多选题的占比以答题人数为分母，合计可超过100%。" if question.type == "multiple" else ""
        return charts.bar_chart(
            title=title, labels=[c.label for c in question.categories],
            values=[c.weighted_share for c in question.categories],
            comparison=[c.share for c in question.categories], unit="%", max_value=100,
            value_label="加权占比", comparison_label="未加权占比", chart_id=chart_id, caption="", note=note,
        )
    if question.type == "rating":
        return charts.histogram(
            title=title, labels=[c.value for c in question.categories],
            full_labels=[c.label for c in question.categories],
            counts=[c.weighted_share for c in question.categories], comparison=[c.share for c in question.categories],
            unit="%", digits=1, value_label="加权占比", comparison_label="未加权占比", chart_id=chart_id, caption="",
            note="柱为加权占比，黑线为未加权占比。",
        )
    if question.type == "matrix":
        return charts.bar_chart(
            title=title, labels=[row.label for row in question.rows], values=[row.weighted_score for row in question.rows],
            comparison=[row.score for row in question.rows], max_value=100, unit="分",
            value_label="加权得分", comparison_label="未加权得分", chart_id=chart_id, caption="",
        )
    if question.type == "number" and question.values:
        labels, counts = charts.histogram_bins(question.values)
        return charts.histogram(title=title, labels=labels, counts=counts, unit="份", value_label="答卷数",
                                chart_id=chart_id, caption="", note=f"单位：{question.unit}" if question.unit else "")
    return None
