"""The sample page and the approval-service cases in the admin, over HTTP: preview (nothing
written), draw with the previewed seed, the same sample again from the same seed, manual
additions, field errors in Chinese, refusals for roles that may only read."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import aiohttp
from openpyxl import load_workbook

from app.enterprise.reference import District, Ownership, SizeClass
from app.survey.models import ServiceUse, Survey, SurveyKind, SurveySample, SurveyStatus
from tests.survey.sampling_support import make_reachable, make_register

PD, XH = District.pudong, District.xuhui


async def make_survey(**fields) -> Survey:
    return await Survey.create(title=fields.pop("title", "2026年度营商环境企业满意度调查"),
                               kind=fields.pop("kind", SurveyKind.annual), year=2026, **fields)


def design(size: int, *, seed: str = "", action: str = "preview", reachable: bool = False,
           strata: tuple[str, ...] = ("district", "size_class", "ownership"), **extra: str) -> list[tuple[str, str]]:
    fields = [("frame", "register"), ("size", str(size)), ("allocation", "proportional"), ("seed", seed),
              ("action", action)]
    fields += [("strata", name) for name in strata]
    if reachable:
        fields.append(("reachable_only", "on"))
    fields += list(extra.items())
    return fields


async def drawn(survey: Survey) -> list[int]:
    return sorted(await SurveySample.filter(survey_id=survey.id).values_list("enterprise_id", flat=True))


async def test_staff_preview_then_draw_and_the_same_seed_draws_the_same_sample(signed_in, accounts, settings):
    await make_register({(PD, SizeClass.small, Ownership.private): 1200, (XH, SizeClass.micro, Ownership.foreign): 300})
    survey = await make_survey()
    fuwu = await signed_in("fuwu")
    status, page, _ = await fuwu.get(f"/admin/surveys/{survey.id}/sample")
    assert status == 200 and "尚未抽样" in page and 'value="1000"' in page  # the annual minimum as the default size

    status, page, _ = await fuwu.post(f"/admin/surveys/{survey.id}/sample", design(1000))
    assert status == 200, page
    assert 'id="preview-strata"' in page and "浦东新区 · 小型 · 民营" in page and "徐汇区 · 微型 · 外资" in page
    assert "1,200" in page and "80.0%" in page  # Pudong's share of the register
    seed = re.search(r'id="preview-seed">(\d+)<', page).group(1)
    assert f'name="seed" inputmode="numeric" value="{seed}"' in page  # kept for the draw
    assert await SurveySample.filter(survey_id=survey.id).count() == 0  # a preview writes nothing

    status, _, response = await fuwu.post(f"/admin/surveys/{survey.id}/sample", design(1000, seed=seed, action="draw"))
    assert status == 303 and response.headers["Location"] == f"/admin/surveys/{survey.id}/sample"
    first = await drawn(survey)
    assert len(first) == 1000
    status, page, _ = await fuwu.get(f"/admin/surveys/{survey.id}/sample")
    assert status == 200 and f'id="recorded-seed">{seed}<' in page and "已抽取 1,000 家企业" in page
    assert 'id="sample-list"' in page and "第 1 / 20 页，共 1000 条" in page
    assert 'data-makeup="district"' in page

    other = await make_survey(title="复核用调查")
    status, _, _ = await fuwu.post(f"/admin/surveys/{other.id}/sample", design(1000, seed=seed, action="draw"))
    assert status == 303
    assert await drawn(other) == first  # the same sample again from the same seed


async def test_errors_are_shown_beside_the_fields_in_chinese(signed_in, accounts):
    await make_register({(PD, SizeClass.small, Ownership.private): 30})
    survey = await make_survey()
    fuwu = await signed_in("fuwu")
    status, page, _ = await fuwu.post(f"/admin/surveys/{survey.id}/sample", design(20, seed="abc"))
    assert status == 400 and "随机种子须为整数" in page
    status, page, _ = await fuwu.post(f"/admin/surveys/{survey.id}/sample", design(20, action="draw"))
    assert status == 400 and "年度营商环境评估的样本量不能少于1,000家" in page
    status, page, _ = await fuwu.post(f"/admin/surveys/{survey.id}/sample", design(1000, action="draw"))
    assert status == 400 and "样本量1,000超过了抽样框中的企业数30" in page
    status, page, _ = await fuwu.post(f"/admin/surveys/{survey.id}/sample", design(5, reachable=True))
    assert status == 400 and "仅统计已绑定且关注公众号或使用小程序的企业" in page  # nobody reachable yet
    assert await SurveySample.filter(survey_id=survey.id).count() == 0


async def test_reachable_only_and_manual_additions(signed_in, accounts):
    register = await make_register({(PD, SizeClass.small, Ownership.private): 8})
    await make_reachable(register[:4])
    survey = await make_survey(kind=SurveyKind.adhoc)
    fuwu = await signed_in("fuwu")
    status, _, _ = await fuwu.post(f"/admin/surveys/{survey.id}/sample", design(4, reachable=True, action="draw"))
    assert status == 303
    assert await drawn(survey) == [e.id for e in register[:4]]
    status, _, _ = await fuwu.post(f"/admin/surveys/{survey.id}/sample/add", {"credit_code": register[6].credit_code})
    assert status == 303
    status, page, _ = await fuwu.get(f"/admin/surveys/{survey.id}/sample")
    assert "已将“" in page and register[6].name in page and "手工添加 1 家" in page
    status, _, _ = await fuwu.post(f"/admin/surveys/{survey.id}/sample/add", {"credit_code": "91310000XXXXXXXXXX"})
    status, page, _ = await fuwu.get(f"/admin/surveys/{survey.id}/sample")
    assert "未能添加：法人库中没有统一社会信用代码为「91310000XXXXXXXXXX」的企业" in page

    one = await SurveySample.filter(survey_id=survey.id).first()
    await SurveySample.filter(id=one.id).update(invited_at=datetime.now(UTC))
    status, page, _ = await fuwu.get(f"/admin/surveys/{survey.id}/sample")
    assert "不能再重新抽取" in page and 'value="draw"' not in page
    status, page, _ = await fuwu.post(f"/admin/surveys/{survey.id}/sample", design(3, action="draw"))
    assert status == 400 and "已向样本企业发出邀请，不能重新抽样" in page
    assert len(await drawn(survey)) == 5


async def test_evaluators_read_the_sample_but_may_not_change_it(signed_in, accounts):
    register = await make_register({(PD, SizeClass.small, Ownership.private): 5})
    survey = await make_survey(kind=SurveyKind.adhoc, status=SurveyStatus.open)
    pinggu = await signed_in("pinggu")
    status, page, _ = await pinggu.get(f"/admin/surveys/{survey.id}/sample")
    assert status == 200 and 'id="design"' not in page and 'id="add-form"' not in page
    token = await pinggu.token(f"/admin/surveys/{survey.id}/sample")
    for path, data in ((f"/admin/surveys/{survey.id}/sample", design(2, action="draw")),
                       (f"/admin/surveys/{survey.id}/sample/add", {"credit_code": register[0].credit_code})):
        status, page, _ = await pinggu.post(path, data, token=token)
        assert status == 403 and "无权" in page
    assert await SurveySample.filter(survey_id=survey.id).count() == 0
    status, _, _ = await (await signed_in("zhengce")).get(f"/admin/surveys/{survey.id}/sample")
    assert status == 403
    status, _, _ = await pinggu.get("/admin/surveys/999999/sample")
    assert status == 404


async def upload(browser, content: bytes, filename: str) -> tuple[int, str]:
    token = await browser.token("/admin/surveys/service-uses")
    data = aiohttp.FormData()
    data.add_field("csrf_token", token)
    data.add_field("file", content, filename=filename, content_type="application/octet-stream")
    async with browser.http.post(browser.base + "/admin/surveys/service-uses/import", data=data,
                                 allow_redirects=False) as response:
        return response.status, await response.text()


async def test_service_cases_are_imported_listed_and_used_as_a_frame(signed_in, accounts):
    a, b, c = await make_register({(PD, SizeClass.small, Ownership.private): 3})
    fuwu = await signed_in("fuwu")
    status, page, _ = await fuwu.get("/admin/surveys/service-uses")
    assert status == 200 and "暂无办件记录" in page
    header = "统一社会信用代码,事项编码,事项名称,办理部门,办结时间,办件编号\n"
    bad = header + f"{a.credit_code},KB-001,企业开办,,2026-03-05,KB1\n91310000NOTINREGI,KB-001,企业开办,,2026-03-05,KB2\n"
    status, page = await upload(fuwu, bad.encode("utf-8"), "办件.csv")
    assert status == 400 and "第 3 行" in page and "法人库中没有" in page
    assert await ServiceUse.all().count() == 0
    good = header + "".join(f"{e.credit_code},KB-001,企业开办,,2026-03-0{i},KB{i}\n" for i, e in enumerate((a, b, c), 1))
    status, page = await upload(fuwu, good.encode("utf-8"), "办件.csv")
    assert status == 200 and "已导入 3 条办件" in page and 'data-service="KB-001"' in page
    status, page = await upload(fuwu, good.encode("utf-8"), "办件.csv")
    assert "已导入 0 条办件，3 条此前已导入" in page
    async with fuwu.http.get(fuwu.base + "/admin/surveys/service-uses/template.xlsx") as response:
        assert response.status == 200 and response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
        workbook = load_workbook(io.BytesIO(await response.read()))
    assert [cell.value for cell in workbook.active[1]] == ["统一社会信用代码", "事项编码", "事项名称", "办理部门", "办结时间",
                                                           "办件编号"]

    survey = await make_survey(kind=SurveyKind.service, title="企业开办服务评价")
    status, page, _ = await fuwu.get(f"/admin/surveys/{survey.id}/sample")
    assert "企业开办（KB-001，3家企业）" in page
    fields = design(2, action="draw", strata=()) + [("frame", "service_use"), ("service_code", "KB-001"),
                                                   ("period_from", "2026-03-01"), ("period_to", "2026-03-31")]
    fields = [pair for pair in fields if pair != ("frame", "register")]
    status, page, _ = await fuwu.post(f"/admin/surveys/{survey.id}/sample", fields)
    assert status == 303, page
    assert set(await drawn(survey)) <= {a.id, b.id, c.id} and len(await drawn(survey)) == 2
    assert set(await SurveySample.filter(survey_id=survey.id).values_list("stratum", flat=True)) == {"all"}

    pinggu = await signed_in("pinggu")
    status, page = await upload(pinggu, good.encode("utf-8"), "办件.csv")
    assert status == 403
