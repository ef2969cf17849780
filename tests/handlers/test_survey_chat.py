"""A survey answered in the official-account chat, through the simulator: question by
question, saved as it goes, resumed any time, finished in chat or on another channel."""

from __future__ import annotations

import time

import pytest

from app.conversation import ConversationEngine
from app.identity.models import EnterpriseBinding
from app.survey import answering
from app.survey.models import Disposition, Survey, SurveyResponse, SurveySample, SurveyStatus
from handlers.flows.survey_answer import CHOOSE_FLOW, DECLINE_FLOW, FLOW, START_HINT
from tests.identity.factories import make_enterprise
from tests.survey.factories import full_answers, make_open_survey, make_respondent, sample

pytestmark = pytest.mark.usefixtures("db")


class Follow:
    """One follower's side of the chat; clicks get distinct CreateTimes (WeChat de-duplicates events)."""

    def __init__(self, sim, openid: str) -> None:
        self.sim, self.openid, self.clicks = sim, openid, 0

    async def say(self, text: str) -> str:
        return await self.sim.say(self.openid, text)

    async def click(self, key: str = "survey") -> str:
        self.clicks += 1
        result = await self.sim.event(self.openid, "CLICK", event_key=key, create_time=int(time.time()) + self.clicks)
        return (result["reply"] or {}).get("Content", "")


async def _sampled(openid: str, **survey_overrides):
    survey = await make_open_survey(**survey_overrides)
    user, enterprise = await make_respondent(openid=openid)
    row = await sample(survey, enterprise, probability=0.02)
    return survey, user, enterprise, row


async def _response(survey) -> SurveyResponse:
    return await SurveyResponse.get(survey_id=survey.id)


async def test_half_answered_in_chat_then_resumed_another_time_and_submitted(sim):
    survey, _, _, row = await _sampled("o-survey-chat-1")
    me = Follow(sim, "o-survey-chat-1")

    first = await me.click()
    assert "共12题（部分题目视您的回答免答）" in first and "/h5/surveys/" in first
    assert "【2026年度营商环境企业满意度调查】第1/10题" in first and "您对本区政务服务的总体满意度" in first
    assert "请回复1-5的数字（1=很不满意，5=很满意）" in first

    q2 = await me.say("4")
    assert "第2/10题" in q2 and "1. 办理过\n2. 没有办理" in q2
    q3 = await me.say("1")  # 办理过: the two questions about starting a business appear
    assert "第3/12题" in q3 and "开办企业实际用了几个工作日" in q3 and "单位：天" in q3
    q4 = await me.say("3天")
    assert "1. 非常满意" in q4
    assert "第5/12题" in await me.say("1")  # the first listed option, though its value is "5"
    q6 = await me.say("8")
    assert "可多选（最多选3项）" in q6
    q7 = await me.say("1 3")
    assert "第7/12题" in q7 and "如“5 4 5”" in q7

    # Every answer is in the draft already, read as the H5 page and mini-program read it.
    response = await _response(survey)
    assert response.answers == {"q1": 4, "q2": "yes", "q3": 3, "q4": "5", "q5": 8, "q6": ["finance", "cost"]}
    assert not response.submitted and response.channel == "chat"
    assert (await SurveySample.get(id=row.id)).disposition == Disposition.partial

    left = await me.say("取消")
    assert "已填写的内容都已保存" in left

    resumed = await me.say("问卷")
    assert "您上次答到第7题，继续作答（已回答6/12题）" in resumed and "请对以下公共服务评分" in resumed
    assert "第8/12题" in await me.say("5 4 4")
    for text in ("3", "5", "2", "4"):
        await me.say(text)
    summary = await me.say("希望进一步简化审批材料，推行一网通办")
    assert "全部12题已答完（作答12题）" in summary
    assert "第4题 您对开办企业服务的评…：非常满意" in summary and "1. 确认提交" in summary

    thanks = await me.say("1")
    assert "问卷已提交，感谢您的参与" in thanks
    response = await _response(survey)
    assert response.submitted and response.channel == "chat"
    assert response.answers == full_answers()
    assert (await SurveySample.get(id=row.id)).disposition == Disposition.complete
    assert "您已提交「2026年度营商环境企业满意度调查」" in await me.click()


async def test_back_skip_a_bad_scale_and_changing_an_answer_at_the_end(sim):
    survey, *_ = await _sampled("o-survey-chat-2")
    me = Follow(sim, "o-survey-chat-2")
    await me.click()

    bad = await me.say("6")
    assert bad.startswith("请回复 1 到 5 之间的整数") and "第1/10题" in bad
    await me.say("3")
    assert "第3/10题" in await me.say("2")  # 没有办理: skip logic hides two questions
    back = await me.say("返回")
    assert "第2/10题" in back and "（上次填写：没有办理）" in back
    assert "开办企业实际用了几个工作日" in await me.say("1")
    assert (await _response(survey)).answers == {"q1": 3, "q2": "yes"}
    required = await me.say("跳过")
    assert required.startswith("本题为必答题") and "第3/12题" in required
    assert "不能大于60天" in await me.say("99")
    for text in ("5", "3", "10", "2", "4 4 4", "4", "4", "2"):
        await me.say(text)
    last = await me.say("3")
    assert "第12/12题" in last and "（可回复“跳过”）" in last
    summary = await me.say("跳过")
    assert "全部12题已答完（作答11题）" in summary and "第12题 您对改善营商环境的意…：（跳过）" in summary

    unclear = await me.say("3")
    assert "如“修改3”" in unclear
    again = await me.say("修改1")
    assert "第1/12题" in again and "（上次填写：3分（1–5））" in again
    assert "全部12题已答完" in await me.say("5")
    assert "问卷已提交" in await me.say("确认")

    response = await _response(survey)
    assert response.submitted and response.answers["q1"] == 5 and "q12" not in response.answers
    assert response.answers["q6"] == ["talent"] and response.answers["q7"] == {"power": 4, "water": 4, "network": 4}


