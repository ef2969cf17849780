"""Acting as WeChat towards the project: signed, encrypted pushes to a callback,
replies (plain and encrypted) read back, retries, follower effects and the events
WeChat pushes after API calls."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import xmltodict
from aiohttp import web
from wechatpy import parse_message
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.replies import ArticlesReply, TextReply
from wechatpy.utils import check_signature

from app.simulator.push import signature

from .conftest import (
    AES_KEY,
    CALLBACK_TOKEN,
    MP_AES_KEY,
    MP_APPID,
    MP_TOKEN,
    OA_APPID,
    ORIGINAL_ID,
    CallbackServer,
    Sim,
)

MakeSim = Callable[..., Awaitable[Sim]]


def crypto() -> WeChatCrypto:
    return WeChatCrypto(CALLBACK_TOKEN, AES_KEY, OA_APPID)


def plaintext_of(request: dict[str, Any]) -> str:
    """What the project's callback would do: verify and (if encrypted) decrypt."""
    query = request["query"]
    check_signature(CALLBACK_TOKEN, query["signature"], query["timestamp"], query["nonce"])  # raises if wrong
    if query.get("encrypt_type") == "aes":
        return crypto().decrypt_message(request["body"], query["msg_signature"], query["timestamp"], query["nonce"])
    return request["body"]


async def push(sim: Sim, **body: Any) -> dict[str, Any]:
    return await sim.control("POST", "/_sim/push", json=body)


