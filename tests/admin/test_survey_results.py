"""A survey's results page and XLSX export in the admin, over HTTP; the evaluator reads
everything and changes nothing."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from app.audit.models import AuditLog
from app.enterprise.reference import District
from app.survey.models import Survey, SurveySample
from tests.survey.factories import full_answers, make_open_survey
from tests.survey.responses import respond

LOW = {"q1": 2, "q2": "no", "q5": 3, "q6": ["talent"], "q7": {"power": 2, "water": 2, "network": 2}, "q8": 2,
       "q9": 2, "q10": "2", "q11": 2, "q12": "审批材料太多，希望简化审批"}


async def _answered_survey(settings) -> Survey:
    """Last year's survey and this year's, with five responses in Pudong and one in Xuhui."""
    last_year = await make_open_survey(title="2025年度营商环境企业满意度调查")
    await respond(last_year, LOW, settings=settings)
    survey = await make_open_survey(previous=last_year)
    for _ in range(4):
        await respond(survey, full_answers(), settings=settings, district=District.pudong)
    await respond(survey, LOW, settings=settings, district=District.pudong, probability=0.002)
    await respond(survey, LOW, settings=settings, district=District.xuhui)
    await respond(survey, {"q1": 3}, settings=settings, submit=False)
    return survey


async def test_the_evaluator_reads_scores_charts_groups_and_last_year(signed_in, accounts, settings):
    survey = await _answered_survey(settings)
    evaluator = await signed_in("pinggu")

    status, page, _ = await evaluator.get(f"/admin/surveys/{survey.id}/results")

    assert status == 200, page
    assert 'data-tab="results" aria-current="page"' in page  # the survey's tab bar, on 结果
    assert '<strong id="submitted-count">6</strong>' in page and '<strong id="draft-count">1</strong>' in page
    for label in ("政务环境", "市场环境", "社会环境", "法治环境", "产业环境", "综合得分"):
        assert label in page
    assert page.count('role="img"') >= 8 and 'id="dimension-scores"' in page and "<svg" in page
    assert 'id="bullet-government"' in page and "上期" in page
    assert "2025年度营商环境企业满意度调查" in page
    dimension_table = page[page.index('id="dimension-table"'):page.index("</table>", page.index('id="dimension-table"'))]
    assert "<th>上期得分</th>" in dimension_table and "25.0" in dimension_table
    groups = page[page.index('id="group-district-table"'):]
    assert "浦东新区" in groups and "徐汇区" in groups
    xuhui = groups[groups.index('data-group="310104"'):groups.index("</tr>", groups.index('data-group="310104"'))]
    assert "样本不足" in xuhui  # one response: fewer than survey_min_cell
    assert 'id="q-q7"' in page and "获得电力" in page and 'id="question-q6"' in page
    assert "审批" in page[page.index('id="hot-words"'):]
    assert "13912345678" not in page  # respondents' phones are nowhere near the results
    assert 'href="/admin/surveys/%d/results.xlsx"' % survey.id in page


async def test_the_evaluator_downloads_the_xlsx_and_the_download_is_audited(signed_in, accounts, settings):
    survey = await _answered_survey(settings)
    evaluator = await signed_in("pinggu")

    async with evaluator.http.get(evaluator.base + f"/admin/surveys/{survey.id}/results.xlsx") as download:
        assert download.status == 200
        assert download.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
        assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
        book = load_workbook(io.BytesIO(await download.read()))
    rows = list(book["原始答卷"].iter_rows(values_only=True))
    assert len(rows) == 1 + 6
    assert sum(1 for row in rows[1:] if "审批材料太多，希望简化审批" in row) == 2
    entry = await AuditLog.filter(action="survey.export").order_by("-id").first()
    assert entry.username == "pinggu" and entry.target_id == str(survey.id)


async def test_a_survey_without_answers_says_so(signed_in, accounts):
    survey = await make_open_survey()
    manager = await signed_in("fuwu")
    status, page, _ = await manager.get(f"/admin/surveys/{survey.id}/results")
    assert status == 200 and "还没有提交的答卷" in page and 'id="dimension-scores"' not in page


async def test_roles_without_survey_view_are_refused_and_unknown_surveys_are_not_found(signed_in, accounts):
    survey = await make_open_survey()
    for username in ("zhengce", "pudong", "keji"):
        outsider = await signed_in(username)
        for path in (f"/admin/surveys/{survey.id}/results", f"/admin/surveys/{survey.id}/results.xlsx"):
            status, page, _ = await outsider.get(path)
            assert status == 403 and "无权访问" in page, (username, path)
    assert not await AuditLog.filter(action="survey.export").exists()
    admin = await signed_in("admin")
    status, page, _ = await admin.get(f"/admin/surveys/{survey.id + 999}/results")
    assert status == 404 and "未找到该问卷调查" in page
    status, _, _ = await admin.get(f"/admin/surveys/{survey.id + 999}/results.xlsx")
    assert status == 404


@pytest.mark.parametrize("path", [
    "/admin/surveys/new",
    "/admin/surveys/{id}/edit",
    "/admin/surveys/{id}/transition",
    "/admin/surveys/{id}/questionnaire/publish",
    "/admin/surveys/{id}/sample",
    "/admin/surveys/{id}/sample/add",
    "/admin/surveys/{id}/tracking/invite",
    "/admin/surveys/{id}/tracking/remind",
])
async def test_the_evaluator_is_refused_every_change(signed_in, accounts, settings, path):
    survey = await make_open_survey(is_public=False)
    evaluator = await signed_in("pinggu")
    status, page, _ = await evaluator.post(path.format(id=survey.id), {"title": "改名", "action": "close", "size": "10"})
    assert status == 403 and "您的角色无权访问此页面" in page
    assert await Survey.filter(title="改名").count() == 0
    stored = await Survey.get(id=survey.id)
    assert stored.status == "open" and not await SurveySample.filter(survey_id=survey.id).exists()
