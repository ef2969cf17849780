"""营商环境评估 in the admin, over HTTP: the list, the settings form with Chinese field
errors, the overview's lifecycle buttons, and the questionnaire builder (add, edit, move,
delete, live preview, publish, versions); the evaluator reads everything and changes nothing."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from app.survey import answering
from app.survey import definition as defs
from app.survey.models import Questionnaire, Survey, SurveyStatus
from tests.survey.factories import make_open_survey, make_respondent, sample

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(days: float) -> str:
    return (datetime.now(SHANGHAI) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _settings(**overrides) -> dict[str, str]:
    form = {"title": "2026年度营商环境企业满意度调查", "kind": "annual", "year": "2026",
            "organiser": "市营商环境建设办公室", "description": "感谢贵企业参与", "template": "annual",
            "is_anonymous": "on", "opens_at": "", "closes_at": _local(30), "estimated_minutes": "10",
            "reminder_interval_days": "3", "max_reminders": "2", "eligibility_rate": "", "previous_id": ""}
    form.update(overrides)
    return form


async def _create(browser, **overrides) -> int:
    status, page, response = await browser.post("/admin/surveys/new", _settings(**overrides),
                                                token_from="/admin/surveys/new")
    assert status == 303, page
    return int(response.headers["Location"].rsplit("/", 1)[-1])


async def test_staff_build_a_survey_from_the_annual_template_and_publish_it(signed_in):
    fuwu = await signed_in("fuwu")
    status, page, _ = await fuwu.get("/admin/surveys/new")
    assert status == 200 and "年度营商环境评估（12题" in page
    survey_id = await _create(fuwu)

    status, page, _ = await fuwu.get(f"/admin/surveys/{survey_id}")
    assert status == 200 and "2026年度营商环境企业满意度调查" in page and "草稿" in page
    for href in ("", "/questionnaire", "/sample", "/tracking", "/results"):
        assert f'href="/admin/surveys/{survey_id}{href}"' in page  # the survey's tabs
    assert 'data-tab="overview" aria-current="page"' in page
    assert 'data-action="open"' in page and "发布问卷" in page

    status, page, _ = await fuwu.get(f"/admin/surveys/{survey_id}/questionnaire")
    assert status == 200 and 'data-tab="questionnaire" aria-current="page"' in page
    assert len(re.findall(r'class="survey-question" id="question-q\d+"', page)) == 12
    for dimension in ("政务环境", "市场环境", "社会环境", "法治环境", "产业环境"):
        assert dimension in page
    assert "仅当 q2 选 “办理过” 时显示" in page and "获得电力" in page and "发布第 1 版" in page

    status, _, _ = await fuwu.post(f"/admin/surveys/{survey_id}/questionnaire/publish", {},
                                   token_from=f"/admin/surveys/{survey_id}/questionnaire")
    assert status == 303
    assert (await Questionnaire.get(survey_id=survey_id)).published_at is not None

    status, page, _ = await fuwu.get("/admin/surveys")
    assert status == 200 and f'href="/admin/surveys/{survey_id}"' in page and "新建调查" in page


async def test_the_settings_form_answers_with_chinese_field_errors(signed_in):
    fuwu = await signed_in("fuwu")
    cases = [
        ({"title": ""}, "title", "请填写调查名称"),
        ({"year": "二〇二六"}, "year", "年度须为整数"),
        ({"closes_at": "下个月"}, "closes_at", "截止时间格式不正确"),
        ({"opens_at": _local(40)}, "closes_at", "截止时间须晚于开始时间"),
        ({"eligibility_rate": "很高"}, "eligibility_rate", "合格率估计值须为0到1之间的数字"),
        ({"reminder_interval_days": "0"}, "reminder_interval_days", "提醒间隔须在1到30天之间"),
    ]
    for overrides, field, message in cases:
        status, page, _ = await fuwu.post("/admin/surveys/new", _settings(**overrides),
                                          token_from="/admin/surveys/new")
        assert status == 400, (field, page)
        assert f'data-field="{field}">{message}' in page, field
        assert 'value="感谢贵企业参与"' not in page and "感谢贵企业参与" in page  # what was typed stays
    assert await Survey.all().count() == 0


async def test_settings_are_edited_and_promises_to_respondents_stay(signed_in):
    fuwu = await signed_in("fuwu")
    survey = await make_open_survey()
    status, page, _ = await fuwu.get(f"/admin/surveys/{survey.id}/edit")
    assert status == 200 and "调查已开始过" in page
    form = _settings(title="延期后的调查", closes_at=_local(60), max_reminders="3")
    form.pop("template")
    status, page, _ = await fuwu.post(f"/admin/surveys/{survey.id}/edit", form,
                                      token_from=f"/admin/surveys/{survey.id}/edit")
    assert status == 303, page
    survey = await Survey.get(id=survey.id)
    assert survey.title == "延期后的调查" and survey.max_reminders == 3
    status, page, _ = await fuwu.post(f"/admin/surveys/{survey.id}/edit", {**form, "is_anonymous": ""},
                                      token_from=f"/admin/surveys/{survey.id}/edit")
    assert status == 400 and 'data-field="is_anonymous">调查已开始过，匿名设置不能再修改' in page


async def test_the_lifecycle_buttons_explain_refusals_and_take_steps(signed_in):
    fuwu = await signed_in("fuwu")
    survey_id = await _create(fuwu)
    token = await fuwu.token(f"/admin/surveys/{survey_id}")
    status, _, response = await fuwu.post(f"/admin/surveys/{survey_id}/transition", {"action": "open"}, token=token)
    assert status == 303 and response.headers["Location"] == f"/admin/surveys/{survey_id}"
    _, page, _ = await fuwu.get(f"/admin/surveys/{survey_id}")
    assert "操作未完成：请先在“题目”页发布问卷，再开始调查" in page

    public_id = await _create(fuwu, is_public="on", kind="adhoc", year="", title="政策需求快速问卷")
    await fuwu.post(f"/admin/surveys/{public_id}/questionnaire/publish", {}, token=token)
    status, _, _ = await fuwu.post(f"/admin/surveys/{public_id}/transition", {"action": "open"}, token=token)
    assert status == 303 and (await Survey.get(id=public_id)).status == SurveyStatus.open
    _, page, _ = await fuwu.get(f"/admin/surveys/{public_id}")
    assert "已开始" in page and 'data-action="close"' in page
    await fuwu.post(f"/admin/surveys/{public_id}/transition", {"action": "close"}, token=token)
    assert (await Survey.get(id=public_id)).status == SurveyStatus.closed


async def test_the_builder_adds_edits_moves_and_deletes_questions(signed_in):
    fuwu = await signed_in("fuwu")
    survey_id = await _create(fuwu, template="blank")
    builder = f"/admin/surveys/{survey_id}/questionnaire"
    token = await fuwu.token(builder)

    status, _, _ = await fuwu.post(f"{builder}/sections/s1/edit", {"title": "政务环境", "dimension": "government"},
                                   token=token)
    assert status == 303
    await fuwu.post(f"{builder}/sections", {"title": "获得电力", "dimension": "social", "description": ""}, token=token)
    status, page, _ = await fuwu.get(f"{builder}/questions/new?section=s1")
    assert status == 200 and 'name="options"' in page and "预览（答题者看到的样子）" in page

    rating = {"section": "s1", "type": "rating", "title": "您对本区政务服务的总体满意度", "required": "on",
              "scale": "1-5", "min_label": "很不满意", "max_label": "很满意"}
    status, page, _ = await fuwu.post(f"{builder}/questions/new", rating, token=token)
    assert status == 303, page
    choice = {"section": "s1", "type": "single", "title": "近一年是否办理过开办企业业务", "required": "on",
              "options": "办理过\n没有办理"}
    assert (await fuwu.post(f"{builder}/questions/new", choice, token=token))[0] == 303
    follow = {"section": "s1", "type": "number", "title": "开办企业实际用了几个工作日", "required": "on",
              "min": "0", "max": "60", "integer": "on", "unit": "天", "show_if_question": "q2",
              "show_if_values": "办理过"}
    assert (await fuwu.post(f"{builder}/questions/new", follow, token=token))[0] == 303
    matrix = {"section": "s2", "type": "matrix", "title": "请对用电服务评分", "required": "on", "scale": "1-5",
              "rows": "接电时间\n电价透明\n供电可靠"}
    assert (await fuwu.post(f"{builder}/questions/new", matrix, token=token))[0] == 303

    definition = defs.load((await Questionnaire.get(survey_id=survey_id)).definition)
    assert [q.key for q in definition.questions] == ["q1", "q2", "q3", "q4"]
    assert definition.question("q3").show_if.values == ("1",)  # the label became the option's code
    assert [r.label for r in definition.question("q4").rows] == ["接电时间", "电价透明", "供电可靠"]

    # A broken question is answered in Chinese beside the field, with what was typed kept.
    status, page, _ = await fuwu.post(f"{builder}/questions/new", {**choice, "options": "只有一个"}, token=token)
    assert status == 400 and "选择题至少需要两个选项" in page and "只有一个" in page
    status, page, _ = await fuwu.post(f"{builder}/questions/new", {**choice, "options": "甲|200\n乙"}, token=token)
    assert status == 400 and 'data-field="options">第1个选项的分值须为0到100的数字' in page

    status, page, _ = await fuwu.get(f"{builder}/questions/q2/edit")
    assert status == 200 and "1=办理过" in page and 'class="survey-preview"' in page
    status, _, _ = await fuwu.post(f"{builder}/questions/q2/edit", {**choice, "options": "1=办理过\n2=没有办理|0"},
                                   token=token)
    assert status == 303
    status, _, _ = await fuwu.post(f"{builder}/questions/q3/move", {"direction": "up"}, token=token)
    _, page, _ = await fuwu.get(builder)
    assert "未保存：题目 q3：显示条件只能引用它前面的题目" in page
    status, _, _ = await fuwu.post(f"{builder}/questions/q2/delete", {}, token=token)
    _, page, _ = await fuwu.get(builder)
    assert "未保存：题目 q3 的显示条件引用了本题" in page
    assert (await fuwu.post(f"{builder}/questions/q3/delete", {}, token=token))[0] == 303
    assert (await fuwu.post(f"{builder}/questions/q1/move", {"direction": "down"}, token=token))[0] == 303
    definition = defs.load((await Questionnaire.get(survey_id=survey_id)).definition)
    assert [q.key for q in definition.questions] == ["q2", "q1", "q4"]
    assert definition.question("q2").options[1].score == 0


async def test_the_live_preview_shows_the_question_as_respondents_see_it(signed_in):
    fuwu = await signed_in("fuwu")
    survey = await make_open_survey()
    path = f"/admin/surveys/{survey.id}/questionnaire/preview"
    token = await fuwu.token(f"/admin/surveys/{survey.id}/questionnaire/questions/new")
    status, page, _ = await fuwu.post(path, {"section": "gov", "type": "rating", "title": "审批效率", "scale": "0-10",
                                             "required": "on", "max_label": "非常高效"}, token=token,
                                      headers={"HX-Request": "true"})
    assert status == 200 and "<html" not in page  # a fragment for htmx
    assert "审批效率" in page and "非常高效" in page and len(re.findall(r'type="radio"', page)) == 11
    status, page, _ = await fuwu.post(path, {"section": "gov", "type": "matrix", "title": "评分", "rows": ""},
                                      token=token)
    assert status == 200 and "矩阵题至少需要一行" in page


async def test_an_answered_version_is_announced_and_edits_make_the_next_version(signed_in, settings):
    fuwu = await signed_in("fuwu")
    survey = await make_open_survey()
    user, enterprise = await make_respondent()
    await sample(survey, enterprise)
    await answering.save_answers(survey_id=survey.id, user=user, settings=settings, answers={"q1": 5}, channel="h5")
    status, overview, _ = await fuwu.get(f"/admin/surveys/{survey.id}")
    assert status == 200 and 'data-disposition="partial">1<' in overview and 'data-count="drafts">1<' in overview
    assert 'data-count="submitted">0<' in overview and "1 家企业" in overview
    builder = f"/admin/surveys/{survey.id}/questionnaire"
    status, page, _ = await fuwu.get(builder)
    assert status == 200 and "第 1 版已有 1 份答卷（含草稿），不会再改动" in page
    status, page, _ = await fuwu.get(f"{builder}/questions/q12/edit")
    assert "保存后会生成第 2 版" in page
    token = await fuwu.token(builder)
    status, _, _ = await fuwu.post(f"{builder}/questions/q12/edit", {
        "section": "industry", "type": "textarea", "title": "您对改善营商环境还有哪些建议", "max_length": "300"},
        token=token)
    assert status == 303
    versions = await Questionnaire.filter(survey_id=survey.id).order_by("version")
    assert [v.version for v in versions] == [1, 2] and versions[1].published_at is None
    assert versions[0].definition["questions"][11]["title"] == "您对改善营商环境的意见建议"
    _, page, _ = await fuwu.get(builder)
    assert "发布第 2 版" in page and "第2版·草稿" in page
    _, old, _ = await fuwu.get(f"{builder}?version=1")
    assert "这是旧版本，只能查看" in old and "您对改善营商环境的意见建议" in old and "发布第" not in old


async def test_the_evaluator_reads_every_page_and_changes_nothing(signed_in):
    fuwu = await signed_in("fuwu")
    survey_id = await _create(fuwu)
    pinggu = await signed_in("pinggu")
    for path in ("/admin/surveys", f"/admin/surveys/{survey_id}", f"/admin/surveys/{survey_id}/questionnaire"):
        status, page, _ = await pinggu.get(path)
        assert status == 200, path
        assert "新建调查" not in page and "发布第" not in page and "删除" not in page and 'data-action=' not in page
    for path in ("/admin/surveys/new", f"/admin/surveys/{survey_id}/edit",
                 f"/admin/surveys/{survey_id}/questionnaire/questions/new"):
        assert (await pinggu.get(path))[0] == 403, path
    token = await pinggu.token("/admin/surveys")
    attempts = [
        ("/admin/surveys/new", _settings()),
        (f"/admin/surveys/{survey_id}/edit", _settings(title="评估员改的")),
        (f"/admin/surveys/{survey_id}/transition", {"action": "open"}),
        (f"/admin/surveys/{survey_id}/questionnaire/publish", {}),
        (f"/admin/surveys/{survey_id}/questionnaire/sections", {"title": "x", "dimension": "market"}),
        (f"/admin/surveys/{survey_id}/questionnaire/questions/new", {"section": "gov", "type": "text", "title": "x"}),
        (f"/admin/surveys/{survey_id}/questionnaire/questions/q1/edit",
         {"section": "gov", "type": "text", "title": "x"}),
        (f"/admin/surveys/{survey_id}/questionnaire/questions/q1/delete", {}),
        (f"/admin/surveys/{survey_id}/questionnaire/questions/q1/move", {"direction": "down"}),
        (f"/admin/surveys/{survey_id}/questionnaire/preview", {"section": "gov", "type": "text", "title": "x"}),
    ]
    for path, form in attempts:
        status, page, _ = await pinggu.post(path, form, token=token)
        assert status == 403 and "无权访问" in page, path
    assert await Survey.all().count() == 1 and (await Survey.get(id=survey_id)).title != "评估员改的"
    assert (await Questionnaire.get(survey_id=survey_id)).published_at is None


async def test_roles_without_survey_permissions_are_refused(signed_in):
    keji = await signed_in("keji")
    status, page, _ = await keji.get("/admin/surveys")
    assert status == 403 and "查看营商环境评估结果" in page
    _, home, _ = await keji.get("/admin/")
    assert 'href="/admin/surveys"' not in home


async def test_a_missing_survey_is_a_chinese_404(signed_in):
    fuwu = await signed_in("fuwu")
    for path in ("/admin/surveys/999", "/admin/surveys/999/questionnaire", "/admin/surveys/999/edit"):
        status, page, _ = await fuwu.get(path)
        assert status == 404 and "未找到该调查" in page, path


# -- in a real browser ------------------------------------------------------------------------------

from tests.admin.test_browser import browser, page, sign_in  # noqa: E402,F401  (fixtures shared with the browser tests)


@pytest.mark.browser
async def test_in_the_browser_the_builder_shows_only_the_chosen_types_fields_and_previews_live(page, accounts):
    survey = await make_open_survey()
    await sign_in(page, "fuwu")
    await page.goto(f"/admin/surveys/{survey.id}/questionnaire")
    assert await page.locator("li.survey-question").count() == 12
    await page.screenshot(path="/tmp/qiyun-survey-builder.png", full_page=True)

    await page.goto(f"/admin/surveys/{survey.id}/questionnaire/questions/new?section=market")
    await page.select_option("select[name=type]", "single")
    assert await page.locator("textarea[name=options]").is_visible()
    assert not await page.locator("textarea[name=rows]").is_visible()
    await page.fill("textarea[name=title]", "贵企业获取政府采购信息的渠道是否畅通")
    await page.fill("textarea[name=options]", "畅通|100\n一般|50\n不畅通|0")
    preview = page.locator("#question-preview .survey-preview")
    await preview.wait_for()
    await expect(preview).to_contain_text("贵企业获取政府采购信息的渠道是否畅通")
    await expect(preview.locator("input[type=radio]")).to_have_count(3)
    await page.screenshot(path="/tmp/qiyun-survey-question.png", full_page=True)
    assert not [m for m in page.console_messages if "Content Security Policy" in m]
    async with page.expect_navigation():
        await page.click("main button[type=submit]")
    assert "已添加题目" in await page.inner_text("main")
    definition = defs.load((await Questionnaire.get(survey_id=survey.id)).definition)
    assert definition.question("q13").section == "market"
    assert [o.label for o in definition.question("q13").options] == ["畅通", "一般", "不畅通"]
