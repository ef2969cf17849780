"""The 邀请与回收 tab over HTTP: invitations land once each in the simulator's records even
when staff press the button twice and the outbox runs twice; reminders; dispositions by
hand with a reason; AAPOR rates by group; evaluators read but change nothing; phones
masked and answers never shown."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest

from app.enterprise.models import Enterprise
from app.outbox.delivery import deliver_pending
from app.survey.models import Disposition, SurveyResponse, SurveySample
from tests.identity.factories import make_enterprise
from tests.survey.factories import make_open_survey, make_respondent, sample

TEMPLATE_API = "/cgi-bin/message/template/send"


async def _open_survey(**kwargs):
    """An open survey that opened a month ago (so contacts can be dated in the past)."""
    survey = await make_open_survey(**kwargs)
    survey.opens_at = datetime.now(UTC) - timedelta(days=30)
    await survey.save(update_fields=["opens_at"])
    return survey


async def _sampled_survey():
    survey = await _open_survey(reminder_interval_days=3, max_reminders=2)
    followed = []
    for n in range(2):
        _, enterprise = await make_respondent(openid=f"o-track-{n:08d}")
        followed.append(await sample(survey, enterprise))
    lonely = await make_enterprise(name="上海无人关注贸易有限公司")
    lonely.contact_phone = "13812345678"
    await lonely.save(update_fields=["contact_phone"])
    return survey, followed, await sample(survey, lonely)


async def _template_records(http, wechat) -> list[dict]:
    async with http.get(f"{wechat.url}/_sim/records", params={"api": TEMPLATE_API}) as response:
        return (await response.json())["records"]


async def test_invitations_land_once_each_however_often_staff_press_the_button(signed_in, resources, http, wechat):
    survey, followed, lonely = await _sampled_survey()
    manager = await signed_in("fuwu")
    status, page, _ = await manager.get(f"/admin/surveys/{survey.id}/tracking")
    assert status == 200
    assert "发出邀请（3 家待邀请）" in page and 'data-tab="tracking"' in page
    assert "最多提醒 2 次" in page and "至少 3 天" in page
    assert "TEMPLATE_SURVEY_INVITATION、TEMPLATE_SURVEY_REMINDER" in page  # the test server sets no template ids

    token = await manager.token(f"/admin/surveys/{survey.id}/tracking")
    status, _, response = await manager.post(f"/admin/surveys/{survey.id}/tracking/invite", token=token)
    assert status == 303 and response.headers["Location"].endswith(f"/admin/surveys/{survey.id}/tracking")
    _, page, _ = await manager.get(f"/admin/surveys/{survey.id}/tracking")
    assert "已向 3 家企业发出邀请" in page and "发出邀请（0 家待邀请）" in page
    await asyncio.gather(*(manager.post(f"/admin/surveys/{survey.id}/tracking/invite", token=token)
                           for _ in range(2)))  # a double click
    _, page, _ = await manager.get(f"/admin/surveys/{survey.id}/tracking")
    assert "没有需要邀请的企业" in page

    configured = dataclasses.replace(resources, settings=resources.settings.model_copy(
        update={"template_survey_invitation": "tpl-survey-invitation"}))
    await deliver_pending(configured)
    await deliver_pending(configured)
    records = await _template_records(http, wechat)
    assert sorted(r["json"]["touser"] for r in records) == ["o-track-00000000", "o-track-00000001"]

    _, page, _ = await manager.get(f"/admin/surveys/{survey.id}/tracking")
    assert "已邀请</dt><dd id=\"survey-invited\">3 家，其中 2 家已送达" in page
    assert page.count("已发送（公众号模板消息）") == 2 and "无法送达（未关注公众号）" in page


async def test_staff_remind_now_within_the_interval_only(signed_in):
    survey, followed, _ = await _sampled_survey()
    await SurveySample.filter(survey_id=survey.id).update(invited_at=datetime.now(UTC) - timedelta(days=4),
                                                          invite_result="sent:template:survey_invitation")
    await SurveySample.filter(id=followed[0].id).update(disposition=Disposition.complete)
    manager = await signed_in("fuwu")
    _, page, _ = await manager.get(f"/admin/surveys/{survey.id}/tracking")
    assert "立即提醒（2 家可提醒）" in page
    await manager.post(f"/admin/surveys/{survey.id}/tracking/remind", token_from=f"/admin/surveys/{survey.id}/tracking")
    _, page, _ = await manager.get(f"/admin/surveys/{survey.id}/tracking")
    assert "已向 2 家尚未完成的企业发出提醒" in page and "立即提醒（0 家可提醒）" in page
    await manager.post(f"/admin/surveys/{survey.id}/tracking/remind", token_from=f"/admin/surveys/{survey.id}/tracking")
    _, page, _ = await manager.get(f"/admin/surveys/{survey.id}/tracking")
    assert "目前没有需要提醒的企业" in page


async def test_staff_mark_a_disposition_with_a_reason_and_see_the_rates_change(signed_in):
    survey, followed, lonely = await _sampled_survey()
    await SurveySample.filter(id=followed[0].id).update(disposition=Disposition.complete)
    manager = await signed_in("fuwu")
    path = f"/admin/surveys/{survey.id}/tracking/samples/{lonely.id}/disposition"
    status, _, _ = await manager.post(path, {"disposition": "ineligible", "note": ""},
                                      token_from=f"/admin/surveys/{survey.id}/tracking")
    assert status == 303
    _, page, _ = await manager.get(f"/admin/surveys/{survey.id}/tracking")
    assert "未修改回复状态：请填写原因" in page
    assert (await SurveySample.get(id=lonely.id)).disposition == Disposition.pending

    await manager.post(path, {"disposition": "ineligible", "note": "企业已注销"},
                       token_from=f"/admin/surveys/{survey.id}/tracking")
    _, page, _ = await manager.get(f"/admin/surveys/{survey.id}/tracking")
    assert "已标记为“不符合条件”" in page and "企业已注销" in page
    overall = page[page.index('id="survey-rate-overall"'):]
    assert re.search(r'class="rr1">50\.0%', overall)  # 1 complete of 2 eligible

    complete_path = f"/admin/surveys/{survey.id}/tracking/samples/{followed[0].id}/disposition"
    await manager.post(complete_path, {"disposition": "refusal", "note": "误操作"},
                       token_from=f"/admin/surveys/{survey.id}/tracking")
    assert (await SurveySample.get(id=followed[0].id)).disposition == Disposition.complete
    other = await _open_survey(title="别的调查")
    status, _, _ = await manager.post(f"/admin/surveys/{other.id}/tracking/samples/{lonely.id}/disposition",
                                      {"disposition": "refusal", "note": "电话拒绝"},
                                      token_from=f"/admin/surveys/{survey.id}/tracking")
    assert status == 404


async def test_rates_by_district_and_the_sample_filter(signed_in):
    survey, followed, _ = await _sampled_survey()
    await SurveySample.filter(id=followed[0].id).update(disposition=Disposition.complete)
    manager = await signed_in("fuwu")
    status, page, _ = await manager.get(f"/admin/surveys/{survey.id}/tracking?by=district")
    assert status == 200 and 'data-group="310115"' in page and "浦东新区" in page
    _, page, _ = await manager.get(f"/admin/surveys/{survey.id}/tracking?disposition=complete")
    samples = page[page.index('id="survey-samples"'):]
    assert samples.count("data-sample=") == 1
    _, page, _ = await manager.get(f"/admin/surveys/{survey.id}/tracking?q=无人关注")
    assert page[page.index('id="survey-samples"'):].count("data-sample=") == 1


async def test_the_page_masks_phones_and_never_shows_answers(signed_in, settings):
    survey, followed, lonely = await _sampled_survey()
    user = await Enterprise.get(id=followed[0].enterprise_id)
    await SurveyResponse.create(survey=survey, questionnaire_id=(await survey.questionnaires.all())[0].id,
                                response_key="k-tracking-test", channel="h5", enterprise=user,
                                answers={"q12": "这是一条不该出现在回收页面的意见"})
    manager = await signed_in("fuwu")
    _, page, _ = await manager.get(f"/admin/surveys/{survey.id}/tracking")
    assert "138****5678" in page and "13812345678" not in page
    assert "不该出现在回收页面" not in page


@pytest.mark.parametrize("path", ["tracking/invite", "tracking/remind", "tracking/samples/{sample}/disposition"])
async def test_an_evaluator_reads_the_page_but_changes_nothing(signed_in, path):
    survey, _, lonely = await _sampled_survey()
    evaluator = await signed_in("pinggu")
    status, page, _ = await evaluator.get(f"/admin/surveys/{survey.id}/tracking")
    assert status == 200 and "回复率" in page and "发出邀请" not in page and "手工标记" not in page
    status, page, _ = await evaluator.post(f"/admin/surveys/{survey.id}/" + path.format(sample=lonely.id),
                                           {"disposition": "refusal", "note": "试图修改"})
    assert status == 403 and "无权" in page
    assert not await SurveySample.filter(survey_id=survey.id, invited_at__isnull=False).exists()
    assert (await SurveySample.get(id=lonely.id)).disposition == Disposition.pending


async def test_staff_without_survey_access_are_refused_and_unknown_surveys_are_404(signed_in):
    survey, _, _ = await _sampled_survey()
    editor = await signed_in("zhengce")
    status, _, _ = await editor.get(f"/admin/surveys/{survey.id}/tracking")
    assert status == 403
    manager = await signed_in("fuwu")
    status, _, _ = await manager.get("/admin/surveys/999999/tracking")
    assert status == 404


async def test_a_draft_survey_explains_why_nothing_can_be_sent_yet(signed_in):
    survey, _, _ = await _sampled_survey()
    survey.status = "draft"
    survey.closes_at = None
    await survey.save(update_fields=["status", "closes_at"])
    manager = await signed_in("fuwu")
    status, page, _ = await manager.get(f"/admin/surveys/{survey.id}/tracking")
    assert status == 200 and "调查尚未开始，不能发出邀请或提醒" in page and 'id="survey-invite"' not in page
    status, _, _ = await manager.post(f"/admin/surveys/{survey.id}/tracking/invite",
                                      token_from=f"/admin/surveys/{survey.id}/tracking")
    assert status == 303
    _, page, _ = await manager.get(f"/admin/surveys/{survey.id}/tracking")
    assert "未发出邀请：调查尚未开始" in page
    assert not await SurveySample.filter(survey_id=survey.id, invited_at__isnull=False).exists()
