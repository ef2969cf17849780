"""Fixtures for content checks: authors with and without a mini-program openid, a reviewer,
and the simulator pointed at this test's mini-program message push (for `wxa_media_check`
events) and official-account callback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from app.identity.models import Follower, MiniProgramUser, WeChatUser
from app.organisation.models import Organisation, OrganisationKind
from app.staff.models import Staff, StaffRole

MP_OPENID = "o_mp_author_0001"
OA_OPENID = "o_oa_author_0001"


@dataclass
class Sim:
    """The WeChat simulator's control API, for this test."""

    url: str
    http: aiohttp.ClientSession

    async def control(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        async with self.http.request(method, f"{self.url}{path}", **kwargs) as response:
            body = await response.json()
            assert response.status == 200, body
            return body

    async def config(self, **patch: Any) -> dict[str, Any]:
        return await self.control("POST", "/_sim/config", json=patch)

    async def fault(self, **spec: Any) -> None:
        await self.control("POST", "/_sim/faults", json=spec)

    async def records(self, api: str) -> list[dict[str, Any]]:
        return (await self.control("GET", "/_sim/records", params={"api": api}))["records"]

    async def drain_events(self) -> dict[str, Any]:
        return await self.control("POST", "/_sim/events/drain")

    async def push(self, openid: str, **spec: Any) -> dict[str, Any]:
        """A follower's message or event, to the official account's callback."""
        return await self.control("POST", "/_sim/push", json={"openid": openid, **spec})

    async def push_to_miniprogram(self, openid: str, **spec: Any) -> dict[str, Any]:
        """An event for the mini-program, to its message push (WeChat repeating one, say)."""
        return await self.control("POST", "/_sim/miniprogram/push", json={"openid": openid, **spec})


@pytest.fixture
async def sim(wechat, http: aiohttp.ClientSession) -> Sim:
    """The simulator (reset by `wechat`), without a callback."""
    return Sim(url=wechat.url, http=http)


@pytest.fixture
async def sim_with_callback(sim: Sim, server: str) -> Sim:
    """The simulator delivering its events to this test's server: media-check verdicts to the
    mini-program's message push, official-account events to the callback."""
    await sim.config(
        callback_url=f"{server}/wechat/callback",
        miniprogram_push_url=f"{server}/wechat/miniprogram",
        media_check_delay_ms=20,
    )
    return sim


@pytest.fixture
async def mp_author(db) -> WeChatUser:
    """A person who uses the mini-program (and follows the account)."""
    user = await WeChatUser.create(unionid="union_mp_author")
    await MiniProgramUser.create(openid=MP_OPENID, unionid=user.unionid, user=user, last_login_at=datetime.now(UTC))
    await Follower.create(openid="o_oa_of_mp_author", unionid=user.unionid, user=user)
    return user


@pytest.fixture
async def oa_author(db) -> WeChatUser:
    """A person known only as a follower of the official account."""
    user = await WeChatUser.create(unionid="union_oa_author")
    await Follower.create(openid=OA_OPENID, unionid=user.unionid, user=user)
    return user


@pytest.fixture
async def reviewer(db) -> AsyncIterator[Staff]:
    organisation = await Organisation.create(
        code="city.coordination", name="市企业服务协调办公室", kind=OrganisationKind.coordination_office
    )
    yield await Staff.create(
        username="reviewer", display_name="复核员", password_hash="x", role=StaffRole.city_admin,
        organisation=organisation,
    )