async def test_a_chat_draft_is_finished_elsewhere_and_answers_given_elsewhere_are_honoured(sim, settings):
    survey, user, _, _ = await _sampled("o-survey-chat-3")
    me = Follow(sim, "o-survey-chat-3")
    await me.click()
    await me.say("4")
    assert "市场准入的公平程度" in await me.say("2")  # q2 = 没有办理: q5 next
    # Meanwhile on the H5 page: the two questions after it.
    await answering.save_answers(survey_id=survey.id, user=user, settings=settings, channel="h5",
                                 answers={"q6": ["orders"], "q7": {"power": 3, "water": 3, "network": 3}})
    following = await me.say("7")
    assert "第6/10题" in following and "人才住房与子女就学保障" in following  # q6 and q7 are not asked again
    resumed = await me.click()
    assert "您上次答到第6题" in resumed and "人才住房与子女就学保障" in resumed

    answers = full_answers()
    rest = {key: answers[key] for key in ("q8", "q9", "q10", "q11")}
    done = await answering.submit(survey_id=survey.id, user=user, settings=settings, channel="miniprogram",
                                  answers=rest)
    assert done.submitted
    response = await _response(survey)
    assert response.answers == {"q1": 4, "q2": "no", "q5": 7, "q6": ["orders"],
                                "q7": {"power": 3, "water": 3, "network": 3}, **rest}
    # The chat still had a conversation open: its next answer is refused, nothing changes.
    refused = await me.say("3")
    assert "问卷已提交，不能再修改" in refused
    assert (await _response(survey)).answers == response.answers


async def test_declining_asks_first_and_then_stops_the_reminders(sim):
    survey, _, _, row = await _sampled("o-survey-chat-4")
    me = Follow(sim, "o-survey-chat-4")
    await me.click()
    await me.say("4")
    ask = await me.say("不参加调查")
    assert "确定不参加本次调查吗" in ask and "1. 确认不参加\n2. 继续作答" in ask
    back = await me.say("2")
    assert "您上次答到第2题" in back and (await SurveySample.get(id=row.id)).disposition == Disposition.partial

    await me.say("不参加调查")
    assert "已记录：不参加本次调查" in await me.say("1")
    declined = await SurveySample.get(id=row.id)
    assert declined.disposition == Disposition.refusal and declined.opted_out
    assert "没有需要填写的问卷" in await me.click()


async def test_who_has_nothing_to_answer_is_told_why(sim):
    stranger = Follow(sim, "o-survey-chat-5")
    assert "请先点击菜单「企业服务」→「绑定企业」" in await stranger.click()

    await make_open_survey()
    await make_respondent(openid="o-survey-chat-6")  # bound, but not in the sample
    assert "您绑定的企业目前没有需要填写的问卷" in await Follow(sim, "o-survey-chat-6").say("营商环境评估")
    assert "您目前没有需要填写的问卷" in await Follow(sim, "o-survey-chat-6").say("不参加调查")


async def test_several_surveys_are_listed_by_number_and_a_public_one_is_among_them(sim):
    annual, user, enterprise, _ = await _sampled("o-survey-chat-7")
    await make_open_survey(title="政务服务好差评专项调查", is_public=True)
    me = Follow(sim, "o-survey-chat-7")

    listing = await me.say("调查")
    assert "请回复序号开始作答" in listing
    lines = [line for line in listing.splitlines() if line[:2] in ("1.", "2.")]
    assert len(lines) == 2 and all("【未作答】" in line for line in lines)
    number = "1" if "政务服务好差评专项调查" in lines[0] else "2"
    opened = await me.say(number)
    assert "「政务服务好差评专项调查」共12题" in opened and "【政务服务好差评专项调查】第1/10题" in opened
    await me.click()
    assert "请回复问卷前的序号（1-2）" in await me.say("9")

    # A second enterprise bound to the same person, also sampled: each is named in the list.
    other = await make_enterprise(name="上海第二调查测试有限公司")
    await EnterpriseBinding.create(user=user, enterprise=other, role="contact", verified_by="test")
    await sample(annual, other)
    listing = await me.click()
    assert listing.count("2026年度营商环境企业满意度调查（") == 2 and f"（{enterprise.name}）" in listing
    assert "（上海第二调查测试有限公司）" in listing and "政务服务好差评专项调查【未作答】" in listing


async def test_a_survey_closed_mid_way_ends_the_chat_and_keeps_what_was_answered(sim, redis):
    survey, *_ = await _sampled("o-survey-chat-8")
    me = Follow(sim, "o-survey-chat-8")
    await me.click()
    await me.say("4")
    await Survey.filter(id=survey.id).update(status=SurveyStatus.closed)
    ended = await me.say("1")
    assert ended.startswith("该问卷已结束")
    assert (await _response(survey)).answers == {"q1": 4}
    assert await ConversationEngine(redis=redis).current(subject="o-survey-chat-8") is None


@pytest.mark.parametrize("name", [FLOW, CHOOSE_FLOW, DECLINE_FLOW])
async def test_a_survey_flow_started_without_its_survey_says_how_to_start(redis, name):
    """Staff may point an auto-reply rule at any flow; these need the survey they were opened for."""
    outcome = await ConversationEngine(redis=redis).start(subject="o-survey-chat-9", flow=name)
    assert outcome.status == "aborted" and outcome.reply == START_HINT
    assert await ConversationEngine(redis=redis).current(subject="o-survey-chat-9") is None
