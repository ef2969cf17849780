"""Retries, error mapping, encoding and logging of the transport, over real HTTP
against the simulator."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from wechatpy.exceptions import APILimitedException

from app.wechat import (
    WeChatClient,
    WeChatInvalidOpenIdError,
    WeChatNoGrantError,
    WeChatNotFollowerError,
    WeChatQuotaError,
    WeChatTransientError,
)

from .helpers import LOOP_SCOPE, MP_APPID, OA_APPID, OA_SECRET, ClientFactory, SimControl

pytestmark = pytest.mark.asyncio(loop_scope=LOOP_SCOPE)

TEMPLATE_SEND = "/cgi-bin/message/template/send"


async def test_errcode_minus_1_is_retried_until_success(oa: WeChatClient, simctl: SimControl) -> None:
    await simctl.fault(TEMPLATE_SEND, "errcode", errcode=-1, times=2)
    msgid = await oa.message.send_template("o_user_1", "tpl_1", {"thing1": "hi"})
    assert isinstance(msgid, int)
    assert await simctl.calls(TEMPLATE_SEND) == 3


async def test_http_502_is_retried(oa: WeChatClient, simctl: SimControl) -> None:
    await simctl.fault(TEMPLATE_SEND, "http", http_status=502, times=1)
    await oa.message.send_template("o_user_1", "tpl_1", {"thing1": "hi"})
    assert await simctl.calls(TEMPLATE_SEND) == 2


async def test_timeout_is_retried_then_succeeds(make_client: ClientFactory, simctl: SimControl) -> None:
    client = make_client(OA_APPID, timeout=0.5)
    await client.tokens.get_token()
    await simctl.fault(TEMPLATE_SEND, "timeout", times=1)
    await client.message.send_template("o_user_1", "tpl_1", {"thing1": "hi"})
    assert await simctl.calls(TEMPLATE_SEND) == 2


async def test_persistent_timeout_raises_transient_after_max_attempts(
    make_client: ClientFactory, simctl: SimControl
) -> None:
    client = make_client(OA_APPID, timeout=0.3, max_attempts=3)
    await client.tokens.get_token()
    await simctl.fault(TEMPLATE_SEND, "timeout", times=10)
    with pytest.raises(WeChatTransientError) as info:
        await client.message.send_template("o_user_1", "tpl_1", {"thing1": "hi"})
    assert info.value.retryable
    assert await simctl.calls(TEMPLATE_SEND) == 3


async def test_persistent_busy_gives_up_after_max_attempts(oa: WeChatClient, simctl: SimControl) -> None:
    await simctl.fault(TEMPLATE_SEND, "errcode", errcode=-1, times=10)
    with pytest.raises(WeChatTransientError) as info:
        await oa.message.send_template("o_user_1", "tpl_1", {"thing1": "hi"})
    assert info.value.errcode == -1
    assert await simctl.calls(TEMPLATE_SEND) == 4


@pytest.mark.parametrize(
    ("errcode", "exc_type"),
    [
        (45009, WeChatQuotaError),
        (43004, WeChatNotFollowerError),
        (40003, WeChatInvalidOpenIdError),
        (43101, WeChatNoGrantError),
    ],
)
async def test_permanent_errors_are_not_retried(
    oa: WeChatClient, simctl: SimControl, errcode: int, exc_type: type
) -> None:
    await oa.tokens.get_token()
    await simctl.fault(TEMPLATE_SEND, "errcode", errcode=errcode, times=5)
    with pytest.raises(exc_type) as info:
        await oa.message.send_template("o_user_1", "tpl_1", {"thing1": "hi"})
    assert info.value.errcode == errcode
    assert info.value.api == TEMPLATE_SEND
    assert not info.value.retryable
    if errcode == 45009:
        assert isinstance(info.value, APILimitedException)
    assert await simctl.calls(TEMPLATE_SEND) == 1
    assert await simctl.token_fetches(OA_APPID) == 1


async def test_chinese_text_arrives_unescaped(oa: WeChatClient, simctl: SimControl) -> None:
    text = "企业服务政策申报提醒"
    await oa.message.send_template("o_user_1", "tpl_1", {"thing1": text})
    records = await simctl.records(api=TEMPLATE_SEND, openid="o_user_1")
    raw = _raw_bodies(records)
    assert raw, f"no raw body recorded: {records!r}"
    assert any(text in body for body in raw)
    assert not any("\\u" in body for body in raw)


def _raw_bodies(records: Any) -> list[str]:
    items = records.get("records", records) if isinstance(records, dict) else records
    return [r["raw_body"] for r in items if isinstance(r, dict) and isinstance(r.get("raw_body"), str)]


async def test_log_lines_have_errcode_and_latency_but_no_secrets(
    oa: WeChatClient, mp: WeChatClient, simctl: SimControl, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="qiyun.wechat")
    await oa.message.send_template("o_user_1", "tpl_1", {"thing1": "机密正文"})
    await simctl.fault(TEMPLATE_SEND, "errcode", errcode=45009, times=1)
    with pytest.raises(WeChatQuotaError):
        await oa.message.send_template("o_user_2", "tpl_1", {"thing1": "x"})
    code = await simctl.login_code(MP_APPID, "o_mp_user_1")
    session = await mp.wxa.jscode2session(code)

    api_lines = [r for r in caplog.records if hasattr(r, "wechat_api")]
    by_api = {(r.wechat_api, r.errcode) for r in api_lines}
    assert (TEMPLATE_SEND, 0) in by_api
    assert (TEMPLATE_SEND, 45009) in by_api
    assert ("/sns/jscode2session", 0) in by_api
    for record in api_lines:
        assert record.levelno == logging.INFO
        assert isinstance(record.latency_ms, int) and record.latency_ms >= 0
        assert record.attempt >= 1
        assert record.appid in (OA_APPID, MP_APPID)
    assert any(getattr(r, "openid", None) == "o_user_2" for r in api_lines)

    forbidden = [OA_SECRET, "secret_mp", await oa.tokens.get_token(), await mp.tokens.get_token(), code]
    if session.get("session_key"):
        forbidden.append(session["session_key"])
    for record in caplog.records:
        dump = record.getMessage() + " " + " ".join(str(v) for v in vars(record).values())
        for value in forbidden:
            assert value not in dump, f"sensitive value leaked in log: {record.getMessage()}"
        assert "机密正文" not in dump


async def test_lost_response_retry_is_deduplicated_by_client_msg_id(
    make_client: ClientFactory, simctl: SimControl
) -> None:
    """WeChat processed the send but the answer was lost: the retry must not deliver twice."""
    oa = make_client(OA_APPID, timeout=0.3)
    await oa.tokens.get_token()
    await simctl.fault(TEMPLATE_SEND, "timeout", times=1, process=True)
    msgid = await oa.message.send_template("o_user_9", "tpl_1", {"thing1": "hi"}, client_msg_id="delivery-42")
    assert isinstance(msgid, int)
    assert await simctl.calls(TEMPLATE_SEND) == 2
    stats = await simctl.stats()
    assert stats["messages"]["o_user_9"]["template"] == 1
