"""Fixtures for push campaigns: a `Pusher` over this test's resources, and the simulator's
control API (faults, latency, per-openid counts)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from tests.push.factories import Pusher, push_settings


@dataclass
class SimControl:
    url: str
    http: aiohttp.ClientSession

    async def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        async with self.http.request(method, f"{self.url}{path}", **kwargs) as response:
            body = await response.json()
            assert response.status == 200, body
            return body

    async def fault(self, **spec: Any) -> None:
        spec.setdefault("api", "/cgi-bin/message/template/send")
        await self.call("POST", "/_sim/faults", json=spec)

    async def template_counts(self) -> dict[str, int]:
        """openid -> template messages WeChat delivered to it (exact counters, never dropped)."""
        stats = await self.call("GET", "/_sim/stats")
        return {openid: counts["template"] for openid, counts in stats["messages"].items() if counts["template"]}

    async def template_calls(self) -> int:
        stats = await self.call("GET", "/_sim/stats", params={"summary": "1"})
        return int(stats["calls"].get("/cgi-bin/message/template/send", 0))

    async def records(self, **params: Any) -> list[dict[str, Any]]:
        return (await self.call("GET", "/_sim/records", params=params))["records"]


@pytest.fixture
async def sim(wechat, http) -> SimControl:
    return SimControl(url=wechat.url, http=http)


@pytest.fixture
def push_config(settings):
    return push_settings(settings)


@pytest.fixture
async def push(push_config, resources) -> AsyncIterator[Pusher]:
    pusher = Pusher(settings=push_config, resources=resources)
    yield pusher
    await pusher.aclose()
