"""Redis restarts while a follower is filing an appeal in the chat (我要反映).

While Redis is down the callback still answers WeChat, with a passive reply telling the
follower to send the message again (no 500, no retry storm, nothing acted on). With AOF the
conversation resumes where it was; without persistence the state is gone, the follower gets
an ordinary answer and can start again, and no half-written appeal exists either way.

The test's own redis-server is killed (SIGKILL) and started again on the same port; the
server (in this process) keeps its Redis client, which reconnects by itself.
"""

from __future__ import annotations

import logging

import pytest

from app.appeal.models import Appeal
from app.demo import demo_organisations
from app.organisation.service import upsert_organisations
from app.resources import open_resources
from handlers.callback import UNAVAILABLE
from tests.appeal.factories import make_enterprise_user
from tests.faults.conftest import eventually
from tests.handlers.conftest import Simulator

OPENID = "oRedisConv0001"
DESCRIPTION = "园区道路施工三个月未完工，货车无法进出，影响企业正常发货，希望协调加快进度。"


@pytest.fixture
async def chat(running_app, server, settings, http, wechat, db, redis_server):
    """(simulator driving the callback, the test's redis-server) for a server whose Redis is
    that redis-server: `chat(persistent=...)`."""
    app, url = running_app
    opened = []

    async def make(*, persistent: bool):
        own = redis_server(persistent=persistent)
        resources = await open_resources(settings.model_copy(update={"redis_url": own.url}), open_database=False)
        opened.append(resources)
        app.ctx.resources = resources
        async with http.post(f"{wechat.url}/_sim/config", json={"callback_url": f"{url}/wechat/callback"}) as response:
            assert response.status == 200
        await upsert_organisations(demo_organisations())
        await make_enterprise_user(openid=OPENID)
        return Simulator(url=wechat.url, callback_url=f"{url}/wechat/callback", http=http), own

    previous = app.ctx.resources
    yield make
    app.ctx.resources = previous
    for resources in opened:
        await resources.aclose()


async def _start_appeal(sim: Simulator) -> None:
    first = await sim.event(OPENID, "CLICK", event_key="appeal_new")
    assert "【反映诉求 1/4】" in first["reply"]["Content"]
    assert "请描述您遇到的问题" in await sim.say(OPENID, "4")
    assert "如有现场照片" in await sim.say(OPENID, DESCRIPTION)


async def _while_down_the_follower_is_told_to_resend(sim: Simulator, caplog) -> None:
    result = await sim.push(OPENID, type="text", content="完成")
    assert result["status"] == 200 and result["reply_error"] is None, result  # WeChat got an answer
    assert result["reply"]["Content"] == UNAVAILABLE
    assert any("Redis unavailable" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert await Appeal.all().count() == 0


async def test_with_aof_the_conversation_resumes_after_a_redis_restart(chat, caplog):
    sim, own = await chat(persistent=True)
    await _start_appeal(sim)

    own.kill()
    await _while_down_the_follower_is_told_to_resend(sim, caplog)
    own.start()

    # The same message again: the flow is where it was (the answers so far kept).
    summary = await sim.say(OPENID, "完成")
    assert "请核对您的诉求" in summary and "· 类别：科技创新" in summary, summary
    done = await sim.say(OPENID, "1")
    appeal = await Appeal.get()
    assert done.startswith(f"您的诉求已提交，编号：{appeal.number}。"), done
    assert appeal.description == DESCRIPTION
    assert await Appeal.all().count() == 1


async def test_without_persistence_the_follower_can_start_again_and_nothing_is_half_written(chat, caplog):
    sim, own = await chat(persistent=False)
    await _start_appeal(sim)

    own.kill()
    await _while_down_the_follower_is_told_to_resend(sim, caplog)
    own.start()
    assert own.dbsize() == 0  # the conversation is gone with the data

    # The answer to a question nobody remembers asking is an ordinary message now: answered
    # in the reply, or (a slow search on a loaded machine) by a customer-service message after it.
    reply = await sim.say(OPENID, "完成")
    if not reply:
        late = await eventually(lambda: sim.messages(OPENID, kind="custom"), timeout=30, what="the late reply")
        reply = late[-1]["payload"]["text"]["content"]
    assert reply and "请核对您的诉求" not in reply
    assert await Appeal.all().count() == 0

    # Starting again works, and files exactly one appeal.
    await _start_appeal(sim)
    assert "请核对您的诉求" in await sim.say(OPENID, "完成")
    done = await sim.say(OPENID, "1")
    appeal = await Appeal.get()
    assert done.startswith(f"您的诉求已提交，编号：{appeal.number}。"), done
    assert await Appeal.all().count() == 1
