"""Notification fixtures: settings with every template id configured, the simulator's
control API, and a follower pushing subscribe-notification events to the callback."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

import templates_msg
from app.config import Settings
from app.resources import Resources


def template_id(name: str) -> str:
    return f"tpl-{name}"


@pytest.fixture
def notify_settings(settings: Settings) -> Settings:
    """The test settings with a template id for every definition."""
    return settings.model_copy(
        update={d.setting: template_id(d.name) for d in templates_msg.all_definitions()}
    )


@dataclasses.dataclass
class Sim:
    url: str
    http: aiohttp.ClientSession
    events_sent: int = 0

    async def control(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        async with self.http.request(method, f"{self.url}{path}", **kwargs) as response:
            body = await response.json()
            assert response.status == 200, body
            return body

    async def fault(self, api: str, errcode: int, **spec: Any) -> None:
        await self.control("POST", "/_sim/faults", json={"api": api, "kind": "errcode", "errcode": errcode, **spec})

    async def calls(self, api: str) -> int:
        """How many times the project called this WeChat API."""
        return (await self.control("GET", "/_sim/records", params={"api": api}))["count"]

    async def messages(self, openid: str, kind: str | None = None) -> list[dict[str, Any]]:
        params = {"openid": openid, **({"kind": kind} if kind else {})}
        return (await self.control("GET", "/_sim/messages", params=params))["messages"]

    async def grants(self, openid: str, appid: str | None = None) -> dict[str, Any]:
        params = {"openid": openid, **({"appid": appid} if appid else {})}
        return (await self.control("GET", "/_sim/grants", params=params))["grants"]

    async def event(self, openid: str, event: str, **extra: Any) -> dict[str, Any]:
        """A follower's event pushed to the callback (safe mode), like WeChat does. Each gets
        its own CreateTime: events are de-duplicated by sender and CreateTime."""
        self.events_sent += 1
        spec = {"openid": openid, "type": "event", "event": event, "mode": "safe", "extra": extra,
                "create_time": int(time.time()) + self.events_sent}
        body = await self.control("POST", "/_sim/push", json=spec)
        assert body["status"] == 200, body
        return body


@pytest.fixture
async def sim(wechat, http) -> Sim:
    return Sim(url=wechat.url, http=http)


@pytest.fixture
async def callback(running_app, resources: Resources, notify_settings: Settings, sim: Sim) -> AsyncIterator[Sim]:
    """The test server, configured with `notify_settings`, as the simulator's callback."""
    app, url = running_app
    app.ctx.resources = dataclasses.replace(resources, settings=notify_settings)
    await sim.control("POST", "/_sim/config", json={"callback_url": f"{url}/wechat/callback"})
    yield sim
    app.ctx.resources = None
