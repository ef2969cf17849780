"""Steps that take messages other than text (photos ...), and confirmations with more than 确认/修改."""

from __future__ import annotations

from typing import Any

import pytest

from app.conversation import (
    CANCEL_CHOICE,
    Choice,
    Collected,
    ConversationEngine,
    Flow,
    FlowContext,
    Invalid,
    Media,
    Step,
    flow,
    unregister_flow,
)
from app.conversation.engine import ASKED, CANCELLED, COMPLETED, INVALID

SUBJECT = "oMediaFollower01"
completed: list[dict[str, Any]] = []


def add_picture(media: Media, answers: Any) -> Collected:
    pictures = [*(answers.get("pictures") or []), media.fields["PicUrl"]]
    if len(pictures) > 2:
        raise Invalid("最多两张。")
    return Collected(pictures, f"收到第{len(pictures)}张。")


def finish(text: str, answers: Any) -> list[str]:
    if text != "完成":
        raise Invalid("发完请回复“完成”。")
    return list(answers.get("pictures") or [])


class Report(Flow):
    title = "上报"
    steps = (
        Step("what", "发生了什么？"),
        Step("pictures", "请发图片，发完回复“完成”。", validate=finish, media=("image",), collect=add_picture),
        Step(
            "confirm",
            lambda answers: f"确认：{answers['what']}，{len(answers['pictures'])}张",
            confirm=True,
            choices=(Choice("yes", "提交"), Choice("what", "修改内容"), Choice(CANCEL_CHOICE, "取消")),
        ),
    )

    async def complete(self, answers: dict[str, Any], ctx: FlowContext) -> str:
        completed.append(answers)
        return "已上报"


@pytest.fixture
def report():
    flow("test_report")(Report)
    completed.clear()
    yield "test_report"
    unregister_flow("test_report")


@pytest.fixture
def engine(redis) -> ConversationEngine:
    return ConversationEngine(redis=redis)


def picture(number: int) -> Media:
    return Media(kind="image", fields={"PicUrl": f"http://pic/{number}", "MediaId": f"m{number}"})


async def test_pictures_are_collected_at_the_step_that_takes_them_and_text_closes_it(engine, report):
    await engine.start(subject=SUBJECT, flow=report)
    await engine.handle(subject=SUBJECT, text="路灯坏了")
    first = await engine.handle(subject=SUBJECT, media=picture(1))
    assert (first.status, first.reply) == (ASKED, "收到第1张。")
    assert (await engine.handle(subject=SUBJECT, media=picture(2))).reply == "收到第2张。"
    third = await engine.handle(subject=SUBJECT, media=picture(3))
    assert third.status == INVALID and third.reply.startswith("最多两张。") and "请发图片" in third.reply
    assert "确认：路灯坏了，2张" in (await engine.handle(subject=SUBJECT, text="完成")).reply
    done = await engine.handle(subject=SUBJECT, text="1")
    assert done.status == COMPLETED
    assert completed == [{"what": "路灯坏了", "pictures": ["http://pic/1", "http://pic/2"]}]


async def test_a_picture_where_text_is_asked_for_asks_again_and_none_outside_a_flow(engine, report):
    assert await engine.handle(subject=SUBJECT, media=picture(1)) is None
    await engine.start(subject=SUBJECT, flow=report)
    again = await engine.handle(subject=SUBJECT, media=picture(1))
    assert again.status == INVALID and again.reply.startswith("这一步需要按提示回复文字。")
    assert "发生了什么？" in again.reply
    state = await engine.current(subject=SUBJECT)
    assert state.step == "what" and state.attempts.get("what", 0) == 0  # not counted as a wrong answer


async def test_a_confirmation_choice_naming_a_step_corrects_only_that_answer(engine, report):
    await engine.start(subject=SUBJECT, flow=report)
    await engine.handle(subject=SUBJECT, text="路灯坏了")
    await engine.handle(subject=SUBJECT, media=picture(1))
    await engine.handle(subject=SUBJECT, text="完成")
    back = await engine.handle(subject=SUBJECT, text="2")
    assert "发生了什么？" in back.reply and "（上次填写：路灯坏了）" in back.reply
    assert "确认：井盖丢了，1张" in (await engine.handle(subject=SUBJECT, text="井盖丢了")).reply
    await engine.handle(subject=SUBJECT, text="提交")
    assert completed == [{"what": "井盖丢了", "pictures": ["http://pic/1"]}]


async def test_a_cancel_choice_on_the_confirmation_ends_the_flow(engine, report):
    await engine.start(subject=SUBJECT, flow=report)
    await engine.handle(subject=SUBJECT, text="路灯坏了")
    await engine.handle(subject=SUBJECT, text="完成")
    cancelled = await engine.handle(subject=SUBJECT, text="3")
    assert cancelled.status == CANCELLED and "已退出「上报」" in cancelled.reply
    assert await engine.current(subject=SUBJECT) is None and completed == []
