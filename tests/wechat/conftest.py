"""Fixtures for the WeChat client tests: a real Redis, the project's WeChat
simulator over real HTTP, and client factories.

`wechat_redis` is the project-wide `redis` fixture, so these tests run on the
embedded Redis or on the one at 127.0.0.1, like the rest of the suite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
import redis.asyncio as aioredis

from app.wechat import WeChatClient

from .helpers import APPS, LOOP_SCOPE, MP_APPID, OA_APPID, ClientFactory, SimControl


@pytest_asyncio.fixture(loop_scope=LOOP_SCOPE)
async def wechat_redis(redis: aioredis.Redis) -> aioredis.Redis:
    """The project's Redis (embedded or 127.0.0.1, per the suite's backend), flushed per test."""
    return redis


@pytest_asyncio.fixture(loop_scope=LOOP_SCOPE)
async def sim() -> AsyncIterator[Any]:
    """The project's WeChat simulator on a free port."""
    from app.simulator import SimulatorConfig, start_simulator

    server = await start_simulator(SimulatorConfig(apps=dict(APPS)), port=0)
    try:
        yield server
    finally:
        await server.stop()


@pytest_asyncio.fixture(loop_scope=LOOP_SCOPE)
async def simctl(sim: Any) -> AsyncIterator[SimControl]:
    """Control client for the simulator's `/_sim/*` API."""
    control = SimControl(sim.url)
    try:
        yield control
    finally:
        await control.close()


@pytest_asyncio.fixture(loop_scope=LOOP_SCOPE)
async def make_client(sim: Any, wechat_redis: aioredis.Redis) -> AsyncIterator[ClientFactory]:
    """Build clients against the simulator with fast backoff; closes them after the test."""
    clients: list[WeChatClient] = []

    def factory(appid: str = OA_APPID, secret: str | None = None, **kwargs: Any) -> WeChatClient:
        kwargs.setdefault("backoff_base", 0.01)
        kwargs.setdefault("timeout", 2.0)
        kwargs.setdefault("redis", wechat_redis)
        kwargs.setdefault("api_base", sim.url)
        client = WeChatClient(appid=appid, secret=APPS[appid] if secret is None else secret, **kwargs)
        clients.append(client)
        return client

    try:
        yield factory
    finally:
        for client in clients:
            await client.aclose()


@pytest_asyncio.fixture(loop_scope=LOOP_SCOPE)
async def oa(make_client: ClientFactory) -> WeChatClient:
    """The official-account client."""
    return make_client(OA_APPID)


@pytest_asyncio.fixture(loop_scope=LOOP_SCOPE)
async def mp(make_client: ClientFactory) -> WeChatClient:
    """The mini-program client."""
    return make_client(MP_APPID)
