"""Constants and helpers shared by the WeChat client tests (fixtures live in conftest)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from app.wechat import WeChatClient

OA_APPID, OA_SECRET = "wx_oa_test", "secret_oa"
MP_APPID, MP_SECRET = "wx_mp_test", "secret_mp"
APPS = {OA_APPID: OA_SECRET, MP_APPID: MP_SECRET}

# Tests and fixtures pin the same event loop explicitly, so the suite behaves the
# same under the project's session-loop defaults and under a function-loop override.
LOOP_SCOPE = "session"



def redis_url_of(client: aioredis.Redis) -> str:
    """Rebuild a URL for `client` so a subprocess can reach the same Redis."""
    kw = client.connection_pool.connection_kwargs
    db = kw.get("db", 0)
    if kw.get("path"):
        return f"unix://{kw['path']}?db={db}"
    return f"redis://{kw.get('host', '127.0.0.1')}:{kw.get('port', 6379)}/{db}"


class SimControl:
    """Thin wrapper over the simulator's `/_sim/*` control API."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self.session.request(method, f"{self.base}{path}", **kwargs) as resp:
            assert resp.status < 400, f"{method} {path}: HTTP {resp.status} {await resp.text()}"
            if resp.content_type == "application/json":
                return await resp.json()
            return await resp.text()

    async def fault(self, api: str, kind: str, *, times: int = 1, **extra: Any) -> Any:
        return await self._call("POST", "/_sim/faults", json={"api": api, "kind": kind, "times": times, **extra})

    async def clear_faults(self) -> Any:
        return await self._call("DELETE", "/_sim/faults")

    async def latency(self, ms: int) -> Any:
        return await self._call("POST", "/_sim/latency", json={"ms": ms})

    async def reset(self) -> Any:
        return await self._call("POST", "/_sim/reset")

    async def stats(self) -> dict[str, Any]:
        return await self._call("GET", "/_sim/stats")

    async def records(self, **query: str) -> Any:
        return await self._call("GET", "/_sim/records", params=query)

    async def login_code(self, appid: str, openid: str, unionid: str | None = None) -> str:
        body = {"appid": appid, "openid": openid}
        if unionid:
            body["unionid"] = unionid
        return (await self._call("POST", "/_sim/login_codes", json=body))["code"]

    async def phone_code(self, appid: str, phone: str) -> str:
        return (await self._call("POST", "/_sim/phone_codes", json={"appid": appid, "phone": phone}))["code"]

    async def grant(self, appid: str, openid: str, template_id: str, count: int = 1) -> Any:
        return await self._call(
            "POST", "/_sim/grants", json={"appid": appid, "openid": openid, "template_id": template_id, "count": count}
        )

    async def calls(self, api: str) -> int:
        return int((await self.stats()).get("calls", {}).get(api, 0))

    async def token_fetches(self, appid: str) -> int:
        return int((await self.stats()).get("token_fetches", {}).get(appid, 0))


ClientFactory = Callable[..., WeChatClient]
