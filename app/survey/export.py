"""A survey's answers and results as XLSX, for evaluators who work in a spreadsheet.

Sheets:

* 原始答卷 — one row per submitted response: 序号, 渠道, 提交时间, 区, 规模, 所有制, 权重, (企业名称 and
  统一社会信用代码 only when the survey is not anonymous), 问卷版本, then one column per question
  (matched by key over versions; a matrix one column per row; choices by their labels, several
  joined with 、; ratings and numbers as numbers so they can be averaged);
* 草稿 — the same for responses not submitted (present only if there are any): they are not
  in any result, and are shown apart so nobody mistakes them for answers;
* 维度得分, 题目分布, 分组比较 — `app.survey.analysis.summarise`, as the results page shows it.

An anonymous survey's file holds nothing that names an enterprise: its responses carry none
(`app.survey.models`). Text answers that look like formulas are written as text
(`app.exports.text_cell`). It holds no phone or ID numbers (a survey asks none), so the export
masking rule (`app.exports.may_unmask`) has nothing to mask. Every export is audited
(survey.export), in the transaction that reads nothing but records who took the data out.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.audit import service as audit
from app.config import Settings
from app.enterprise.models import Enterprise
from app.enterprise.reference import District, Ownership, SizeClass
from app.exports import SHANGHAI, XLSX, formula_like, text_cell
from app.staff.models import Staff
from app.survey import definition as defs
from app.survey.analysis import ResponseRecord, SurveySummary, load_responses, merged_questions, summarise
from app.survey.errors import SurveyNotFound
from app.survey.models import Survey

__all__ = ["CHANNEL_LABELS", "XLSX", "export_name", "export_xlsx"]

CHANNEL_LABELS = {"chat": "公众号对话", "h5": "网页", "miniprogram": "小程序"}
_BOLD = Font(bold=True)


async def export_name(*, survey_id: int) -> str:
    """What the downloaded file is called (Chinese; the route also gives an ASCII fallback)."""
    survey = await Survey.get_or_none(id=survey_id)
    title = survey.title[:40] if survey is not None else ""
    return f"问卷结果-{survey_id}-{title}.xlsx"


async def export_xlsx(*, survey_id: int, settings: Settings, staff: Staff | None = None) -> bytes:
    """The workbook (sheets above). `SurveyNotFound` if there is no such survey. `staff` is
    who downloads it, for the audit log."""
    survey = await Survey.get_or_none(id=survey_id)
    if survey is None:
        raise SurveyNotFound()
    summary = await summarise(survey_id=survey_id, settings=settings)
    questions = await merged_questions(survey_id=survey_id)
    submitted = await load_responses(survey_id=survey_id)
    drafts = await load_responses(survey_id=survey_id, submitted=False)
    named = not survey.is_anonymous
    enterprises: dict[int, Enterprise] = {}
    if named:
        ids = {r.enterprise_id for r in [*submitted, *drafts] if r.enterprise_id is not None}
        enterprises = {e.id: e for e in await Enterprise.filter(id__in=list(ids) or [-1])}

    book = Workbook()
    raw = book.active
    raw.title = "原始答卷"
    _answers_sheet(raw, questions, submitted, enterprises if named else None, draft=False)
    if drafts:
        _answers_sheet(book.create_sheet("草稿"), questions, drafts, enterprises if named else None, draft=True)
    _dimension_sheet(book.create_sheet("维度得分"), summary)
    _distribution_sheet(book.create_sheet("题目分布"), summary)
    _group_sheet(book.create_sheet("分组比较"), summary)

    buffer = io.BytesIO()
    book.save(buffer)
    await audit.record(staff=staff, action="survey.export", target_type="survey", target_id=survey.id,
                       detail={"submitted": len(submitted), "drafts": len(drafts)})
    return buffer.getvalue()


# -- cells ------------------------------------------------------------------------------------------


def _put(sheet: Worksheet, row: Sequence[Any]) -> None:
    """Append a row; text that a spreadsheet would run as a formula stays text."""
    sheet.append([text_cell(sheet, value) if formula_like(value) else value for value in row])


def _header(sheet: Worksheet, row: Sequence[Any]) -> None:
    _put(sheet, row)
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _time(moment: datetime | None) -> str:
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M}" if moment else ""


def _label(enum: Any, code: str | None) -> str:
    return enum.labels().get(code, code) if code else ""


def _round(value: float | None, digits: int = 1) -> float | str:
    return round(value, digits) if value is not None else ""


# -- 原始答卷 / 草稿 ---------------------------------------------------------------------------------


def _columns(questions: Sequence[tuple[defs.Definition, defs.Question]]) -> list[tuple[str, str | None, str]]:
    """(question key, matrix row key or None, header) per answer column."""
    columns = []
    for number, (_, question) in enumerate(questions, 1):
        head = f"{number}. {question.title}"
        if question.type == "matrix":
            columns.extend((question.key, row.key, f"{head}—{row.label}") for row in question.rows)
        else:
            columns.append((question.key, None, head + (f"（{question.unit}）" if question.unit else "")))
    return columns


def _cell_value(response: ResponseRecord, key: str, row_key: str | None) -> Any:
    value = response.answers.get(key)
    if value is None:
        return ""
    try:
        question = response.definition.question(key)
    except KeyError:
        return ""
    if question.type == "matrix":
        return value.get(row_key, "") if isinstance(value, dict) and row_key else ""
    if question.type in ("rating", "number"):
        return value
    if question.type in ("single", "multiple"):
        return defs.answer_text(question, value)
    return str(value)


def _answers_sheet(sheet: Worksheet, questions: Sequence[tuple[defs.Definition, defs.Question]],
                   responses: Sequence[ResponseRecord], enterprises: dict[int, Enterprise] | None, *,
                   draft: bool) -> None:
    columns = _columns(questions)
    fixed = ["序号", "渠道", "最后保存时间" if draft else "提交时间", "区", "规模", "所有制", "权重"]
    if enterprises is not None:
        fixed += ["企业名称", "统一社会信用代码"]
    fixed.append("问卷版本")
    _header(sheet, fixed + [head for _, _, head in columns])
    for number, response in enumerate(responses, 1):
        row: list[Any] = [
            number, CHANNEL_LABELS.get(response.channel, response.channel),
            _time(response.updated_at if draft else response.submitted_at),
            _label(District, response.district), _label(SizeClass, response.size_class),
            _label(Ownership, response.ownership), round(response.weight, 4),
        ]
        if enterprises is not None:
            enterprise = enterprises.get(response.enterprise_id) if response.enterprise_id is not None else None
            row += [enterprise.name if enterprise else "", enterprise.credit_code if enterprise else ""]
        row.append(response.version)
        row += [_cell_value(response, key, row_key) for key, row_key, _ in columns]
        _put(sheet, row)
    sheet.freeze_panes = "B2"
    for position in range(1, len(fixed) + len(columns) + 1):
        sheet.column_dimensions[get_column_letter(position)].width = 12 if position <= len(fixed) else 22
    sheet.row_dimensions[1].height = 48


# -- summary sheets ----------------------------------------------------------------------------------


def _dimension_sheet(sheet: Worksheet, summary: SurveySummary) -> None:
    survey = summary.survey
    _put(sheet, [survey.title])
    sheet["A1"].font = Font(bold=True, size=14)
    _put(sheet, [f"有效答卷 {summary.submitted} 份（另有草稿 {summary.drafts} 份未计入）；"
                 f"加权按抽样设计权重（入样概率的倒数），有效样本量 {summary.effective_n:.1f}"])
    previous = summary.previous_survey
    _header(sheet, ["维度", "计分答卷数", "得分（加权）", "得分（未加权）",
                    f"上期得分（{previous.title}）" if previous else "上期得分", "变化"])
    for row in (*summary.dimensions, summary.overall):
        _put(sheet, [row.label, row.n, _round(row.weighted_score), _round(row.score), _round(row.previous),
                     _round(row.delta)])
    sheet.column_dimensions["A"].width = 18
    for column in "BCDEF":
        sheet.column_dimensions[column].width = 16


def _distribution_sheet(sheet: Worksheet, summary: SurveySummary) -> None:
    _header(sheet, ["题号", "题目", "维度", "题型", "选项 / 统计", "人数", "占比%", "加权占比%", "备注"])
    for question in summary.questions:
        lead = [question.number, question.title, question.dimension_label, question.type_label]
        if question.categories:
            for category in question.categories:
                _put(sheet, [*lead, category.label, category.count, _round(category.share),
                             _round(category.weighted_share), ""])
        for row in question.rows:
            for category in row.categories:
                _put(sheet, [*lead, f"{row.label}：{category.label}", category.count, _round(category.share),
                             _round(category.weighted_share), ""])
            _put(sheet, [*lead, f"{row.label}：平均分", row.answered, "", "",
                         f"均值 {_round(row.mean, 2)}，加权均值 {_round(row.weighted_mean, 2)}"])
        if question.numbers is not None:
            stats = question.numbers
            unit = question.unit
            _put(sheet, [*lead, "统计", stats.n, "", "",
                         f"均值 {stats.mean:.2f}{unit}，加权均值 {stats.weighted_mean:.2f}{unit}，中位数 "
                         f"{stats.median:g}{unit}，加权中位数 {stats.weighted_median:g}{unit}，最小 {stats.minimum:g}{unit}，"
                         f"最大 {stats.maximum:g}{unit}"])
        if question.type in defs.TEXT_TYPES:
            _put(sheet, [*lead, "填写人数", question.text_count, "", "",
                         "热词：" + "、".join(question.hot_words) if question.hot_words else ""])
        if question.scored and question.weighted_score is not None:
            _put(sheet, [*lead, "得分（0–100）", question.answered, "", "",
                         f"加权 {question.weighted_score:.1f}，未加权 {question.score:.1f}"
                         + (f"，上期 {question.previous_score:.1f}" if question.previous_score is not None else "")])
    for column, width in zip("ABCDEFGHI", (6, 40, 12, 10, 28, 8, 9, 11, 60), strict=True):
        sheet.column_dimensions[column].width = width


def _group_sheet(sheet: Worksheet, summary: SurveySummary) -> None:
    labels = [summary.dimension_labels[key] for key in summary.dimension_keys]
    _put(sheet, [f"答卷少于 {summary.min_cell} 份的分组不单独列示得分（样本不足）；得分为加权 0–100 分"])
    for group in summary.groups:
        _put(sheet, [])
        _header(sheet, [f"按{group.label}", "答卷数", *labels, "综合得分"])
        for row in group.rows:
            if row.suppressed:
                _put(sheet, [row.label, row.n, *(["样本不足"] * len(labels)), "样本不足"])
            else:
                _put(sheet, [row.label, row.n, *(_round(row.scores[key]) for key in summary.dimension_keys),
                             _round(row.overall)])
    sheet.column_dimensions["A"].width = 16
    for position in range(2, len(labels) + 4):
        sheet.column_dimensions[get_column_letter(position)].width = 12
