"""Exactly once: WeChat's tries of one message, on one process or several, are handled
once and all get the first try's reply."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator

import aiohttp
import pytest

from app.identity.models import Follower
from app.messagelog.models import MessageLog
from handlers import callback
from handlers.context import Context
from handlers.router import router
from tests.conftest import free_port, settings_env
from tests.handlers.conftest import decrypt_reply, post, safe_request, text_xml
from tests.identity.factories import make_enterprise

OPENID = "oExactlyOnce01"
SIDE_EFFECT = "test:side-effect"


@pytest.fixture
def counting_keyword():
    """A keyword whose handler has a visible side effect and takes a moment."""
    delay = {"seconds": 0.3}

    @router.keyword(r"^计数$", priority=1000)
    async def count(ctx: Context) -> str:
        total = await ctx.redis.incr(SIDE_EFFECT)
        await asyncio.sleep(delay["seconds"])
        return f"第{total}次处理"

    yield delay
    router.unregister(count)


async def test_three_simultaneous_tries_are_handled_once_and_all_get_the_same_reply(
    server, http, redis, counting_keyword
):
    request = safe_request(text_xml(OPENID, "计数", msg_id=5550001))
    answers = await asyncio.gather(*(post(http, server, request) for _ in range(3)))

    assert [status for status, _ in answers] == [200, 200, 200]
    assert {"<Content><![CDATA[第1次处理]]></Content>" in decrypt_reply(raw) for _, raw in answers} == {True}
    assert int(await redis.get(SIDE_EFFECT)) == 1
    assert await MessageLog.filter(direction="inbound", wechat_msg_id="5550001").count() == 1
    assert await MessageLog.filter(kind="passive_reply", openid=OPENID).count() == 1


async def test_a_retry_after_a_timeout_waits_for_the_first_try_and_repeats_its_reply(sim, redis, counting_keyword):
    counting_keyword["seconds"] = 1.2
    await sim.control("POST", "/_sim/config", json={"callback_timeout_s": 0.5})
    result = await sim.push(OPENID, type="text", content="计数", retries=True)

    assert result["tries"] >= 2 and result["attempts"][0]["error"] == "timeout"
    assert result["status"] == 200 and result["reply"]["Content"] == "第1次处理"
    assert int(await redis.get(SIDE_EFFECT)) == 1
    assert await MessageLog.filter(direction="inbound", openid=OPENID).count() == 1
    assert await MessageLog.filter(kind="passive_reply", openid=OPENID).count() == 1


async def test_two_different_events_in_the_same_second_are_both_handled(sim, db):
    """De-dup keys for events must not collapse distinct events of one follower."""
    await sim.event(
        OPENID, "TEMPLATESENDJOBFINISH", create_time=1_700_000_000, extra={"MsgID": 11, "Status": "success"}
    )
    await sim.event(
        OPENID, "TEMPLATESENDJOBFINISH", create_time=1_700_000_000, extra={"MsgID": 12, "Status": "success"}
    )
    assert await MessageLog.filter(direction="inbound", openid=OPENID).count() == 2


# -- two server processes -------------------------------------------------------------


@pytest.fixture
async def two_servers(settings, database) -> AsyncIterator[list[str]]:
    """Two `qiyun serve` processes on the test database and Redis."""
    env = settings_env(settings)
    env["LOG_LEVEL"] = "WARNING"
    processes = []
    urls = []
    for _ in range(2):
        port = free_port()
        processes.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "app",
                "serve",
                "--port",
                str(port),
                env=env,
                cwd=os.getcwd(),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        async with aiohttp.ClientSession() as http:
            for url in urls:
                await _wait_until_up(http, url)
        yield urls
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _wait_until_up(http: aiohttp.ClientSession, url: str) -> None:
    for _ in range(200):
        try:
            async with http.get(f"{url}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


@pytest.mark.slow
async def test_three_tries_at_once_on_two_processes_give_one_reply_record_and_one_side_effect(
    two_servers, http, db, redis, wechat
):
    enterprise = await make_enterprise(legal_representative="张三")
    first, second = two_servers
    messages = iter(range(7770001, 7770100))

    async def say(url: str, content: str, msg_id: int | None = None) -> str:
        status, raw = await post(http, url, safe_request(text_xml(OPENID, content, msg_id=msg_id or next(messages))))
        assert status == 200
        return decrypt_reply(raw)

    assert "统一社会信用代码" in await say(first, "绑定")
    assert "法定代表人的姓名" in await say(second, enterprise.credit_code)
    assert "1. 法定代表人" in await say(first, "李四")
    assert "请核对以下信息" in await say(second, "1")

    # The confirmation, with a wrong name: the binding service counts one failed try.
    confirm = safe_request(text_xml(OPENID, "1", msg_id=7779999))
    answers = await asyncio.gather(post(http, first, confirm), post(http, second, confirm), post(http, first, confirm))

    replies = [decrypt_reply(raw) for _, raw in answers]
    assert [status for status, _ in answers] == [200, 200, 200]
    assert all("法定代表人姓名与企业登记信息不一致" in reply and "还可尝试4次" in reply for reply in replies)
    follower = await Follower.get(openid=OPENID)
    assert int(await redis.get(f"qiyun:binding:failures:user:{follower.user_id}")) == 1
    assert await MessageLog.filter(direction="inbound", wechat_msg_id="7779999").count() == 1
    assert await MessageLog.filter(kind="passive_reply", openid=OPENID).count() == 5


def test_the_deadline_leaves_a_margin_under_wechats_five_seconds():
    assert 3.0 <= callback.DEADLINE_S <= 4.5
