"""The 5-second rule: a slow handler's answer arrives later as a customer-service message,
or as a template message when the 48-hour window is closed; every send is logged."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from app.identity.models import Follower
from app.messagelog.models import MessageLog
from handlers import callback
from handlers.context import Context
from handlers.delivery import TemplateFallback, set_reply_fallback
from handlers.router import router

OPENID = "oDeadline00001"
LATE_ANSWER = "这是一个需要较长时间查询的答复"


@pytest.fixture
def slow_keyword(monkeypatch):
    """A handler that needs longer than the (shortened) deadline."""
    monkeypatch.setattr(callback, "DEADLINE_S", 0.3)

    @router.keyword(r"^慢慢查$", priority=1000)
    async def slow(ctx: Context) -> str:
        await asyncio.sleep(0.8)
        return LATE_ANSWER

    yield
    router.unregister(slow)


@pytest.fixture
def template_fallback():
    set_reply_fallback(
        lambda follower, reply: TemplateFallback(
            template_id="tpl_reply_ready",
            data={"thing1": "您咨询的问题已有答复", "time2": "刚刚"},
            url="https://example.invalid/h5/",
        )
    )
    yield
    set_reply_fallback(None)


async def wait_for(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = await predicate()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_a_slow_answer_is_success_at_the_deadline_then_a_customer_service_message(sim, slow_keyword):
    started = time.perf_counter()
    result = await sim.push(OPENID, type="text", content="慢慢查")
    assert time.perf_counter() - started < 0.7
    assert result["status"] == 200 and result["reply_raw"] == "success" and result["reply_error"] is None

    sent = await wait_for(lambda: sim.messages(OPENID, kind="custom"))
    assert sent[0]["payload"]["text"]["content"] == LATE_ANSWER
    logged = await wait_for(lambda: MessageLog.filter(openid=OPENID, kind="custom").first())
    assert (logged.errcode, logged.status, logged.summary) == (0, "sent", LATE_ANSWER)
    assert not await MessageLog.filter(openid=OPENID, kind="passive_reply").exists()


async def test_with_the_window_closed_a_template_message_stands_in_and_its_delivery_report_is_kept(
    sim, slow_keyword, template_fallback
):
    await sim.control("POST", "/_sim/faults", json={"api": "/cgi-bin/message/custom/send", "errcode": 45015})
    await sim.push(OPENID, type="text", content="慢慢查")

    templates = await wait_for(lambda: sim.messages(OPENID, kind="template"))
    assert templates[0]["template_id"] == "tpl_reply_ready"
    refused = await wait_for(lambda: MessageLog.filter(openid=OPENID, kind="custom").first())
    assert (refused.errcode, refused.status) == (45015, "failed")
    template = await wait_for(lambda: MessageLog.filter(openid=OPENID, kind="template").first())
    assert template.wechat_msg_id == str(templates[0]["msgid"]) and template.errcode == 0

    # WeChat reports the delivery (TEMPLATESENDJOBFINISH) to the callback: the row says so.
    await sim.drain_events()
    template = await wait_for(lambda: MessageLog.filter(id=template.id, status="success").first())
    assert template.status == "success"


async def test_with_the_window_closed_and_no_fallback_the_refusal_is_logged(sim, slow_keyword, caplog):
    await sim.control("POST", "/_sim/faults", json={"api": "/cgi-bin/message/custom/send", "errcode": 45047})
    with caplog.at_level(logging.WARNING, logger="qiyun.callback"):
        await sim.push(OPENID, type="text", content="慢慢查")
        refused = await wait_for(lambda: MessageLog.filter(openid=OPENID, kind="custom").first())

        async def warned() -> bool:
            return "no template fallback is configured" in caplog.text

        await wait_for(warned)
    assert (refused.errcode, refused.status) == (45047, "failed")
    assert not await sim.messages(OPENID, kind="template")


async def test_a_follower_who_unsubscribed_meanwhile_gets_nothing(sim, slow_keyword):
    await sim.push(OPENID, type="text", content="慢慢查")
    await Follower.filter(openid=OPENID).update(subscribed=False)
    await asyncio.sleep(1.0)
    assert not await sim.messages(OPENID)
    assert not await MessageLog.filter(openid=OPENID, direction="outbound").exists()


async def test_a_failing_handler_answers_with_an_apology_not_an_error(sim, db):
    @router.keyword(r"^出错$", priority=1000)
    async def broken(ctx: Context) -> str:
        raise RuntimeError("boom")

    try:
        assert (await sim.say(OPENID, "出错")).startswith("抱歉，系统开了个小差")
    finally:
        router.unregister(broken)
