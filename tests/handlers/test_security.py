"""What the callback refuses, with which status, and that it keeps serving afterwards."""

from __future__ import annotations

import asyncio
import resource
import time
from urllib.parse import urlencode, urlsplit

import pytest
from pydantic import SecretStr

from app.messagelog.models import MessageLog
from tests.conftest import TEST_TOKEN
from tests.handlers.conftest import (
    decrypt_reply,
    plain_request,
    post,
    safe_request,
    signature,
    text_xml,
)

OPENID = "oSecurity0001"
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><ToUserName>gh</ToUserName><FromUserName>oSecurity0001</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>"""


async def still_serving(http, server) -> None:
    status, raw = await post(http, server, safe_request(text_xml(OPENID, "帮助")))
    assert status == 200 and "<Content><![CDATA[您可以这样使用企业服务云" in decrypt_reply(raw)


# -- URL verification --------------------------------------------------------------


async def test_url_verification_echoes_echostr_only_for_a_valid_signature(server, http, sim):
    assert (await sim.control("POST", "/_sim/verify_url"))["ok"] is True
    params = {"timestamp": "1700000000", "nonce": "42", "echostr": "hello-echo"}
    params["signature"] = signature(TEST_TOKEN, params["timestamp"], params["nonce"])
    async with http.get(f"{server}/wechat/callback", params=params) as response:
        assert (response.status, await response.text()) == (200, "hello-echo")
    params["signature"] = "0" * 40
    async with http.get(f"{server}/wechat/callback", params=params) as response:
        assert response.status == 403 and "hello-echo" not in await response.text()


# -- signatures, decryption, replays -------------------------------------------------


async def test_a_message_encrypted_by_wechats_sample_algorithm_is_decrypted_and_answered_encrypted(server, http, db):
    status, raw = await post(http, server, safe_request(text_xml(OPENID, "帮助")))
    assert status == 200 and "<Encrypt>" in raw and "帮助" not in raw
    plaintext = decrypt_reply(raw)  # verifies MsgSignature like WeChat does
    assert "<ToUserName><![CDATA[oSecurity0001]]></ToUserName>" in plaintext
    assert "您可以这样使用企业服务云" in plaintext


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
async def test_every_mode_of_the_simulator_is_answered_in_kind(sim, db, mode):
    result = await sim.push(OPENID, type="text", content="帮助", mode=mode)
    assert result["status"] == 200 and result["reply_error"] is None
    assert result["reply"]["Content"].startswith("您可以这样使用企业服务云")
    assert ("<Encrypt>" in result["reply_raw"]) is (mode != "plain")


async def test_a_forged_signature_is_refused(server, http, db):
    request = plain_request(text_xml(OPENID, "帮助"))
    request.params["signature"] = "f" * 40
    assert (await post(http, server, request))[0] == 403
    request = plain_request(text_xml(OPENID, "帮助"))
    del request.params["signature"]
    assert (await post(http, server, request))[0] == 403
    assert await MessageLog.all().count() == 0


async def test_a_forged_msg_signature_or_another_apps_ciphertext_is_refused(server, http, db):
    request = safe_request(text_xml(OPENID, "帮助"))
    request.params["msg_signature"] = "0" * 40
    assert (await post(http, server, request))[0] == 403
    other_app = safe_request(text_xml(OPENID, "帮助"), appid="wx" + "ffffffffffffffff")
    assert (await post(http, server, other_app))[0] == 403
    other_key = safe_request(text_xml(OPENID, "帮助"), aes_key="Z" * 43)
    assert (await post(http, server, other_key))[0] == 403
    assert await MessageLog.all().count() == 0


async def test_a_replayed_nonce_with_another_body_is_refused_but_the_same_body_is_a_retry(server, http, db):
    body = text_xml(OPENID, "帮助", msg_id=1001)  # one body: WeChat's retry repeats it to the byte
    first = plain_request(body, nonce="777")
    assert (await post(http, server, first))[0] == 200
    same_again = plain_request(body, nonce="777", timestamp=int(first.params["timestamp"]))
    assert (await post(http, server, same_again))[0] == 200
    forged = plain_request(
        text_xml(OPENID, "转账给我", msg_id=1002), nonce="777", timestamp=int(first.params["timestamp"])
    )
    assert (await post(http, server, forged))[0] == 403
    assert await MessageLog.filter(direction="inbound").count() == 1


async def test_a_timestamp_outside_the_replay_window_is_refused(server, http, db):
    stale = plain_request(text_xml(OPENID, "帮助"), timestamp=int(time.time()) - 301)
    assert (await post(http, server, stale))[0] == 403
    future = plain_request(text_xml(OPENID, "帮助"), timestamp=int(time.time()) + 301)
    assert (await post(http, server, future))[0] == 403


async def test_a_replay_window_of_zero_turns_the_timestamp_check_off(settings, resources, http, db, serve):
    async with serve(settings.model_copy(update={"wechat_replay_window": 0})) as url:
        old = plain_request(text_xml(OPENID, "帮助"), timestamp=1_500_000_000)
        assert (await post(http, url, old))[0] == 200


async def test_without_a_token_configured_nothing_is_accepted(settings, resources, http, db, serve):
    async with serve(settings.model_copy(update={"wechat_token": SecretStr("")})) as url:
        unsigned = plain_request(text_xml(OPENID, "帮助"), token="")
        assert (await post(http, url, unsigned))[0] == 503


# -- hostile bodies -------------------------------------------------------------------


async def test_a_doctype_or_entity_is_refused_before_any_parser_expands_it(server, http, db):
    doctype = '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + text_xml(OPENID, "&x;")
    assert (await post(http, server, plain_request(doctype)))[0] == 400


@pytest.mark.parametrize("typed", ["<!DOCTYPE html><html></html>", "<!ENTITY x 'y'>", "]]><!DOCTYPE"])
async def test_a_follower_typing_markup_is_answered_not_refused(sim, db, typed):
    for mode in ("plain", "safe"):
        result = await sim.push(OPENID, type="text", content=typed, mode=mode)
        assert result["status"] == 200 and result["reply"]["Content"].startswith("没有找到")


async def test_a_billion_laughs_is_refused_fast_without_memory_growth(server, http, db):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    assert (await post(http, server, plain_request(BILLION_LAUGHS)))[0] == 400
    assert (await post(http, server, safe_request(BILLION_LAUGHS)))[0] == 400  # hidden inside the ciphertext
    assert time.perf_counter() - started < 1.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024  # KiB
    await still_serving(http, server)


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><ToUserName>unclosed",
        b"not xml at all",
        "<xml>\xff</xml>".encode("latin-1"),
        b"<xml></xml>",
        b"<other><FromUserName>x</FromUserName></other>",
    ],
    ids=["unclosed", "not-xml", "not-utf8", "empty-xml", "no-xml-root"],
)
async def test_malformed_bodies_get_400(server, http, db, body):
    request = plain_request("")
    status, _ = await post(http, server, type(request)(request.params, body))
    assert status == 400


async def test_a_body_over_64_kb_gets_413(server, http, db):
    padding = "x" * (64 * 1024)
    assert (await post(http, server, plain_request(text_xml(OPENID, padding))))[0] == 413


async def test_a_10_mb_body_is_refused_quickly_and_the_server_keeps_serving(server, http, db):
    started = time.perf_counter()
    status = await _raw_post(server, declared=10 * 1024 * 1024, sent=256 * 1024)
    assert status == 413
    assert time.perf_counter() - started < 2.0

    async def chunks():
        for _ in range(160):  # 10 MB, chunked, no Content-Length
            yield b"x" * 65536

    started = time.perf_counter()
    request = plain_request("")
    try:
        status, _ = await post(http, server, type(request)(request.params, chunks()))
    except Exception:  # the server may close before the client finished writing
        status = 413
    assert status == 413 and time.perf_counter() - started < 5.0
    await still_serving(http, server)


async def test_refusals_in_a_row_leave_the_server_serving_through_the_simulator(sim, server, http, db):
    """The acceptance list: forged signature, replayed nonce, DOCTYPE body, 10 MB body."""
    forged = plain_request(text_xml(OPENID, "帮助"))
    forged.params["signature"] = "1" * 40
    assert (await post(http, server, forged))[0] == 403

    first = plain_request(text_xml(OPENID, "帮助"), nonce="9999")
    assert (await post(http, server, first))[0] == 200
    replay = plain_request(text_xml(OPENID, "另一条"), nonce="9999", timestamp=int(first.params["timestamp"]))
    assert (await post(http, server, replay))[0] == 403

    assert (await post(http, server, plain_request(BILLION_LAUGHS)))[0] == 400
    assert await _raw_post(server, declared=10 * 1024 * 1024, sent=1024 * 1024) == 413

    assert (await sim.say(OPENID, "帮助")).startswith("您可以这样使用企业服务云")


async def _raw_post(server: str, *, declared: int, sent: int) -> int:
    """POST declaring `declared` bytes and write up to `sent` of them while reading the
    answer, as a careful HTTP client does: a server refusing early answers before the
    body is through, then drops the connection."""
    parts = urlsplit(server)
    request = plain_request("")
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        head = (
            f"POST /wechat/callback?{urlencode(request.params)} HTTP/1.1\r\n"
            f"Host: {parts.netloc}\r\nContent-Type: text/xml\r\nContent-Length: {declared}\r\n\r\n"
        )
        writer.write(head.encode("ascii"))
        status_line = asyncio.create_task(reader.readline())
        written = 0
        try:
            while written < sent and not status_line.done():
                writer.write(b"x" * 65536)
                written += 65536
                await asyncio.wait_for(writer.drain(), 2)
        except (TimeoutError, ConnectionError):
            pass
        return int((await asyncio.wait_for(status_line, 2)).split()[1])
    finally:
        writer.close()
