"""Process-wide resources, opened when a server worker or job worker starts and closed when it stops.

Nothing here runs at import: a Sanic listener or the arq worker's startup hook calls
`open_resources`, so each process (and each test session) owns its own connections.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from app import db
from app.config import Settings
from app.redis_client import connect, resolve_redis_url
from app.wechat import WeChatClient


@dataclass
class Resources:
    settings: Settings
    redis: Redis
    official_account: WeChatClient
    miniprogram: WeChatClient
    owns_database: bool

    async def aclose(self) -> None:
        await self.official_account.aclose()
        await self.miniprogram.aclose()
        await self.redis.aclose()
        if self.owns_database:
            await db.close_database()


def wechat_clients(settings: Settings, redis: Redis) -> tuple[WeChatClient, WeChatClient]:
    """The official account's and the mini-program's API clients (separate appids and tokens)."""
    common = {"redis": redis, "api_base": settings.wechat_api_base, "timeout": settings.wechat_api_timeout}
    official_account = WeChatClient(
        appid=settings.wechat_appid, secret=settings.wechat_secret.get_secret_value(), **common
    )
    miniprogram = WeChatClient(
        appid=settings.miniprogram_appid, secret=settings.miniprogram_secret.get_secret_value(), **common
    )
    return official_account, miniprogram


async def open_resources(settings: Settings, *, open_database: bool = True) -> Resources:
    if open_database:
        await db.open_database(settings.effective_database_url)
    redis = connect(resolve_redis_url(settings.redis_url, settings.resolved_var_dir))
    official_account, miniprogram = wechat_clients(settings, redis)
    return Resources(
        settings=settings,
        redis=redis,
        official_account=official_account,
        miniprogram=miniprogram,
        owns_database=open_database,
    )
