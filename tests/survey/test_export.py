"""The XLSX export: every answer readable, drafts apart, no names for an anonymous survey, audited."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from app.audit.models import AuditLog
from app.enterprise.models import Enterprise
from app.enterprise.reference import District
from app.survey.errors import SurveyNotFound
from app.survey.export import export_xlsx
from tests.survey.factories import full_answers, make_open_survey
from tests.survey.responses import respond

pytestmark = pytest.mark.usefixtures("db")


def _rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _by_header(sheet) -> list[dict]:
    rows = _rows(sheet)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


async def test_every_submitted_answer_is_in_the_raw_sheet_with_readable_labels(settings):
    survey = await make_open_survey()
    await respond(survey, full_answers(), settings=settings, probability=0.02, channel="chat")
    await respond(survey, {**full_answers(), "q2": "no", "q12": "=HYPERLINK(\"http://x\")"}, settings=settings,
                  district=District.xuhui, channel="miniprogram")
    await respond(survey, {"q1": 3}, settings=settings, submit=False)

    book = load_workbook(io.BytesIO(await export_xlsx(survey_id=survey.id, settings=settings)))

    assert book.sheetnames == ["原始答卷", "草稿", "维度得分", "题目分布", "分组比较"]
    raw = book["原始答卷"]
    header = _rows(raw)[0]
    assert header[:8] == ["序号", "渠道", "提交时间", "区", "规模", "所有制", "权重", "问卷版本"]
    assert "企业名称" not in header and "统一社会信用代码" not in header  # anonymous
    assert "1. 您对本区政务服务的总体满意度" in header and "3. 开办企业实际用了几个工作日（天）" in header
    assert [h for h in header if h.startswith("7. ")] == ["7. 请对以下公共服务评分—获得电力", "7. 请对以下公共服务评分—用水用气",
                                                        "7. 请对以下公共服务评分—网络通信"]
    first, second = _by_header(raw)
    assert (first["渠道"], first["区"], first["规模"], first["所有制"], first["权重"]) == ("公众号对话", "浦东新区", "小型", "民营", 50)
    assert first["1. 您对本区政务服务的总体满意度"] == 4
    assert first["2. 近一年是否办理过开办企业业务"] == "办理过"
    assert first["3. 开办企业实际用了几个工作日（天）"] == 3
    assert first["4. 您对开办企业服务的评价"] == "非常满意"
    assert first["5. 市场准入的公平程度（0–10分）"] == 8
    assert first["6. 贵企业遇到的主要困难（可多选）"] == "融资难、成本高"
    assert first["7. 请对以下公共服务评分—获得电力"] == 5 and first["7. 请对以下公共服务评分—网络通信"] == 4
    assert first["10. 合同纠纷解决的效率"] == "满意"
    assert first["12. 您对改善营商环境的意见建议"] == "希望进一步简化审批材料，推行一网通办"
    assert (second["渠道"], second["区"]) == ("小程序", "徐汇区")
    assert second["2. 近一年是否办理过开办企业业务"] == "没有办理"
    assert second["3. 开办企业实际用了几个工作日（天）"] is None  # hidden by skip logic, dropped on submission
    assert second["12. 您对改善营商环境的意见建议"] == "=HYPERLINK(\"http://x\")"
    assert raw.cell(row=3, column=header.index("12. 您对改善营商环境的意见建议") + 1).data_type == "s"  # not a formula

    drafts = _by_header(book["草稿"])
    assert len(drafts) == 1 and drafts[0]["1. 您对本区政务服务的总体满意度"] == 3
    assert "最后保存时间" in drafts[0]

    dimensions = _rows(book["维度得分"])
    labels = [row[0] for row in dimensions[3:]]
    assert labels == ["政务环境", "市场环境", "社会环境", "法治环境", "产业环境", "综合得分"]
    assert "有效答卷 2 份（另有草稿 1 份未计入）" in dimensions[1][0]

    distribution = _rows(book["题目分布"])
    q6 = [row for row in distribution if row[0] == 6 and row[4] == "融资难"][0]
    assert q6[5] == 2 and q6[6] == 100

    groups = _rows(book["分组比较"])
    assert ["按区", "答卷数", "政务环境", "市场环境", "社会环境", "法治环境", "产业环境", "综合得分"] in groups
    pudong = [row for row in groups if row[0] == "浦东新区"][0]
    assert pudong[1] == 1 and pudong[2] == "样本不足"  # fewer than survey_min_cell (5)


async def test_a_named_survey_exports_the_enterprise_and_the_export_is_audited(settings, db):
    survey = await make_open_survey(is_anonymous=False)
    response = await respond(survey, full_answers(), settings=settings)
    enterprise = await Enterprise.get(id=response.enterprise_id)

    book = load_workbook(io.BytesIO(await export_xlsx(survey_id=survey.id, settings=settings)))
    row = _by_header(book["原始答卷"])[0]
    assert row["企业名称"] == enterprise.name and row["统一社会信用代码"] == enterprise.credit_code
    assert "草稿" not in book.sheetnames
    entry = await AuditLog.filter(action="survey.export").order_by("-id").first()
    assert entry.target_id == str(survey.id) and entry.detail == {"submitted": 1, "drafts": 0}


async def test_exporting_an_unknown_survey_is_not_found(settings):
    with pytest.raises(SurveyNotFound):
        await export_xlsx(survey_id=424242, settings=settings)
