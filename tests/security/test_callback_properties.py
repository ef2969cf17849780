"""Hypothesis over WeChat's two server-to-server doors (`/wechat/callback`, `/wechat/miniprogram`):
whatever arrives with a valid signature — bytes, XML of any shape, garbage ciphertext, odd
unicode, another app's ciphertext, entity tricks — is answered 200 / 400 / 403 / 413, never 500,
and a refused request leaves no record; a well-formed message round-trips.

The fixed cases (forged and replayed signatures, billion laughs, a DOCTYPE, 10 MB bodies) are
in tests/handlers/test_security.py and tests/handlers/test_miniprogram_push.py; these are the
generated ones around them.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from dataclasses import dataclass

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.identity.models import Follower
from app.messagelog.models import MessageLog
from tests.conftest import TEST_AES_KEY, TEST_APPID, TEST_MP_AES_KEY, TEST_MP_APPID, TEST_MP_TOKEN, TEST_TOKEN
from tests.handlers.conftest import SignedRequest, decrypt_reply, plain_request, safe_request, signature, text_xml
from tests.security.hostile import LoopBridge, drive

EXAMPLES = 30
BOUNDED = settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


@dataclass(frozen=True)
class Door:
    path: str
    token: str
    aes_key: str
    appid: str


DOORS = {
    "official-account": Door("/wechat/callback", TEST_TOKEN, TEST_AES_KEY, TEST_APPID),
    "mini-program-push": Door("/wechat/miniprogram", TEST_MP_TOKEN, TEST_MP_AES_KEY, TEST_MP_APPID),
}
ANSWERS = {200, 400, 403, 413}

WECHAT_FIELDS = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event", "EventKey",
                 "PicUrl", "MediaId", "Location_X", "Recognition", "trace_id", "MsgID"]
XML_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=200
)
"""Text without surrogates (not encodable) or NUL; control characters stay in (XML refuses them)."""


def send(server: str, door: Door, request: SignedRequest) -> requests.Response:
    return requests.post(f"{server}{door.path}", params=request.params, data=request.body, timeout=30)


def refused_leaves_nothing(on_loop: LoopBridge, response: requests.Response, before: int) -> None:
    assert response.status_code in ANSWERS, (response.status_code, response.text[:200])
    if response.status_code != 200:
        assert on_loop(MessageLog.all().count()) == before, "a refused request left a message log row"


def xml_element(name: str, text: str) -> str:
    if "]]>" in text:
        return f"<{name}>{_escape(text)}</{name}>"
    return f"<{name}><![CDATA[{text}]]></{name}>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def wechat_like_xml(draw: st.DrawFn) -> str:
    """XML of WeChat's shape with fields of any value, missing, repeated, nested or unknown."""
    names = draw(st.lists(st.sampled_from(WECHAT_FIELDS) | st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True),
                          max_size=10))
    parts = []
    for name in names:
        shape = draw(st.sampled_from(["text", "number", "nested", "empty"]))
        if shape == "text":
            parts.append(xml_element(name, draw(XML_TEXT)))
        elif shape == "number":
            parts.append(f"<{name}>{draw(st.integers(min_value=-(10**30), max_value=10**30))}</{name}>")
        elif shape == "nested":
            parts.append(f"<{name}>{xml_element('item', draw(XML_TEXT))}<item/></{name}>")
        else:
            parts.append(f"<{name}/>")
    root = draw(st.sampled_from(["xml", "xml", "other"]))
    return f"<{root}>{''.join(parts)}</{root}>"


