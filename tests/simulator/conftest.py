"""Fixtures for the simulator's own tests: simulators on random ports, a small
HTTP helper, and a tiny callback server standing in for the project."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from app.simulator import RunningSimulator, SimulatorConfig, start_simulator

OA_APPID, OA_SECRET = "wx_sim_oa_000001", "oa_secret_0123456789abcdef012345"
MP_APPID, MP_SECRET = "wx_sim_mp_000001", "mp_secret_0123456789abcdef012345"
CALLBACK_TOKEN = "simcallbacktoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
MP_TOKEN = "simminiprogramtoken"
MP_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
ORIGINAL_ID = "gh_qiyun_sim"


class Sim:
    """A running simulator plus helpers to call it over real HTTP."""

    def __init__(self, running: RunningSimulator, session: aiohttp.ClientSession) -> None:
        self.running = running
        self.url = running.url
        self.state = running.state
        self.http = session
        self._tokens: dict[str, str] = {}

    async def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None, data: Any = None
    ) -> tuple[int, Any]:
        """(HTTP status, decoded JSON or raw bytes)."""
        async with self.http.request(method, self.url + path, params=params, json=json, data=data) as response:
            body = await response.read()
            if response.content_type == "application/json":
                import json as jsonlib

                return response.status, jsonlib.loads(body)
            return response.status, body

    async def token(self, appid: str = OA_APPID, *, force_refresh: bool = False) -> str:
        secret = {OA_APPID: OA_SECRET, MP_APPID: MP_SECRET}[appid]
        status, payload = await self.request(
            "POST",
            "/cgi-bin/stable_token",
            json={"grant_type": "client_credential", "appid": appid, "secret": secret, "force_refresh": force_refresh},
        )
        assert status == 200 and "access_token" in payload, payload
        self._tokens[appid] = payload["access_token"]
        return payload["access_token"]

    async def api(
        self, method: str, path: str, *, appid: str = OA_APPID, token: str | None = None,
        params: dict[str, Any] | None = None, json: Any = None, data: Any = None,
    ) -> Any:
        """Call a token-protected API with a (cached) token of `appid`."""
        if token is None:
            token = self._tokens.get(appid) or await self.token(appid)
        status, payload = await self.request(method, path, params={"access_token": token, **(params or {})},
                                             json=json, data=data)
        assert status == 200, (status, payload)
        return payload

    async def control(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        status, payload = await self.request(method, path, json=json, params=params)
        assert status == 200, (status, payload)
        return payload

    async def stats(self, **params: Any) -> dict[str, Any]:
        return await self.control("GET", "/_sim/stats", params=params)

    async def send_template(self, openid: str, data: dict[str, Any] | None = None, **extra: Any) -> Any:
        body = {"touser": openid, "template_id": "tpl_policy", "data": data or {"thing1": {"value": "政策申报提醒"}}}
        return await self.api("POST", "/cgi-bin/message/template/send", json={**body, **extra})


@pytest.fixture
async def make_sim() -> AsyncIterator[Callable[..., Awaitable[Sim]]]:
    """Start simulators with custom configuration; all are stopped afterwards."""
    started: list[tuple[RunningSimulator, aiohttp.ClientSession]] = []

    async def factory(**overrides: Any) -> Sim:
        config = SimulatorConfig(apps={OA_APPID: OA_SECRET, MP_APPID: MP_SECRET}, callback_appid=OA_APPID,
                                 callback_token=CALLBACK_TOKEN, **overrides)
        running = await start_simulator(config)
        session = aiohttp.ClientSession()
        started.append((running, session))
        return Sim(running, session)

    yield factory
    for running, session in started:
        await session.close()
        await running.stop()


@pytest.fixture
async def sim(make_sim: Callable[..., Awaitable[Sim]]) -> Sim:
    """A default simulator (lenient openids, no callback)."""
    return await make_sim()


Responder = Callable[[web.Request, str], Any]


@dataclass
class CallbackServer:
    """Stands in for the project's callback (`url`) and mini-program message push
    (`miniprogram_url`): records every request and answers with `responder(request, body)`
    (a str, or a coroutine returning one)."""

    url: str = ""
    miniprogram_url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    responder: Responder | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        self.received.append(
            {"method": request.method, "path": request.path, "query": dict(request.query), "body": body,
             "content_type": request.content_type}
        )
        answer: Any = "success"
        if request.method == "GET" and "echostr" in request.query:
            answer = request.query["echostr"]
        if self.responder is not None:
            answer = self.responder(request, body)
            if inspect.isawaitable(answer):
                answer = await answer
        return web.Response(text=answer, content_type="text/xml")


@pytest.fixture
async def callback() -> AsyncIterator[CallbackServer]:
    server = CallbackServer()
    app = web.Application()
    app.router.add_route("*", "/wechat/callback", server.handle)
    app.router.add_route("*", "/wechat/miniprogram", server.handle)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.url = f"http://127.0.0.1:{port}/wechat/callback"
    server.miniprogram_url = f"http://127.0.0.1:{port}/wechat/miniprogram"
    yield server
    await runner.cleanup()
