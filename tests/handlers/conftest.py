"""Fixtures for the official-account callback: a follower talking through the simulator,
and hand-built signed requests for what the simulator would never send."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from wechatpy.crypto import WeChatCrypto

from tests.conftest import TEST_AES_KEY, TEST_APPID, TEST_TOKEN


@dataclass
class Simulator:
    """The WeChat simulator, pointed at this test's server."""

    url: str
    callback_url: str
    http: aiohttp.ClientSession

    async def push(self, openid: str, **spec: Any) -> dict[str, Any]:
        """A follower's message or event, delivered and answered like WeChat does it."""
        spec.setdefault("mode", "safe")
        async with self.http.post(f"{self.url}/_sim/push", json={"openid": openid, **spec}) as response:
            body = await response.json()
            assert response.status == 200, body
            return body

    async def say(self, openid: str, content: str, **spec: Any) -> str:
        """Send a text; returns the text of the passive reply ('' when none)."""
        result = await self.push(openid, type="text", content=content, **spec)
        assert result["status"] == 200 and result["reply_error"] is None, result
        reply = result["reply"]
        return reply.get("Content", "") if reply else ""

    async def event(self, openid: str, event: str, **spec: Any) -> dict[str, Any]:
        return await self.push(openid, type="event", event=event, **spec)

    async def control(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        async with self.http.request(method, f"{self.url}{path}", **kwargs) as response:
            body = await response.json()
            assert response.status == 200, body
            return body

    async def conversation(self, openid: str) -> list[dict[str, Any]]:
        return (await self.control("GET", "/_sim/conversation", params={"openid": openid}))["entries"]

    async def messages(self, openid: str, kind: str | None = None) -> list[dict[str, Any]]:
        params = {"openid": openid, **({"kind": kind} if kind else {})}
        return (await self.control("GET", "/_sim/messages", params=params))["messages"]

    async def drain_events(self) -> None:
        await self.control("POST", "/_sim/events/drain")


@pytest.fixture
async def sim(wechat, server, http) -> Simulator:
    """The simulator with this test's callback URL and mini-program push URL (reset by
    `wechat` before each test)."""
    callback_url = f"{server}/wechat/callback"
    urls = {"callback_url": callback_url, "miniprogram_push_url": f"{server}/wechat/miniprogram"}
    async with http.post(f"{wechat.url}/_sim/config", json=urls) as response:
        assert response.status == 200
    return Simulator(url=wechat.url, callback_url=callback_url, http=http)


@pytest.fixture
def serve(running_app, server, resources) -> Callable[..., Any]:
    """The test server with changed settings for a while (same connections).

    Sanic starts one app per process (see `running_app`), so a variant is the same app
    given a copy of this test's resources that carries other settings.
    """
    app, url = running_app

    @asynccontextmanager
    async def variant(settings) -> AsyncIterator[str]:
        app.ctx.resources = dataclasses.replace(resources, settings=settings)
        try:
            yield url
        finally:
            app.ctx.resources = resources

    return variant


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def text_xml(openid: str, content: str, *, msg_id: int | None = None, create_time: int | None = None) -> str:
    return (
        "<xml><ToUserName><![CDATA[gh_qiyun_test]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content>"
        f"<MsgId>{msg_id or secrets.randbelow(10**15) + 10**15}</MsgId></xml>"
    )


@dataclass(frozen=True)
class SignedRequest:
    params: dict[str, str]
    body: bytes


def plain_request(
    xml: str, *, timestamp: int | None = None, nonce: str | None = None, token: str = TEST_TOKEN
) -> SignedRequest:
    timestamp_text = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**9))
    params = {
        "signature": signature(token, timestamp_text, nonce),
        "timestamp": timestamp_text,
        "nonce": nonce,
        "openid": "oTest",
    }
    return SignedRequest(params, xml.encode("utf-8"))


def safe_request(
    xml: str,
    *,
    timestamp: int | None = None,
    nonce: str | None = None,
    appid: str = TEST_APPID,
    aes_key: str = TEST_AES_KEY,
    token: str = TEST_TOKEN,
) -> SignedRequest:
    """Encrypted exactly as WeChat's sample code does it (wechatpy's `encrypt_message`)."""
    timestamp_text = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**9))
    crypto = WeChatCrypto(token, aes_key, appid)
    envelope = crypto.encrypt_message(xml, nonce, timestamp_text)
    msg_signature = envelope.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
    params = {
        "signature": signature(token, timestamp_text, nonce),
        "timestamp": timestamp_text,
        "nonce": nonce,
        "openid": "oTest",
        "encrypt_type": "aes",
        "msg_signature": msg_signature,
    }
    return SignedRequest(params, envelope.encode("utf-8"))


def decrypt_reply(raw: str) -> str:
    """A sealed reply opened as WeChat would (signature checked)."""
    crypto = WeChatCrypto(TEST_TOKEN, TEST_AES_KEY, TEST_APPID)
    msg_signature = raw.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
    timestamp = raw.split("<TimeStamp>")[1].split("</TimeStamp>")[0]
    nonce = raw.split("<Nonce><![CDATA[")[1].split("]]>")[0]
    return crypto.decrypt_message(raw, msg_signature, timestamp, nonce)


async def post(http: aiohttp.ClientSession, server: str, request: SignedRequest, **kwargs: Any) -> tuple[int, str]:
    async with http.post(f"{server}/wechat/callback", params=request.params, data=request.body, **kwargs) as response:
        return response.status, await response.text()
