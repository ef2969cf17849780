"""Fixtures for the mini-program API tests: a client that plays the mini-program over real
HTTP against the `server` fixture, with login and phone codes minted by the WeChat simulator."""

from __future__ import annotations

import dataclasses
import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from app.config import Settings
from app.resources import Resources

_openids = itertools.count(1)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text) if self.text else None

    @property
    def error(self) -> dict[str, Any]:
        """The envelope's error object; fails the test if the body is not the envelope."""
        body = self.json
        assert isinstance(body, dict) and set(body) == {"error"}, self.text
        assert set(body["error"]) == {"code", "message", "details"}, self.text
        return body["error"]


class MiniProgram:
    """What the mini-program does: get codes from WeChat (the simulator), call the API."""

    def __init__(self, http: aiohttp.ClientSession, base: str, wechat_url: str, appid: str) -> None:
        self.http, self.base, self.wechat_url, self.appid = http, base, wechat_url, appid

    async def _sim(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(f"{self.wechat_url}{path}", json=payload) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def login_code(self, openid: str, unionid: str | None = None) -> str:
        payload = {"appid": self.appid, "openid": openid}
        if unionid:
            payload["unionid"] = unionid
        return (await self._sim("/_sim/login_codes", payload))["code"]

    async def phone_code(self, phone: str) -> str:
        return (await self._sim("/_sim/phone_codes", {"appid": self.appid, "phone": phone}))["code"]

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        kwargs: dict[str, Any] = {"headers": sent}
        if json_body is not None:
            kwargs["json"] = json_body
        elif data is not None:
            kwargs["data"] = data
        async with self.http.request(method, f"{self.base}{path}", **kwargs) as response:
            return Reply(response.status, dict(response.headers), await response.text())

    async def login(self, openid: str | None = None, unionid: str | None = None) -> tuple[str, dict[str, Any]]:
        """Sign in; returns (token, user)."""
        code = await self.login_code(openid or f"mp-openid-{next(_openids)}-{uuid.uuid4().hex[:6]}", unionid)
        reply = await self.call("POST", "/mp/v1/auth/login", json_body={"code": code})
        assert reply.status == 200, reply.text
        return reply.json["token"], reply.json["user"]


@pytest.fixture
async def mp(server: str, http: aiohttp.ClientSession, wechat: Any, settings: Settings) -> MiniProgram:
    return MiniProgram(http, server, wechat.url, settings.miniprogram_appid)


@pytest.fixture
async def server_with(running_app, server: str, settings: Settings, resources: Resources) -> Callable[..., str]:
    """The session's app, serving this test with some settings changed (e.g. a low rate
    limit); returns its base URL. The app reads settings through its resources, so no
    second app has to start (Sanic's touch-up allows one start per process)."""
    app, _ = running_app

    def configure(**overrides: Any) -> str:
        app.ctx.resources = dataclasses.replace(resources, settings=settings.model_copy(update=overrides))
        return server

    return configure
