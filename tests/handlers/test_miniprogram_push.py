"""The mini-program's message push (`/wechat/miniprogram`): its own token and key, the
callback's defences, no followers; and the official account's callback refusing to take a
mini-program event for a follower's."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import aiohttp
from pydantic import SecretStr

from app.content_check.models import CheckKind, CheckStatus, ContentCheck
from app.identity.followers import FOLLOWER_EVENTS
from app.identity.models import Follower
from app.messagelog.models import MessageChannel, MessageLog
from handlers.media_check import on_media_check
from handlers.miniprogram_events import MiniProgramContext, miniprogram_events
from handlers.router import router
from tests.conftest import TEST_AES_KEY, TEST_APPID, TEST_MP_AES_KEY, TEST_MP_APPID, TEST_MP_TOKEN, TEST_TOKEN
from tests.handlers.conftest import SignedRequest, plain_request, safe_request, signature

MP_OPENID = "o_mp_user_push_01"
PATH = "/wechat/miniprogram"


def media_check_xml(trace_id: str, *, suggest: str = "risky", label: int = 20006, openid: str = MP_OPENID) -> str:
    return (
        "<xml><ToUserName><![CDATA[gh_qiyun_mp]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[wxa_media_check]]></Event>"
        f"<appid><![CDATA[{TEST_MP_APPID}]]></appid><trace_id><![CDATA[{trace_id}]]></trace_id>"
        "<version>2</version><errcode>0</errcode><errmsg><![CDATA[ok]]></errmsg>"
        f"<result><suggest><![CDATA[{suggest}]]></suggest><label>{label}</label></result></xml>"
    )


def mp_safe_request(xml: str, **kwargs: Any) -> SignedRequest:
    """Encrypted and signed as WeChat does for the mini-program (its token, key and appid)."""
    return safe_request(xml, token=TEST_MP_TOKEN, aes_key=TEST_MP_AES_KEY, appid=TEST_MP_APPID, **kwargs)


async def post_mp(http: aiohttp.ClientSession, server: str, request: SignedRequest) -> tuple[int, str]:
    async with http.post(f"{server}{PATH}", params=request.params, data=request.body) as response:
        return response.status, await response.text()


async def pending_check(trace_id: str) -> ContentCheck:
    return await ContentCheck.create(
        subject_type="test_push", subject_id=1, kind=CheckKind.image, trace_id=trace_id, detail={"media_url": "u"}
    )


# -- URL verification --------------------------------------------------------------------


async def test_url_verification_echoes_echostr_for_the_miniprogram_token_only(server, http, sim) -> None:
    assert (await sim.control("POST", "/_sim/verify_url", json={"target": "miniprogram"}))["ok"] is True
    params = {"timestamp": "1700000000", "nonce": "42", "echostr": "mp-echo"}
    params["signature"] = signature(TEST_MP_TOKEN, params["timestamp"], params["nonce"])
    async with http.get(f"{server}{PATH}", params=params) as response:
        assert (response.status, await response.text()) == (200, "mp-echo")
    # The official account's token is another app's: refused.
    params["signature"] = signature(TEST_TOKEN, params["timestamp"], params["nonce"])
    async with http.get(f"{server}{PATH}", params=params) as response:
        assert response.status == 403 and "mp-echo" not in await response.text()


async def test_without_a_miniprogram_token_the_push_is_unavailable(serve, settings, http, db) -> None:
    async with serve(settings.model_copy(update={"miniprogram_token": SecretStr("")})) as url:
        params = {"timestamp": "1700000000", "nonce": "42", "echostr": "x", "signature": signature("", "1700000000", "42")}
        async with http.get(f"{url}{PATH}", params=params) as response:
            assert response.status == 503
        status, _ = await post_mp(http, url, mp_safe_request(media_check_xml("t-503")))
        assert status == 503
    assert await MessageLog.all().count() == 0


# -- signatures, decryption, replays -----------------------------------------------------


async def test_a_media_check_event_is_applied_and_answered_success(server, http, db) -> None:
    check = await pending_check("t-applied")
    status, body = await post_mp(http, server, mp_safe_request(media_check_xml("t-applied")))
    assert (status, body) == (200, "success")
    assert (await ContentCheck.get(id=check.id)).status is CheckStatus.risky
    [logged] = await MessageLog.all()
    assert (logged.channel, logged.direction, logged.kind, logged.openid) == (
        MessageChannel.miniprogram, "inbound", "event", MP_OPENID
    )
    assert logged.follower_id is None and logged.summary == "[事件] wxa_media_check"
    assert await Follower.all().count() == 0


async def test_a_forged_signature_is_refused(server, http, db) -> None:
    check = await pending_check("t-forged")
    xml = media_check_xml("t-forged", suggest="pass", label=100)
    # Signed with the official account's token (a leaked or guessed one is no good here) ...
    oa_signed = safe_request(xml, token=TEST_TOKEN, aes_key=TEST_MP_AES_KEY, appid=TEST_MP_APPID)
    # ... a made-up signature ...
    made_up = mp_safe_request(xml)
    made_up.params["signature"] = "0" * 40
    # ... the right signature over a ciphertext that is not signed (msg_signature) ...
    tampered = mp_safe_request(xml)
    tampered.params["msg_signature"] = "f" * 40
    # ... and a message encrypted for the official account (its key and appid).
    oa_encrypted = safe_request(xml, token=TEST_MP_TOKEN, aes_key=TEST_AES_KEY, appid=TEST_APPID)
    for request in (oa_signed, made_up, tampered, oa_encrypted):
        status, body = await post_mp(http, server, request)
        assert status == 403 and "success" not in body
    assert (await ContentCheck.get(id=check.id)).status is CheckStatus.pending
    assert await MessageLog.all().count() == 0


async def test_a_replayed_nonce_is_refused_and_a_retry_is_handled_once(server, http, db) -> None:
    check = await pending_check("t-replay")
    first = mp_safe_request(media_check_xml("t-replay"))
    assert await post_mp(http, server, first) == (200, "success")
    # WeChat retrying: the same request again is answered, and not handled twice.
    assert await post_mp(http, server, first) == (200, "success")
    assert await MessageLog.all().count() == 1
    # The same timestamp and nonce with another body is a replay.
    replay = mp_safe_request(
        media_check_xml("t-replay", suggest="pass", label=100),
        timestamp=int(first.params["timestamp"]),
        nonce=first.params["nonce"],
    )
    status, _ = await post_mp(http, server, replay)
    assert status == 403
    # A timestamp outside the replay window is refused too.
    stale = mp_safe_request(media_check_xml("t-replay", suggest="pass", label=100), timestamp=int(time.time()) - 3600)
    assert (await post_mp(http, server, stale))[0] == 403
    done = await ContentCheck.get(id=check.id)
    assert (done.status, done.label) == (CheckStatus.risky, 20006)
    assert await MessageLog.all().count() == 1


async def test_nonces_of_the_two_apps_do_not_collide(server, http, db) -> None:
    """The official account and the mini-program may both be sent nonce N in one second."""
    timestamp, nonce = int(time.time()), str(secrets.randbelow(10**9))
    oa = safe_request(
        "<xml><ToUserName>gh</ToUserName><FromUserName>oFollower0001</FromUserName>"
        f"<CreateTime>{timestamp}</CreateTime><MsgType>text</MsgType><Content>帮助</Content>"
        "<MsgId>7001</MsgId></xml>",
        timestamp=timestamp,
        nonce=nonce,
    )
    async with http.post(f"{server}/wechat/callback", params=oa.params, data=oa.body) as response:
        assert response.status == 200
    await pending_check("t-nonce")
    mp = mp_safe_request(media_check_xml("t-nonce"), timestamp=timestamp, nonce=nonce)
    assert await post_mp(http, server, mp) == (200, "success")


async def test_hostile_and_oversized_bodies_are_refused(server, http, db) -> None:
    dtd = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><xml><FromUserName>&e;</FromUserName></xml>'
    status, _ = await post_mp(http, server, plain_request(dtd, token=TEST_MP_TOKEN))
    assert status == 400
    status, _ = await post_mp(http, server, plain_request("<xml>" + "x" * 70_000 + "</xml>", token=TEST_MP_TOKEN))
    assert status == 413
    assert await MessageLog.all().count() == 0


async def test_the_json_data_format_is_read_in_plain_mode(server, http, db) -> None:
    check = await pending_check("t-json")
    event = {
        "ToUserName": "gh_qiyun_mp", "FromUserName": MP_OPENID, "CreateTime": int(time.time()), "MsgType": "event",
        "Event": "wxa_media_check", "appid": TEST_MP_APPID, "trace_id": "t-json", "version": 2,
        "detail": [{"strategy": "content_model", "errcode": 0, "suggest": "pass", "label": 100, "prob": 90}],
        "errcode": 0, "errmsg": "ok", "result": {"suggest": "pass", "label": 100},
    }
    request = plain_request(json.dumps(event), token=TEST_MP_TOKEN)
    assert await post_mp(http, server, request) == (200, "success")
    done = await ContentCheck.get(id=check.id)
    assert (done.status, done.label) == (CheckStatus.passed, 100)
    assert done.detail["verdict"]["strategies"] == [
        {"strategy": "content_model", "errcode": 0, "suggest": "pass", "label": 100, "prob": 90}
    ]
    broken = plain_request('{"FromUserName": ', token=TEST_MP_TOKEN)
    assert (await post_mp(http, server, broken))[0] == 400


# -- what the push dispatches ------------------------------------------------------------


async def test_events_without_a_handler_and_messages_are_logged_only(server, http, db) -> None:
    other = (
        "<xml><ToUserName>gh_qiyun_mp</ToUserName><FromUserName>o_mp_user_push_02</FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType>event</MsgType>"
        "<Event>wxa_nickname_audit</Event></xml>"
    )
    text = (
        "<xml><ToUserName>gh_qiyun_mp</ToUserName><FromUserName>o_mp_user_push_02</FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
        "<MsgId>9001</MsgId></xml>"
    )
    for xml in (other, text):
        assert await post_mp(http, server, mp_safe_request(xml)) == (200, "success")
    logged = await MessageLog.all().order_by("id")
    assert [(e.channel, e.kind) for e in logged] == [
        (MessageChannel.miniprogram, "event"), (MessageChannel.miniprogram, "text")
    ]
    assert await Follower.all().count() == 0


async def test_a_failing_handler_still_answers_success(server, http, db) -> None:
    heard: list[str] = []

    @miniprogram_events.event("test_broken_event")
    async def broken(ctx: MiniProgramContext) -> None:
        heard.append(ctx.openid)
        raise RuntimeError("the handler fell over")

    try:
        xml = (
            "<xml><ToUserName>gh_qiyun_mp</ToUserName><FromUserName>o_mp_user_push_03</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>event</MsgType>"
            "<Event>test_broken_event</Event></xml>"
        )
        assert await post_mp(http, server, mp_safe_request(xml)) == (200, "success")
    finally:
        miniprogram_events.unregister(broken)
    assert heard == ["o_mp_user_push_03"]


def test_wxa_media_check_is_handled_in_exactly_one_place() -> None:
    assert miniprogram_events.handler_for("wxa_media_check") is on_media_check
    assert router.event_handler("wxa_media_check") is None


def test_every_event_the_official_account_handles_is_a_follower_event() -> None:
    """The pipeline dispatches only follower events: a handler for any other would never run."""
    import handlers.modules  # noqa: F401  (every handler registered)

    assert {"subscribe", "unsubscribe", "click", "templatesendjobfinish"} <= router.events()
    assert router.events() <= FOLLOWER_EVENTS


# -- the official account's callback ---------------------------------------------------


async def test_a_media_check_at_the_official_accounts_callback_is_logged_and_ignored(sim, db) -> None:
    """A misconfigured push URL: the event must not become a follower, nor a verdict."""
    check = await pending_check("t-misrouted")
    result = await sim.event(
        MP_OPENID,
        "wxa_media_check",
        extra={"appid": TEST_MP_APPID, "trace_id": "t-misrouted", "version": 2, "errcode": 0,
               "result": {"suggest": "pass", "label": 100}},
    )
    assert result["status"] == 200 and result["reply"] is None and result["reply_error"] is None
    assert await Follower.filter(openid=MP_OPENID).count() == 0
    assert await Follower.all().count() == 0
    assert (await ContentCheck.get(id=check.id)).status is CheckStatus.pending
    [logged] = await MessageLog.all()
    assert (logged.channel, logged.kind, logged.openid, logged.follower_id) == (
        MessageChannel.official_account, "event", MP_OPENID, None
    )
    # A follower's own events still make them a follower.
    await sim.event("oFollowerPush01", "subscribe")
    assert await Follower.filter(openid="oFollowerPush01", subscribed=True).count() == 1
