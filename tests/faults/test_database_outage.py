"""The database refuses connections for a while (PostgreSQL behind a TCP proxy that drops
every connection and refuses new ones), under a real `qiyun serve` process.

During the outage: /readyz says 503, the WeChat callback still answers within its window
with a reply the follower understands (and logs the error), the mini-program API answers
503 with the Chinese error envelope, and confirming an appeal fails without writing half of
it. Afterwards everything works again without a restart: the connection pool reconnects.

SQLite has no connection to refuse (the embedded backend is a file in the process), so the
module is skipped there.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import pytest

from app.appeal.models import Appeal
from app.demo import demo_organisations
from app.identity.models import EnterpriseBinding
from app.organisation.service import upsert_organisations
from handlers.pipeline import APOLOGY
from tests.appeal.factories import make_enterprise_user
from tests.faults.conftest import eventually
from tests.faults.proxy import TcpProxy
from tests.handlers.conftest import Simulator
from tests.miniprogram_api.conftest import MiniProgram
from tests.processes import start_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("QIYUN_TEST_DATABASE_URL"),
        reason="the embedded SQLite backend has no connection to refuse (run with QIYUN_TEST_DATABASE_URL)",
    ),
]

OPENID = "oDbOutage0001"
DESCRIPTION = "公司申报的高新技术企业认定已提交两个月，一直没有收到反馈，希望了解办理进度。"


def _through(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


@pytest.fixture
async def proxied_server(settings, db, redis, wechat):
    parts = urlsplit(settings.effective_database_url)
    proxy = await TcpProxy.start(parts.hostname or "127.0.0.1", parts.port or 5432)
    config = settings.model_copy(update={"database_url": _through(settings.effective_database_url, proxy.port)})
    process = await start_server(config)
    try:
        yield proxy, process
    finally:
        await process.stop(20)
        await proxy.close()


async def _readyz(http: aiohttp.ClientSession, base: str) -> tuple[int, dict]:
    async with http.get(f"{base}/readyz") as response:
        return response.status, await response.json()


async def test_the_service_degrades_clearly_while_the_database_is_down_and_recovers_by_itself(
    proxied_server, http, wechat, settings
):
    proxy, process = proxied_server
    base = process.url
    await upsert_organisations(demo_organisations())
    user = await make_enterprise_user(openid=OPENID)
    binding = await EnterpriseBinding.get(user_id=user.id)
    async with http.post(f"{wechat.url}/_sim/config", json={"callback_url": f"{base}/wechat/callback"}) as response:
        assert response.status == 200
    sim = Simulator(url=wechat.url, callback_url=f"{base}/wechat/callback", http=http)
    mp = MiniProgram(http, base, wechat.url, settings.miniprogram_appid)
    token, _ = await mp.login("mp-db-outage-0001")
    assert (await mp.call("GET", "/mp/v1/policies", token=token)).status == 200

    # An appeal in the chat, up to its last question (the conversation lives in Redis).
    first = await sim.event(OPENID, "CLICK", event_key="appeal_new")
    assert "【反映诉求 1/4】" in first["reply"]["Content"]
    await sim.say(OPENID, "4")
    await sim.say(OPENID, DESCRIPTION)
    summary = await sim.say(OPENID, "完成")
    assert "请核对您的诉求" in summary

    await proxy.refuse()
    try:
        status, body = await _readyz(http, base)
        assert status == 503 and body["status"] == "unavailable", body
        assert body["checks"]["database"].startswith("error"), body
        assert body["checks"]["redis"] == "ok"

        # WeChat gets an answer in time, the follower a reply saying to try again later.
        result = await sim.push(OPENID, type="text", content="1")
        assert result["status"] == 200 and result["reply_error"] is None, result
        assert result["reply"]["Content"] == APOLOGY
        assert await Appeal.all().count() == 0  # nothing half-written (the test reads PostgreSQL directly)

        # The mini-program API: 503 and the envelope, in Chinese, with Retry-After.
        reply = await mp.call("GET", "/mp/v1/policies", token=token)
        assert reply.status == 503, reply.text
        assert reply.error["code"] == "service_unavailable" and "稍后" in reply.error["message"]
        assert reply.headers.get("Retry-After")
        assert process.count("message could not be processed") >= 1, process.output[-3000:]
        assert process.count("dependency unavailable") >= 1, process.output[-3000:]
    finally:
        await proxy.accept()

    # Back without a restart.
    await eventually(lambda: _ready(http, base), timeout=30, what="/readyz 200 after the outage")
    assert (await mp.call("GET", "/mp/v1/policies", token=token)).status == 200
    done = await sim.say(OPENID, "1")  # the confirmation is taken where it was left
    appeal = await Appeal.get()
    assert done.startswith(f"您的诉求已提交，编号：{appeal.number}。"), done
    assert appeal.enterprise_id == binding.enterprise_id and appeal.description == DESCRIPTION
    assert await Appeal.all().count() == 1
    assert process.running


async def _ready(http: aiohttp.ClientSession, base: str) -> bool:
    status, _ = await _readyz(http, base)
    return status == 200