async def test_plain_push_is_signed_and_shaped_like_wechat(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(callback_url=callback.url)

    def reply(request: web.Request, body: str) -> str:
        message = parse_message(body)
        return TextReply(message=message, content="您好，已收到：" + message.content).render()

    callback.responder = reply
    result = await push(sim, openid="o_follower_1", type="text", content="你好 <企业>")
    assert result["status"] == 200 and result["mode"] == "plain" and result["tries"] == 1
    request = callback.received[0]
    assert request["method"] == "POST"
    assert request["query"]["openid"] == "o_follower_1"
    assert "encrypt_type" not in request["query"]
    expected = hashlib.sha1("".join(sorted([CALLBACK_TOKEN, request["query"]["timestamp"],
                                            request["query"]["nonce"]])).encode()).hexdigest()
    assert request["query"]["signature"] == expected
    message = parse_message(plaintext_of(request))
    assert message.type == "text"
    assert (message.source, message.target, message.content) == ("o_follower_1", ORIGINAL_ID, "你好 <企业>")
    assert message.id == result["msg_id"] and message.id > 0
    assert abs(message.create_time.timestamp() - sim.state.now()) < 5
    assert result["reply"]["MsgType"] == "text"
    assert result["reply"]["Content"] == "您好，已收到：你好 <企业>"
    assert result["reply"]["ToUserName"] == "o_follower_1"


async def test_safe_mode_encrypts_with_the_appid_and_decrypts_an_encrypted_reply(
    make_sim: MakeSim, callback: CallbackServer
) -> None:
    sim = await make_sim(callback_url=callback.url, callback_aes_key=AES_KEY)

    def reply(request: web.Request, body: str) -> str:
        q = request.query
        message = parse_message(crypto().decrypt_message(body, q["msg_signature"], q["timestamp"], q["nonce"]))
        plain = TextReply(message=message, content="加密回复").render()
        return crypto().encrypt_message(plain, q["nonce"], q["timestamp"])

    callback.responder = reply
    result = await push(sim, openid="o_follower_1", content="安全模式")
    assert result["mode"] == "safe" and result["reply_error"] is None
    request = callback.received[0]
    assert request["query"]["encrypt_type"] == "aes"
    envelope = xmltodict.parse(request["body"])["xml"]
    assert set(envelope) == {"ToUserName", "Encrypt"}
    assert envelope["ToUserName"] == ORIGINAL_ID
    message = parse_message(plaintext_of(request))
    assert message.content == "安全模式" and message.source == "o_follower_1"
    assert result["reply"]["Content"] == "加密回复"
    assert "<Encrypt>" in result["reply_raw"]


async def test_compatible_mode_carries_plaintext_and_ciphertext(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(callback_url=callback.url, callback_aes_key=AES_KEY)
    callback.responder = lambda request, body: TextReply(message=parse_message(body), content="明文回复").render()
    result = await push(sim, openid="o_follower_1", content="兼容", mode="compatible")
    request = callback.received[0]
    envelope = xmltodict.parse(request["body"])["xml"]
    assert envelope["Content"] == "兼容" and envelope["Encrypt"]
    assert parse_message(plaintext_of(request)).content == "兼容"
    assert result["reply"]["Content"] == "明文回复"  # compatible mode accepts a plaintext reply


async def test_safe_mode_rejects_a_plaintext_reply_like_wechat(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(callback_url=callback.url, callback_aes_key=AES_KEY)
    callback.responder = lambda request, body: TextReply(source=ORIGINAL_ID, target="o_follower_1",
                                                         content="明文").render()
    result = await push(sim, openid="o_follower_1", content="hi")
    assert result["reply"] is None and "encrypted" in result["reply_error"]
    conversation = await sim.control("GET", "/_sim/conversation", params={"openid": "o_follower_1"})
    assert conversation["entries"][-1]["direction"] == "notice"
    assert conversation["entries"][-1]["text"] == "该公众号暂时无法提供服务，请稍后再试"


async def test_tampered_encrypted_reply_is_rejected(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(callback_url=callback.url, callback_aes_key=AES_KEY)

    def reply(request: web.Request, body: str) -> str:
        encrypted = crypto().encrypt_message(
            TextReply(source=ORIGINAL_ID, target="o_follower_1", content="x").render(), "123", "456"
        )
        return encrypted.replace("<TimeStamp>456</TimeStamp>", "<TimeStamp>457</TimeStamp>")

    callback.responder = reply
    result = await push(sim, openid="o_follower_1", content="hi")
    assert result["reply"] is None and "MsgSignature" in result["reply_error"]


async def test_success_and_empty_replies_mean_no_reply(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(callback_url=callback.url)
    for answer in ("success", ""):
        callback.responder = lambda request, body, answer=answer: answer
        result = await push(sim, openid="o_follower_1", content="hi")
        assert result["reply"] is None and result["reply_error"] is None
    entries = (await sim.control("GET", "/_sim/conversation", params={"openid": "o_follower_1"}))["entries"]
    assert [e["direction"] for e in entries] == ["in", "in"]


async def test_malformed_reply_is_reported(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(callback_url=callback.url)
    callback.responder = lambda request, body: '{"json": "is not a reply"}'
    result = await push(sim, openid="o_follower_1", content="hi")
    assert result["reply"] is None and "XML" in result["reply_error"]


async def test_retries_repeat_the_same_msgid_and_createtime(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(callback_url=callback.url, callback_timeout_s=0.2)

    async def slow_twice(request: web.Request, body: str) -> str:
        if len(callback.received) < 3:
            await asyncio.sleep(0.5)
        return TextReply(message=parse_message(body), content="第三次才答").render()

    callback.responder = slow_twice
    result = await push(sim, openid="o_follower_1", content="重试", retries=True)
    assert result["tries"] == 3
    assert [a.get("error") for a in result["attempts"]] == ["timeout", "timeout", None]
    assert result["reply"]["Content"] == "第三次才答"
    messages = [parse_message(plaintext_of(r)) for r in callback.received]
    assert len({m.id for m in messages}) == 1
    assert len({m.create_time for m in messages}) == 1
    assert (await sim.stats())["pushes"] == {"pushes": 1, "tries": 3}
    entries = (await sim.control("GET", "/_sim/conversation", params={"openid": "o_follower_1"}))["entries"]
    assert entries[0]["direction"] == "in" and entries[0]["tries"] == 3


async def test_without_retries_a_slow_callback_gets_one_try(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(callback_url=callback.url, callback_timeout_s=0.2)

    async def slow(request: web.Request, body: str) -> str:
        await asyncio.sleep(0.5)
        return "success"

    callback.responder = slow
    result = await push(sim, openid="o_follower_1", content="hi")
    assert result["tries"] == 1 and result["status"] is None
    assert "timeout" in result["reply_error"]
    entries = (await sim.control("GET", "/_sim/conversation", params={"openid": "o_follower_1"}))["entries"]
    assert entries[-1]["direction"] == "notice"


async def test_subscribe_with_scene_and_unsubscribe_change_the_follower(
    make_sim: MakeSim, callback: CallbackServer
) -> None:
    sim = await make_sim(callback_url=callback.url, strict_openids=True)
    await push(sim, openid="o_follower_1", type="event", event="subscribe", event_key="qrscene_123", ticket="TICKET")
    event = xmltodict.parse(plaintext_of(callback.received[0]))["xml"]
    assert (event["MsgType"], event["Event"], event["EventKey"], event["Ticket"]) == (
        "event", "subscribe", "qrscene_123", "TICKET")
    assert "MsgId" not in event
    info = await sim.api("GET", "/cgi-bin/user/info", params={"openid": "o_follower_1"})
    assert info["subscribe"] == 1 and info["qr_scene"] == 123 and info["subscribe_scene"] == "ADD_SCENE_QR_CODE"
    assert (await sim.send_template("o_follower_1"))["errcode"] == 0
    await push(sim, openid="o_follower_1", event="unsubscribe")
    info = await sim.api("GET", "/cgi-bin/user/info", params={"openid": "o_follower_1"})
    assert info["subscribe"] == 0
    assert (await sim.send_template("o_follower_1"))["errcode"] == 43004


async def test_message_types_become_wechat_xml(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(callback_url=callback.url)
    await push(sim, openid="o_follower_1", type="location", location_x=31.2, location_y=121.5, label="人民广场")
    await push(sim, openid="o_follower_1", type="event", event="CLICK", event_key="POLICY")
    await push(sim, openid="o_follower_1", type="event", event="LOCATION", latitude=31.2, longitude=121.5)
    await push(sim, openid="o_follower_1", type="image", pic_url="http://example.com/a.png",
               extra={"Custom": "x"})
    location, click, gps, image = (parse_message(plaintext_of(r)) for r in callback.received)
    assert location.type == "location" and location.label == "人民广场"
    assert tuple(map(float, location.location)) == (31.2, 121.5)
    assert click.event == "click" and click.key == "POLICY"
    assert gps.event == "location" and float(gps.latitude) == 31.2
    assert image.type == "image" and image.image == "http://example.com/a.png"
    assert xmltodict.parse(callback.received[3]["body"])["xml"]["Custom"] == "x"


async def test_follower_messages_open_the_48h_window(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(callback_url=callback.url, enforce_48h=True)
    body = {"touser": "o_follower_1", "msgtype": "text", "text": {"content": "客服回复"}}
    assert (await sim.api("POST", "/cgi-bin/message/custom/send", json=body))["errcode"] == 45015
    await push(sim, openid="o_follower_1", type="event", event="VIEW", event_key="https://x")  # not an interaction
    assert (await sim.api("POST", "/cgi-bin/message/custom/send", json=body))["errcode"] == 45015
    await push(sim, openid="o_follower_1", content="在吗")
    assert (await sim.api("POST", "/cgi-bin/message/custom/send", json=body))["errcode"] == 0


async def test_conversation_interleaves_both_directions(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(callback_url=callback.url, template_finish_events=False)
    callback.responder = lambda request, body: ArticlesReply(
        message=parse_message(body), articles=[{"title": "政策", "description": "摘要", "url": "https://x/1"}]
    ).render()
    await push(sim, openid="o_follower_1", content="政策")
    await sim.send_template("o_follower_1")
    await sim.api("POST", "/cgi-bin/message/custom/send",
                  json={"touser": "o_follower_1", "msgtype": "text", "text": {"content": "客服"}})
    await sim.send_template("o_other_1")
    conversation = await sim.control("GET", "/_sim/conversation", params={"openid": "o_follower_1"})
    entries = conversation["entries"]
    assert [(e["direction"], e.get("kind", e.get("msgtype"))) for e in entries] == [
        ("in", "text"), ("out", "reply"), ("out", "template"), ("out", "custom")]
    assert entries[1]["articles"][0] == {"title": "政策", "description": "摘要", "picurl": "", "url": "https://x/1"}
    later = await sim.control("GET", "/_sim/conversation",
                              params={"openid": "o_follower_1", "after": entries[1]["seq"]})
    assert [e["kind"] for e in later["entries"]] == ["template", "custom"]


async def test_template_finish_event_is_pushed(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(callback_url=callback.url, callback_aes_key=AES_KEY)
    await sim.control("POST", "/_sim/followers", json={"openid": "o_blocker_1", "blocked": True})
    ok = await sim.send_template("o_follower_1")
    blocked = await sim.send_template("o_blocker_1")
    assert blocked["errcode"] == 0  # WeChat accepts; the failure comes with the event
    drained = await sim.control("POST", "/_sim/events/drain")
    assert drained["callback_events"] == {"queued": 2, "sent": 2}
    events = {}
    for request in callback.received:
        event = parse_message(plaintext_of(request))
        assert event.event == "templatesendjobfinish"
        events[event.source] = (event.id, event.status)
    assert events == {"o_follower_1": (ok["msgid"], "success"), "o_blocker_1": (blocked["msgid"], "failed:user block")}


async def test_template_finish_events_can_be_disabled(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(callback_url=callback.url, template_finish_events=False)
    await sim.send_template("o_follower_1")
    await sim.control("POST", "/_sim/events/drain")
    assert callback.received == []


MEDIA_CHECK = {"media_url": "https://example.com/sim_risky.png", "media_type": 2, "version": 2,
               "openid": "o_mp_user_1", "scene": 2}


def miniprogram_plaintext(request: dict[str, Any]) -> str:
    """What the project's mini-program push would do: verify with the mini-program's token,
    decrypt with its key and appid (wechatpy raises if any of them is not the one used)."""
    query = request["query"]
    check_signature(MP_TOKEN, query["signature"], query["timestamp"], query["nonce"])
    assert query["encrypt_type"] == "aes"
    crypto = WeChatCrypto(MP_TOKEN, MP_AES_KEY, MP_APPID)
    return crypto.decrypt_message(request["body"], query["msg_signature"], query["timestamp"], query["nonce"])


def with_miniprogram_push(callback: CallbackServer, **overrides: Any) -> dict[str, Any]:
    return {"callback_url": callback.url, "callback_aes_key": AES_KEY, "miniprogram_push_url": callback.miniprogram_url,
            "miniprogram_token": MP_TOKEN, "miniprogram_aes_key": MP_AES_KEY, "miniprogram_appid": MP_APPID,
            **overrides}


async def test_media_check_result_goes_to_the_miniprogram_push_with_its_credentials(
    make_sim: MakeSim, callback: CallbackServer
) -> None:
    sim = await make_sim(**with_miniprogram_push(callback, media_check_delay_ms=10))
    answer = await sim.api("POST", "/wxa/media_check_async", appid=MP_APPID, json=MEDIA_CHECK)
    drained = await sim.control("POST", "/_sim/events/drain")
    assert drained["callback_events"] == {"queued": 1, "sent": 1}
    [request] = callback.received
    assert request["path"] == "/wechat/miniprogram" and request["content_type"] == "text/xml"
    event = xmltodict.parse(miniprogram_plaintext(request))["xml"]
    assert (event["ToUserName"], event["FromUserName"], event["Event"]) == (
        "gh_qiyun_mp_sim", "o_mp_user_1", "wxa_media_check")
    assert event["trace_id"] == answer["trace_id"]
    assert event["appid"] == MP_APPID
    assert event["result"] == {"suggest": "risky", "label": "20006"}
    assert event["detail"]["strategy"] == "content_model"


async def test_media_check_result_in_the_json_data_format(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(**with_miniprogram_push(callback, media_check_delay_ms=10, miniprogram_data_format="json"))
    answer = await sim.api("POST", "/wxa/media_check_async", appid=MP_APPID, json=MEDIA_CHECK)
    await sim.control("POST", "/_sim/events/drain")
    [request] = callback.received
    assert request["content_type"] == "application/json"
    envelope = json.loads(request["body"])
    assert set(envelope) == {"ToUserName", "Encrypt"}
    query = request["query"]
    assert query["msg_signature"] == signature(MP_TOKEN, query["timestamp"], query["nonce"], envelope["Encrypt"])
    key = WeChatCrypto(MP_TOKEN, MP_AES_KEY, MP_APPID).key
    event = json.loads(PrpCrypto(key).decrypt(envelope["Encrypt"], MP_APPID))  # raises for another appid
    assert (event["Event"], event["trace_id"]) == ("wxa_media_check", answer["trace_id"])
    assert isinstance(event["CreateTime"], int)
    assert event["detail"] == [{"strategy": "content_model", "errcode": 0, "suggest": "risky", "label": 20006,
                                "prob": 90}]
    assert event["result"] == {"suggest": "risky", "label": 20006}


async def test_media_check_result_is_not_delivered_without_a_miniprogram_push_url(
    make_sim: MakeSim, callback: CallbackServer
) -> None:
    """Never to the official account's callback instead: WeChat does not send it there."""
    sim = await make_sim(callback_url=callback.url, media_check_delay_ms=10)
    await sim.api("POST", "/wxa/media_check_async", appid=MP_APPID, json=MEDIA_CHECK)
    drained = await sim.control("POST", "/_sim/events/drain")
    assert drained["callback_events"] == {"skipped": 1}
    assert callback.received == []


async def test_an_event_can_be_pushed_to_the_miniprogram_again(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(**with_miniprogram_push(callback))
    extra = {"appid": MP_APPID, "trace_id": "t-1", "result": {"suggest": "pass", "label": 100}}
    result = await sim.control("POST", "/_sim/miniprogram/push",
                               json={"openid": "o_mp_user_1", "event": "wxa_media_check", "extra": extra})
    assert (result["status"], result["reply_raw"], result["reply_error"], result["mode"]) == (200, "success", None,
                                                                                              "safe")
    [request] = callback.received
    event = xmltodict.parse(miniprogram_plaintext(request))["xml"]
    assert (event["Event"], event["trace_id"]) == ("wxa_media_check", "t-1")
    callback.responder = lambda request, body: "oops"
    wrong = await sim.control("POST", "/_sim/miniprogram/push", json={"openid": "o_mp_user_1", "event": "x_event"})
    assert wrong["reply_error"] == "answer is not 'success'"
    for body in ({"openid": "bad id", "event": "x"}, {"openid": "o_mp_user_1"},
                 {"openid": "o_mp_user_1", "event": "x", "mode": "loud"}):
        status, answer = await sim.request("POST", "/_sim/miniprogram/push", json=body)
        assert status == 400, body
    no_url = await make_sim()
    status, answer = await no_url.request("POST", "/_sim/miniprogram/push", json={"openid": "o_mp_user_1", "event": "x"})
    assert status == 400 and "miniprogram_push_url" in answer["error"]


async def test_verify_url_of_the_miniprogram_push(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(**with_miniprogram_push(callback))
    assert (await sim.control("POST", "/_sim/verify_url", json={"target": "miniprogram"}))["ok"] is True
    [request] = callback.received
    assert request["path"] == "/wechat/miniprogram"
    q = request["query"]
    check_signature(MP_TOKEN, q["signature"], q["timestamp"], q["nonce"])
    status, _ = await sim.request("POST", "/_sim/verify_url", json={"target": "elsewhere"})
    assert status == 400


async def test_verify_url_checks_the_echo(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim(callback_url=callback.url)
    result = await sim.control("POST", "/_sim/verify_url")
    assert result["ok"] is True
    request = callback.received[0]
    assert request["method"] == "GET"
    q = request["query"]
    check_signature(CALLBACK_TOKEN, q["signature"], q["timestamp"], q["nonce"])
    callback.responder = lambda request, body: "wrong"
    assert (await sim.control("POST", "/_sim/verify_url"))["ok"] is False


async def test_push_request_errors(make_sim: MakeSim, callback: CallbackServer) -> None:
    no_callback = await make_sim()
    status, answer = await no_callback.request("POST", "/_sim/push", json={"openid": "o_follower_1"})
    assert status == 400 and "callback_url" in answer["error"]
    sim = await make_sim(callback_url=callback.url)
    for body in ({"openid": "bad id"}, {"openid": "o_follower_1", "mode": "safe"},
                 {"openid": "o_follower_1", "mode": "loud"}, {"openid": "o_follower_1", "type": "event"}):
        status, answer = await sim.request("POST", "/_sim/push", json=body)
        assert status == 400, body
    assert callback.received == []


async def test_callback_url_can_be_set_at_run_time(make_sim: MakeSim, callback: CallbackServer) -> None:
    sim = await make_sim()
    config = await sim.control("POST", "/_sim/config", json={"callback_url": callback.url})
    assert config["callback_url"] == callback.url
    assert OA_APPID in config["apps"] and "oa_secret" not in str(config)
    assert CALLBACK_TOKEN not in str(config)
    config = await sim.control("POST", "/_sim/config", json={"miniprogram_token": MP_TOKEN,
                                                             "miniprogram_aes_key": MP_AES_KEY})
    assert MP_TOKEN not in str(config) and MP_AES_KEY not in str(config)
    assert config["miniprogram_token"] == config["miniprogram_aes_key"] == "***"
    assert (await push(sim, openid="o_follower_1", content="hi"))["status"] == 200
    await sim.control("POST", "/_sim/reset")
    assert (await sim.control("GET", "/_sim/config"))["callback_url"] is None
