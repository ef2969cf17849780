"""`WeChatClient`: one WeChat app (official account or mini-program) in one object.

The official account and the mini-program are two instances with different
appids; their tokens are cached under separate Redis keys (prefix + appid), so
every Sanic/arq process sharing the Redis shares each app's token.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from app.wechat.http import DEFAULT_API_BASE, WeChatHTTP
from app.wechat.menu import MenuAPI
from app.wechat.message import MessageAPI
from app.wechat.qrcode import DEFAULT_MP_BASE, QRCodeAPI
from app.wechat.subscribe import SubscribeAPI
from app.wechat.token import AccessTokenManager
from app.wechat.user import UserAPI
from app.wechat.wxa import WxaAPI

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["WeChatClient"]


class WeChatClient:
    """Async client for one WeChat app.

    `api_base` points at real WeChat by default; dev and tests point it at the
    simulator. `mp_base` (QR image host) defaults to `https://mp.weixin.qq.com`
    for real WeChat and to `api_base` otherwise, so the simulator serves both.

    Construction never fails on missing credentials (a development server may
    start without them); the first call that needs them raises
    `WeChatCredentialError` without contacting WeChat.
    """

    def __init__(
        self,
        *,
        appid: str,
        secret: str,
        redis: Redis,
        api_base: str = DEFAULT_API_BASE,
        mp_base: str | None = None,
        timeout: float = 10.0,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        key_prefix: str = "qiyun:wechat:token",
    ) -> None:
        self.appid = appid
        self.http = WeChatHTTP(
            appid=appid,
            api_base=api_base,
            timeout=timeout,
            max_attempts=max_attempts,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
        )
        self.tokens = AccessTokenManager(appid=appid, secret=secret, redis=redis, http=self.http, key_prefix=key_prefix)
        self.http.attach_tokens(self.tokens)
        if mp_base is None:
            mp_base = DEFAULT_MP_BASE if api_base.rstrip("/") == DEFAULT_API_BASE else api_base
        self.message = MessageAPI(self.http)
        self.subscribe = SubscribeAPI(self.http)
        self.menu = MenuAPI(self.http)
        self.qrcode = QRCodeAPI(self.http, mp_base=mp_base)
        self.user = UserAPI(self.http)
        self.wxa = WxaAPI(self.http, appid=appid, secret=secret)

    def __repr__(self) -> str:
        return f"WeChatClient(appid={self.appid!r}, api_base={self.http.api_base!r})"

    async def aclose(self) -> None:
        """Close the HTTP session (the Redis client belongs to the caller)."""
        await self.http.aclose()

    async def __aenter__(self) -> WeChatClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
