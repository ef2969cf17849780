"""Fixtures for the partner APIs: the app serving with the hotline secret and Open311 keys
configured, a client that signs like the 12345 platform, and a stand-in for the hotline's
own server that receives our status callbacks (that is the hotline's system, not WeChat,
so a local HTTP server in the test is the real thing's shape)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from app.config import Settings
from app.resources import Resources
from tests.conftest import free_port

HOTLINE_SECRET = "hotline-shared-secret-for-tests-0123456789"
OPEN311_KEYS = {"district-portal": "o311-key-district-portal-000", "city-12345": "o311-key-city-12345-0000000"}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


def sign(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The hotline's side of the scheme, written out independently of app.appeal.hotline."""
    digest = hashlib.sha256(body).hexdigest()
    return hmac.new(secret.encode(), f"{timestamp}\n{nonce}\n{digest}".encode(), hashlib.sha256).hexdigest()


class HotlineClient:
    """What the 12345 platform does: sign each request and call the API."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base = http, base

    async def send(self, method: str, path: str, body: bytes = b"", *, secret: str = HOTLINE_SECRET,
                   timestamp: int | None = None, nonce: str | None = None, signature: str | None = None,
                   headers: dict[str, str] | None = None) -> Reply:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or uuid.uuid4().hex
        sent = {
            "Content-Type": "application/json",
            "X-Qiyun-Timestamp": stamp,
            "X-Qiyun-Nonce": nonce,
            "X-Qiyun-Signature": signature or sign(secret, stamp, nonce, body),
            **(headers or {}),
        }
        if not body:
            del sent["Content-Type"]
        async with self.http.request(method, f"{self.base}/partner/12345/v1{path}", data=body or None,
                                     headers=sent) as r:
            return Reply(r.status, dict(r.headers), await r.text())

    async def file(self, ticket: dict[str, Any], **kwargs: Any) -> Reply:
        return await self.send("POST", "/tickets", json.dumps(ticket, ensure_ascii=False).encode(), **kwargs)

    async def status(self, ticket_no: str, **kwargs: Any) -> Reply:
        return await self.send("GET", f"/tickets/{quote(ticket_no, safe='')}", **kwargs)


class Open311Client:
    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base = http, f"{base}/open311/v2"

    async def get(self, path: str, **params: str) -> Reply:
        async with self.http.get(f"{self.base}{path}", params=params) as r:
            return Reply(r.status, dict(r.headers), await r.text())

    async def post(self, path: str, form: dict[str, str]) -> Reply:
        async with self.http.post(f"{self.base}{path}", data=form) as r:
            return Reply(r.status, dict(r.headers), await r.text())


@pytest.fixture
def partner_settings(settings: Settings) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        # model_copy does not validate: secrets are given as the SecretStr the settings hold.
        values = {"hotline_secret": SecretStr(HOTLINE_SECRET),
                  "open311_api_keys": {name: SecretStr(key) for name, key in OPEN311_KEYS.items()}, **overrides}
        return settings.model_copy(update=values)

    return make


@pytest.fixture
async def partner(running_app, server: str, resources: Resources, partner_settings) -> Callable[..., Resources]:
    """Serve this test with the partner settings (plus `overrides`); returns the resources
    the app now uses (pass them to the outbox, so it sees the same settings)."""
    app, _ = running_app

    def configure(**overrides: Any) -> Resources:
        configured = dataclasses.replace(resources, settings=partner_settings(**overrides))
        app.ctx.resources = configured
        return configured

    configure()
    return configure


@pytest.fixture
async def hotline(partner, server: str, http: aiohttp.ClientSession) -> HotlineClient:
    return HotlineClient(http, server)


@pytest.fixture
async def open311(partner, server: str, http: aiohttp.ClientSession) -> Open311Client:
    return Open311Client(http, server)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HotlineServer:
    """The hotline's callback endpoint: answers `status` (settable), records every request."""

    url: str
    status: int = 200
    received: list[Received] = field(default_factory=list)


@pytest.fixture
async def hotline_server() -> AsyncIterator[HotlineServer]:
    port = free_port()
    state = HotlineServer(url=f"http://127.0.0.1:{port}/api/qiyun/status")

    async def receive(request: web.Request) -> web.Response:
        state.received.append(Received(dict(request.headers), await request.read()))
        return web.json_response({"ok": state.status < 300}, status=state.status)

    app = web.Application()
    app.router.add_post("/api/qiyun/status", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    yield state
    await runner.cleanup()