def envelope(door: Door, ciphertext: str, *, timestamp: str | None = None, nonce: str | None = None) -> SignedRequest:
    """A safe-mode request whose signatures are right for `ciphertext`, whatever it holds."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**12))
    body = f"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{ciphertext}]]></Encrypt></xml>"
    params = {
        "signature": signature(door.token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": signature(door.token, timestamp, nonce, ciphertext),
    }
    return SignedRequest(params, body.encode())


@pytest.fixture(params=sorted(DOORS))
def door(request) -> Door:
    return DOORS[request.param]


async def test_signed_arbitrary_bytes_are_refused_cleanly(server, db, door) -> None:
    @BOUNDED
    @given(body=st.binary(max_size=4096))
    def check(on_loop: LoopBridge, body: bytes) -> None:
        before = on_loop(MessageLog.all().count())
        request = plain_request("", token=door.token)
        response = send(server, door, SignedRequest(request.params, body))
        refused_leaves_nothing(on_loop, response, before)

    await drive(lambda on_loop: check(on_loop))


async def test_signed_xml_of_any_shape_is_answered_or_refused_never_a_500(server, db, door) -> None:
    @BOUNDED
    @given(xml=wechat_like_xml(), encrypted=st.booleans())
    def check(on_loop: LoopBridge, xml: str, encrypted: bool) -> None:
        before = on_loop(MessageLog.all().count())
        build = safe_request if encrypted else plain_request
        keys = {"appid": door.appid, "aes_key": door.aes_key} if encrypted else {}
        response = send(server, door, build(xml, token=door.token, **keys))
        refused_leaves_nothing(on_loop, response, before)
        if response.status_code == 200 and response.text not in ("success", ""):
            reply = decrypt_reply(response.text) if encrypted else response.text
            assert reply.startswith("<xml>") and "</xml>" in reply

    await drive(lambda on_loop: check(on_loop))


async def test_a_valid_signature_over_garbage_ciphertext_is_refused(server, db, door) -> None:
    ciphertexts = st.one_of(
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", max_size=400),
        st.binary(min_size=1, max_size=300).map(lambda raw: base64.b64encode(raw).decode()),
        # whole AES blocks: decrypts to noise, so the padding, length prefix or appid is wrong
        st.integers(min_value=1, max_value=20).map(lambda blocks: base64.b64encode(secrets.token_bytes(16 * blocks)).decode()),
    )

    @BOUNDED
    @given(ciphertext=ciphertexts.filter(lambda text: "]]>" not in text))
    def check(on_loop: LoopBridge, ciphertext: str) -> None:
        before = on_loop(MessageLog.all().count())
        response = send(server, door, envelope(door, ciphertext))
        assert response.status_code in (400, 403), (response.status_code, ciphertext)
        refused_leaves_nothing(on_loop, response, before)

    await drive(lambda on_loop: check(on_loop))


async def test_another_apps_id_inside_the_ciphertext_is_refused(server, db, door) -> None:
    appids = st.from_regex(r"wx[0-9a-f]{16}", fullmatch=True) | st.text(min_size=1, max_size=40)

    @BOUNDED
    @given(appid=appids.filter(lambda value: value != door.appid))
    def check(on_loop: LoopBridge, appid: str) -> None:
        before = on_loop(MessageLog.all().count())
        request = safe_request(text_xml("oHostile01", "帮助"), token=door.token, aes_key=door.aes_key, appid=appid)
        response = send(server, door, request)
        assert response.status_code == 403, response.text
        refused_leaves_nothing(on_loop, response, before)

    await drive(lambda on_loop: check(on_loop))


async def test_any_text_a_follower_can_type_round_trips_encrypted(server, db) -> None:
    door = DOORS["official-account"]
    typed = st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
        min_size=1,
        max_size=300,
    ).filter(lambda text: "]]>" not in text and text.strip())

    @settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(content=typed)
    def check(on_loop: LoopBridge, content: str) -> None:
        openid = "oRoundTrip" + secrets.token_hex(4)
        msg_id = secrets.randbelow(10**15) + 10**15
        response = send(server, door, safe_request(text_xml(openid, content, msg_id=msg_id)))
        assert response.status_code == 200, response.text
        if response.text != "success":  # 'success' when the handler ran over the deadline (a busy machine)
            reply = decrypt_reply(response.text)
            assert f"<ToUserName><![CDATA[{openid}]]></ToUserName>" in reply
        logged = on_loop(_logged(msg_id))
        assert logged.payload["Content"] == content.strip() or logged.payload["Content"] == content
        assert on_loop(Follower.filter(openid=openid).count()) == 1

    await drive(lambda on_loop: check(on_loop))


async def _logged(msg_id: int) -> MessageLog:
    for _ in range(100):
        found = await MessageLog.get_or_none(direction="inbound", wechat_msg_id=str(msg_id))
        if found is not None:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"message {msg_id} was not logged")


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "safe"])
async def test_a_message_just_under_the_cap_with_huge_cdata_is_answered(server, http, db, encrypted) -> None:
    door = DOORS["official-account"]
    # 64 KB cap on the body; encryption grows it by a third, so the plaintext is smaller there.
    size = 40_000 if encrypted else 60_000
    content = ("企业" * size)[: size // 3]
    request = (safe_request if encrypted else plain_request)(text_xml("oHugeCdata01", content))
    assert len(request.body) < 64 * 1024
    async with http.post(f"{server}{door.path}", params=request.params, data=request.body) as response:
        assert response.status == 200, await response.text()
    logged = await MessageLog.get(direction="inbound", openid="oHugeCdata01")
    assert logged.payload["Content"] == content
    assert len(logged.summary) <= 500


ENTITY_TRICKS = {
    "external-entity": '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    "<xml><FromUserName>oEnt</FromUserName><MsgType>text</MsgType><Content>&x;</Content></xml>",
    "parameter-entity": '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p;]>'
    "<xml><FromUserName>oEnt</FromUserName><MsgType>text</MsgType></xml>",
    "dtd-behind-a-cdata-opener-in-a-comment": "<!-- <![CDATA[ --><!DOCTYPE xml [<!ENTITY a 'aaaaaaaaaa'>]><!-- ]]> -->"
    "<xml><FromUserName>oEnt</FromUserName><MsgType>text</MsgType><Content>&a;</Content></xml>",
    "quadratic-blowup": '<!DOCTYPE xml [<!ENTITY a "' + "a" * 5000 + '">]><xml><FromUserName>oEnt</FromUserName>'
    "<MsgType>text</MsgType><Content>" + "&a;" * 2000 + "</Content></xml>",
    "undeclared-entity": "<xml><FromUserName>oEnt</FromUserName><MsgType>text</MsgType><Content>&x;</Content></xml>",
    "xinclude": '<xml xmlns:xi="http://www.w3.org/2001/XInclude"><FromUserName>oEnt</FromUserName>'
    '<MsgType>text</MsgType><Content><xi:include href="file:///etc/passwd" parse="text"/></Content></xml>',
}


@pytest.mark.parametrize("name", sorted(ENTITY_TRICKS))
@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "safe"])
async def test_entity_tricks_are_refused_or_inert(server, http, db, door, name, encrypted) -> None:
    xml = ENTITY_TRICKS[name]
    build = safe_request if encrypted else plain_request
    keys = {"appid": door.appid, "aes_key": door.aes_key} if encrypted else {}
    request = build(xml, token=door.token, **keys)
    async with http.post(f"{server}{door.path}", params=request.params, data=request.body) as response:
        status, text = response.status, await response.text()
    if name == "xinclude":
        # Not an entity: well-formed XML that no parser here resolves. It is a message with
        # an element for content; nothing from the file reaches the log or the reply.
        assert status == 200
        for logged in await MessageLog.all():
            assert "root:" not in str(logged.payload)
        assert "root:" not in (decrypt_reply(text) if encrypted and text != "success" else text)
    else:
        assert status == 400, (status, text)
        assert await MessageLog.all().count() == 0


async def test_a_nonce_is_bound_to_its_body_digest_not_its_length(server, http, db) -> None:
    """Two bodies of the same size under one captured signature: the second is a forgery."""
    door = DOORS["official-account"]
    first = plain_request(text_xml("oNonce0001", "帮助", msg_id=10**15 + 1), nonce="424242")
    forged_body = text_xml("oNonce0001", "帮我", msg_id=10**15 + 1).encode()
    assert len(forged_body) == len(first.body) and hashlib.sha256(forged_body).digest() != hashlib.sha256(first.body).digest()
    async with http.post(f"{server}{door.path}", params=first.params, data=first.body) as response:
        assert response.status == 200
    async with http.post(f"{server}{door.path}", params=first.params, data=forged_body) as response:
        assert response.status == 403
