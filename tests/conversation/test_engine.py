"""The conversation engine, as a follower experiences it: questions, answers, commands,
pauses, and flows that later issues plug in without touching the engine."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from app.conversation import (
    Abort,
    Choice,
    ConversationEngine,
    Flow,
    FlowContext,
    Invalid,
    Step,
    flow,
    get_flow,
    unregister_flow,
)
from app.conversation.engine import ABORTED, CANCELLED, COMPLETED, INVALID, PAUSED_NOW, RESUMED
from app.redis_client import connect

SUBJECT = "oFollower0001"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _age(text: str, answers: Any) -> int:
    if not text.isdigit() or not 0 < int(text) < 150:
        raise Invalid("年龄需要是1到149之间的数字。")
    return int(text)


completed: list[dict[str, Any]] = []


class Survey(Flow):
    title = "满意度调查"
    steps = (
        Step("name", "请问您怎么称呼？"),
        Step("age", "请问您的年龄？", validate=_age, max_attempts=3),
        Step("satisfied", "您对服务满意吗？", choices=(Choice("yes", "满意"), Choice("no", "不满意"))),
        Step("why", "哪里不满意呢？", when=lambda answers: answers.get("satisfied") == "no"),
        Step("comment", "还有其他建议吗？", optional=True),
        Step("confirm", lambda answers: f"请确认：{answers['name']}，{answers['age']}岁", confirm=True),
    )
    idle_timeout = timedelta(minutes=10)
    resume_window = timedelta(hours=24)

    async def complete(self, answers: dict[str, Any], ctx: FlowContext) -> str:
        if answers["name"] == "拒绝":
            raise Invalid("这个称呼不能使用，请换一个。", step="name")
        if answers["name"] == "封禁":
            raise Abort("您暂时不能参加调查。")
        completed.append({"answers": answers, "data": ctx.data, "deps": ctx.deps})
        return f"谢谢{answers['name']}！"


@pytest.fixture
def survey():
    flow("test_survey")(Survey)
    completed.clear()
    yield "test_survey"
    unregister_flow("test_survey")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(redis, clock) -> ConversationEngine:
    return ConversationEngine(redis=redis, clock=clock)


async def say(engine: ConversationEngine, text: str, deps: Any = None):
    outcome = await engine.handle(subject=SUBJECT, text=text, deps=deps)
    assert outcome is not None, f"{text!r} was not taken by the flow"
    return outcome


async def test_a_flow_asks_each_question_in_turn_and_completes_with_the_answers(engine, survey):
    started = await engine.start(subject=SUBJECT, flow=survey, data={"campaign": 7})
    assert "【满意度调查 1/5】" in started.reply and "请问您怎么称呼？" in started.reply
    assert "回复“取消”可退出" in started.reply

    assert "请问您的年龄？" in (await say(engine, "王先生")).reply
    choice = (await say(engine, "30")).reply
    assert "1. 满意\n2. 不满意" in choice
    assert "还有其他建议吗？" in (await say(engine, "1")).reply  # the "why" step does not apply
    confirm = await say(engine, "跳过")
    assert "请确认：王先生，30岁" in confirm.reply and "1. 确认提交" in confirm.reply

    done = await say(engine, "确认", deps="the caller's deps")
    assert done.status == COMPLETED and done.reply == "谢谢王先生！"
    assert completed == [
        {
            "answers": {"name": "王先生", "age": 30, "satisfied": "yes", "comment": None},
            "data": {"campaign": 7},
            "deps": "the caller's deps",
        }
    ]
    assert await engine.current(subject=SUBJECT) is None
    assert await engine.handle(subject=SUBJECT, text="你好") is None


async def test_choices_accept_the_label_and_full_width_digits_and_a_conditional_step_applies(engine, survey):
    await engine.start(subject=SUBJECT, flow=survey)
    await say(engine, "王先生")
    await say(engine, "３０")  # full-width digits, as some keyboards send them
    assert "哪里不满意呢？" in (await say(engine, "不满意")).reply
    await say(engine, "排队太久")
    await say(engine, "无")
    await say(engine, "1")
    assert completed[0]["answers"]["why"] == "排队太久"


async def test_an_invalid_answer_is_asked_again_with_the_reason_and_the_tries_left(engine, survey):
    await engine.start(subject=SUBJECT, flow=survey)
    await say(engine, "王先生")
    again = await say(engine, "三十")
    assert again.status == INVALID
    assert again.reply.startswith("年龄需要是1到149之间的数字。（还可尝试2次）")
    assert "请问您的年龄？" in again.reply
    await say(engine, "30")
    wrong_choice = await say(engine, "5")
    assert "请回复选项前的数字（1-2）" in wrong_choice.reply


async def test_too_many_invalid_answers_end_the_flow(engine, survey):
    await engine.start(subject=SUBJECT, flow=survey)
    await say(engine, "王先生")
    await say(engine, "abc")
    await say(engine, "abc")
    ended = await say(engine, "abc")
    assert ended.status == ABORTED and "已退出「满意度调查」" in ended.reply
    assert await engine.current(subject=SUBJECT) is None


async def test_back_returns_to_the_previous_question_showing_the_earlier_answer(engine, survey):
    await engine.start(subject=SUBJECT, flow=survey)
    first = await say(engine, "返回")
    assert first.reply.startswith("已经是第一步了。")
    await say(engine, "王先生")
    back = await say(engine, "返回")
    assert "请问您怎么称呼？" in back.reply and "（上次填写：王先生）" in back.reply
    assert "请问您的年龄？" in (await say(engine, "李女士")).reply
    state = await engine.current(subject=SUBJECT)
    assert state is not None and state.answers == {"name": "李女士"}


async def test_correcting_an_answer_from_the_confirmation_leads_back_to_the_confirmation(engine, survey):
    await engine.start(subject=SUBJECT, flow=survey)
    for answer in ("王先生", "30", "1", "跳过"):
        await say(engine, answer)
    await say(engine, "返回")  # comment
    await say(engine, "返回")  # satisfied
    await say(engine, "返回")  # age
    corrected = await say(engine, "31")
    assert "请确认：王先生，31岁" in corrected.reply


async def test_choosing_to_refill_at_the_confirmation_starts_a_clean_form(engine, survey):
    await engine.start(subject=SUBJECT, flow=survey)
    for answer in ("王先生", "30", "1", "跳过"):
        await say(engine, answer)
    refill = await say(engine, "2")
    assert refill.reply.startswith("好的，我们重新填写。") and "请问您怎么称呼？" in refill.reply
    state = await engine.current(subject=SUBJECT)
    assert state is not None and state.answers == {}


@pytest.mark.parametrize("word", ["取消", "退出", "取消。", " 退出 "])
async def test_cancel_or_exit_ends_the_flow_at_any_step(engine, survey, word):
    await engine.start(subject=SUBJECT, flow=survey)
    await say(engine, "王先生")
    cancelled = await say(engine, word)
    assert cancelled.status == CANCELLED and "已退出「满意度调查」" in cancelled.reply
    assert await engine.current(subject=SUBJECT) is None
    assert completed == []


async def test_the_service_refusing_an_answer_sends_the_follower_back_to_that_question(engine, survey):
    await engine.start(subject=SUBJECT, flow=survey)
    for answer in ("拒绝", "30", "1", "跳过"):
        await say(engine, answer)
    refused = await say(engine, "1")
    assert refused.status == INVALID
    assert refused.reply.startswith("这个称呼不能使用，请换一个。") and "请问您怎么称呼？" in refused.reply
    assert "（还可尝试" not in refused.reply  # the service's own limits apply, not the step's
    back_to_confirm = await say(engine, "王先生")
    assert "请确认：王先生，30岁" in back_to_confirm.reply
    assert (await say(engine, "1")).status == COMPLETED


async def test_the_service_can_end_the_flow_with_its_own_message(engine, survey):
    await engine.start(subject=SUBJECT, flow=survey)
    for answer in ("封禁", "30", "1", "跳过"):
        await say(engine, answer)
    ended = await say(engine, "1")
    assert ended.status == ABORTED and ended.reply == "您暂时不能参加调查。"
    assert await engine.current(subject=SUBJECT) is None


async def test_an_idle_flow_is_paused_politely_and_continues_with_the_saved_answers(engine, survey, clock):
    await engine.start(subject=SUBJECT, flow=survey)
    await say(engine, "王先生")
    clock.advance(11 * 60)

    paused = await say(engine, "最新政策")
    assert paused.status == PAUSED_NOW and not paused.consumed  # the message itself is handled as usual
    assert "已为您暂停" in paused.reply and "回复“继续”" in paused.reply
    assert await engine.handle(subject=SUBJECT, text="别的问题") is None  # paused: not intercepted

    resumed = await say(engine, "继续")
    assert resumed.status == RESUMED
    assert "好的，我们继续「满意度调查」。" in resumed.reply
    assert "· 王先生" in resumed.reply and "请问您的年龄？" in resumed.reply
    await say(engine, "30")
    state = await engine.current(subject=SUBJECT)
    assert state is not None and state.answers == {"name": "王先生", "age": 30}


async def test_continue_right_after_the_timeout_resumes_directly(engine, survey, clock):
    await engine.start(subject=SUBJECT, flow=survey)
    await say(engine, "王先生")
    clock.advance(3600)
    assert (await say(engine, "继续")).status == RESUMED


async def test_a_paused_flow_can_be_cancelled_and_expires_after_the_resume_window(engine, survey, clock, redis):
    await engine.start(subject=SUBJECT, flow=survey)
    clock.advance(11 * 60)
    await say(engine, "随便说说")
    assert (await say(engine, "取消")).status == CANCELLED

    await engine.start(subject=SUBJECT, flow=survey)
    clock.advance(11 * 60)
    await say(engine, "随便说说")
    ttl = await redis.ttl(engine.store.key(SUBJECT))
    assert 0 < ttl <= 24 * 3600


async def test_state_is_json_in_redis_and_a_new_engine_continues_the_flow(engine, survey, clock, redis_url):
    await engine.start(subject=SUBJECT, flow=survey)
    await say(engine, "王先生")
    raw = await engine.store.redis.get(engine.store.key(SUBJECT))
    stored = json.loads(raw)
    assert stored["flow"] == "test_survey" and stored["step"] == "age" and stored["answers"] == {"name": "王先生"}

    # As after a server restart: a new Redis connection, a new engine.
    other_redis = connect(redis_url)
    try:
        restarted = ConversationEngine(redis=other_redis, clock=clock)
        assert "1. 满意" in (await restarted.handle(subject=SUBJECT, text="30")).reply
    finally:
        await other_redis.aclose()


async def test_prefilled_answers_skip_their_questions(engine, survey):
    started = await engine.start(subject=SUBJECT, flow=survey, prefill={"name": "王先生"})
    assert "请问您的年龄？" in started.reply and "【满意度调查 2/5】" in started.reply
    assert "返回" in started.reply  # the prefilled answer can still be changed


async def test_starting_a_flow_replaces_the_one_in_progress(engine, survey):
    await engine.start(subject=SUBJECT, flow=survey)
    await say(engine, "王先生")
    await engine.start(subject=SUBJECT, flow=survey)
    state = await engine.current(subject=SUBJECT)
    assert state is not None and state.step == "name" and state.answers == {}


async def test_a_state_of_a_flow_that_no_longer_exists_is_dropped(engine, survey, redis):
    await engine.start(subject=SUBJECT, flow=survey)
    unregister_flow(survey)
    assert await engine.handle(subject=SUBJECT, text="王先生") is None
    assert await redis.get(engine.store.key(SUBJECT)) is None


async def test_a_later_flow_plugs_in_with_a_decorator_only(engine):
    @flow("test_rating")
    class Rating(Flow):
        title = "服务评价"
        steps = (Step("score", "请打分：", choices=(Choice("5", "非常满意"), Choice("1", "不满意"))),)

        async def complete(self, answers: dict[str, Any], ctx: FlowContext) -> str:
            return f"收到{answers['score']}分，谢谢！"

    try:
        assert get_flow("test_rating") is not None
        await engine.start(subject=SUBJECT, flow="test_rating")
        assert (await say(engine, "非常满意")).reply == "收到5分，谢谢！"
    finally:
        unregister_flow("test_rating")


def test_flow_names_are_owned_once():
    @flow("test_owned")
    class First(Flow):
        steps = (Step("a", "?"),)

    try:
        with pytest.raises(ValueError, match="already registered"):

            @flow("test_owned")
            class Second(Flow):
                steps = (Step("a", "?"),)
    finally:
        unregister_flow("test_owned")
