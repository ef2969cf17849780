"""Flows whose questions are data: steps built per conversation (`Flow.prepare`), each
answer acted on at once (`Flow.answered`), a hand-over from one flow to the next (`Then`),
a confirmation that understands more than its numbered choices (`Step.unmatched`)."""

from __future__ import annotations

from collections.abc import Mapping
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
    Then,
    flow,
    unregister_flow,
)
from app.conversation.engine import ABORTED, ASKED, CANCELLED, COMPLETED, INVALID, STARTED

SUBJECT = "oDynamic0001"

FORMS = {
    "short": ["您的姓名？", "您的城市？"],
    "long": ["您的姓名？", "您的城市？", "您的行业？"],
}
saved: list[tuple[str, Any]] = []


def _number_of(text: str, answers: Mapping[str, Any]) -> str:
    if text.startswith("改") and text[1:].isdigit() and f"a{text[1:]}" in answers:
        return f"a{text[1:]}"
    raise Invalid("请回复1确认，或“改N”修改第N项。")


class DataForm(Flow):
    title = "动态表单"
    farewell = "已保存，下次接着填。"

    async def prepare(self, data: Mapping[str, Any]) -> None:
        if data.get("form") not in FORMS:
            raise Abort("表单已下线。")
        questions = FORMS[data["form"]]
        self.steps = (
            *(Step(f"a{n}", text) for n, text in enumerate(questions, 1)),
            Step("done", "请确认：", confirm=True, choices=(Choice("yes", "确认"),), unmatched=_number_of),
        )

    def heading(self, step: Step, answers: Mapping[str, Any]) -> str:
        return f"<{step.key}>"

    async def answered(self, step: Step, value: Any, answers: Mapping[str, Any], ctx: FlowContext) -> Any:
        if value == "不存":
            raise Invalid("这个答案存不了。")
        if value == "停":
            raise Abort("服务已停止。")
        saved.append((step.key, value))
        if value == "同步":  # the service already holds a later answer (given elsewhere)
            return {**answers, "a2": "别处填的"}
        return None

    async def complete(self, answers: dict[str, Any], ctx: FlowContext) -> str | Then:
        if answers.get("a1") == "转":
            return Then("test_dynamic", data={"form": "long"}, prefill={"a1": "已转"}, text="换一份表单。")
        return f"完成：{'/'.join(str(answers[k]) for k in sorted(answers))}"


@pytest.fixture
def form():
    flow("test_dynamic")(DataForm)
    saved.clear()
    yield "test_dynamic"
    unregister_flow("test_dynamic")


@pytest.fixture
def engine(redis) -> ConversationEngine:
    return ConversationEngine(redis=redis)


async def say(engine: ConversationEngine, text: str):
    outcome = await engine.handle(subject=SUBJECT, text=text)
    assert outcome is not None
    return outcome


async def test_steps_come_from_the_data_the_conversation_started_with(engine, form):
    short = await engine.start(subject=SUBJECT, flow=form, data={"form": "short"})
    assert short.status == STARTED and "<a1>\n您的姓名？" in short.reply
    await say(engine, "王五")
    assert "<done>" in (await say(engine, "上海")).reply

    long = await engine.start(subject=SUBJECT, flow=form, data={"form": "long"}, prefill={"a1": "王五"})
    assert "您的城市？" in long.reply
    # Every later message prepares the same steps again from the stored data.
    assert "您的行业？" in (await say(engine, "北京")).reply
    assert "<done>" in (await say(engine, "制造")).reply
    assert (await say(engine, "1")).reply == "完成：王五/北京/制造"


async def test_a_flow_whose_source_is_gone_ends_with_its_own_message(engine, form):
    refused = await engine.start(subject=SUBJECT, flow=form, data={"form": "retired"})
    assert refused.status == ABORTED and refused.reply == "表单已下线。"
    assert await engine.current(subject=SUBJECT) is None

    await engine.start(subject=SUBJECT, flow=form, data={"form": "short"})
    state = await engine.current(subject=SUBJECT)
    state.data["form"] = "retired"
    await engine.store.save(state, ttl_seconds=60)
    gone = await say(engine, "王五")
    assert gone.status == ABORTED and gone.reply == "表单已下线。"


async def test_each_answer_is_acted_on_at_once_and_may_be_refused(engine, form):
    await engine.start(subject=SUBJECT, flow=form, data={"form": "short"})
    await say(engine, "王五")
    assert saved == [("a1", "王五")]
    refused = await say(engine, "不存")
    assert refused.status == INVALID and refused.reply.startswith("这个答案存不了。") and "<a2>" in refused.reply
    assert saved == [("a1", "王五")] and "a2" not in (await engine.current(subject=SUBJECT)).answers

    stopped = await say(engine, "停")
    assert stopped.status == ABORTED and stopped.reply == "服务已停止。"
    assert await engine.current(subject=SUBJECT) is None


async def test_answers_the_service_holds_replace_the_conversations(engine, form):
    await engine.start(subject=SUBJECT, flow=form, data={"form": "long"})
    passed = await say(engine, "同步")
    assert "<a3>" in passed.reply  # a2 was answered elsewhere meanwhile: not asked
    assert (await engine.current(subject=SUBJECT)).answers == {"a1": "同步", "a2": "别处填的"}


async def test_a_confirmation_reads_other_replies_through_unmatched(engine, form):
    await engine.start(subject=SUBJECT, flow=form, data={"form": "short"})
    await say(engine, "王五")
    await say(engine, "上海")
    unclear = await say(engine, "嗯")
    assert unclear.status == INVALID and unclear.reply.startswith("请回复1确认，或“改N”修改第N项。")
    change = await say(engine, "改2")
    assert change.status == ASKED and "<a2>" in change.reply and "（上次填写：上海）" in change.reply
    assert "<done>" in (await say(engine, "杭州")).reply
    assert (await say(engine, "确认")).status == COMPLETED


async def test_complete_can_hand_over_to_another_flow(engine, form):
    await engine.start(subject=SUBJECT, flow=form, data={"form": "short"})
    await say(engine, "转")
    await say(engine, "上海")
    handed = await say(engine, "1")
    assert handed.status == STARTED and handed.reply.startswith("换一份表单。\n\n<a2>\n您的城市？")
    state = await engine.current(subject=SUBJECT)
    assert state.data == {"form": "long"} and state.answers == {"a1": "已转"}


async def test_leaving_says_the_flows_own_farewell(engine, form):
    await engine.start(subject=SUBJECT, flow=form, data={"form": "short"})
    left = await say(engine, "取消")
    assert left.status == CANCELLED and left.reply == "已保存，下次接着填。"


def test_a_flow_without_steps_must_build_them():
    class Empty(Flow):
        async def complete(self, answers, ctx):
            return ""

    with pytest.raises(ValueError, match="has no steps"):
        flow("test_empty")(Empty)
