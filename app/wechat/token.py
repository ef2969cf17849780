"""access_token management shared by every process through one Redis.

Why this is more than "cache the token": Qiyun runs many Sanic workers and arq
workers on several hosts. If each refreshed on its own they would overwrite each
other's tokens (WeChat's 40001 "not latest"), waste the daily quota (45009) and,
with `force_refresh`, hit its 20/day limit. WeChat recommends one central
controller; here the controller is a Redis lock:

* the token and its expiry live in one Redis hash per appid;
* a token is *stale* `stale_margin` seconds (5 min) before it expires and is then
  refreshed by exactly one process (single-flight): an in-process `asyncio.Lock`
  keeps a worker's coroutines from all queueing on Redis, and a Redis lock
  (`redis.lock`, with timeout and blocking_timeout) serialises processes; after
  acquiring, the cache is re-checked because another process may have refreshed;
* `invalidate(failed_token)` after 40001/40014/42001 re-fetches only if the failing
  token is still the cached one (compare-and-delete in Lua, under the lock), so a
  burst of N failures causes one refresh, not N;
* tokens come from `/cgi-bin/stable_token` in normal mode. Only when a normal-mode
  fetch after an invalidation returns the very token that failed is
  `force_refresh=true` used, and then at most 20 times a day and 30 s apart,
  counted in Redis across all processes. While force_refresh is not allowed, the
  rejected token is remembered (by fingerprint) so further failures of it raise
  `WeChatTokenError` at once instead of re-fetching for every failing request.

Tokens and the secret are never logged; a short SHA-256 fingerprint is.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis.exceptions import LockError

from app.ops import metrics
from app.wechat.errors import WeChatAPIError, WeChatCredentialError, WeChatTokenError, WeChatTransientError

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from app.wechat.http import WeChatHTTP

__all__ = ["AccessTokenManager", "CachedToken", "fingerprint"]

logger = logging.getLogger("qiyun.wechat")

STABLE_TOKEN_PATH = "/cgi-bin/stable_token"

# Delete the cached token only if it is still the one that failed.
_COMPARE_AND_DELETE = """
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""

_REJECTED_MSG = (
    "token rejected and force_refresh is rate-limited (20/day, 30 s apart); check AppSecret and IP whitelist"
)


def fingerprint(token: str) -> str:
    """A short, non-reversible tag identifying a token in logs."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:10]


@dataclass(frozen=True)
class CachedToken:
    """A token as stored in Redis. Times are Unix epoch seconds."""

    token: str
    expires_at: float
    stale_at: float

    def is_fresh(self, now: float) -> bool:
        return now < self.stale_at

    def is_valid(self, now: float) -> bool:
        return now < self.expires_at


class AccessTokenManager:
    """Single-flight, cross-process access_token cache for one appid."""

    def __init__(
        self,
        *,
        appid: str,
        secret: str,
        redis: Redis,
        http: WeChatHTTP,
        key_prefix: str = "qiyun:wechat:token",
        stale_margin: float = 300.0,
        lock_timeout: float | None = None,
        lock_blocking_timeout: float = 20.0,
        lock_poll_interval: float = 0.02,
        force_refresh_daily_limit: int = 20,
        force_refresh_min_interval: float = 30.0,
    ) -> None:
        self.appid = appid
        self._secret = secret
        self._redis = redis
        self._http = http
        self.stale_margin = stale_margin
        # The lock must outlive a fetch with all its retries, or a second process
        # could start fetching while the first is still waiting on WeChat.
        self.lock_timeout = lock_timeout if lock_timeout is not None else _worst_case_fetch_seconds(http) + 5.0
        self.lock_blocking_timeout = lock_blocking_timeout
        self.lock_poll_interval = lock_poll_interval
        self.force_refresh_daily_limit = force_refresh_daily_limit
        self.force_refresh_min_interval = force_refresh_min_interval
        base = f"{key_prefix}:{appid}"
        self.cache_key = base
        self.lock_key = f"{base}:lock"
        self._force_gap_key = f"{base}:force:gap"
        self._rejected_key = f"{base}:rejected"
        self._force_day_prefix = f"{base}:force:day"
        self._compare_and_delete = redis.register_script(_COMPARE_AND_DELETE)
        self._local_lock: asyncio.Lock | None = None
        self._local_lock_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"AccessTokenManager(appid={self.appid!r}, key={self.cache_key!r})"

    # -- public API ----------------------------------------------------------------

    async def get_token(self) -> str:
        """Return a usable access token, fetching one only if the shared cache has
        no fresh token (and only in one process at a time)."""
        cached = await self.peek()
        if cached is not None and cached.is_fresh(time.time()):
            return cached.token
        async with self._get_local_lock():
            cached = await self.peek()
            if cached is not None and cached.is_fresh(time.time()):
                return cached.token
            return await self._refresh_locked(failed_token=None)

    async def invalidate(self, failed_token: str) -> str:
        """React to a token error (40001/40014/42001) seen with `failed_token`.

        Returns the token to retry with. Fetches a new one only if `failed_token`
        is still the cached token; otherwise another caller already replaced it.
        """
        cached = await self.peek()
        if cached is not None and cached.token != failed_token and cached.is_valid(time.time()):
            return cached.token
        async with self._get_local_lock():
            cached = await self.peek()
            if cached is not None and cached.token != failed_token and cached.is_valid(time.time()):
                return cached.token
            return await self._refresh_locked(failed_token=failed_token)

    async def peek(self) -> CachedToken | None:
        """The cached token, whatever its freshness, or None."""
        values = await self._redis.hmget(self.cache_key, ["token", "expires_at", "stale_at"])
        token, expires_at, stale_at = (_text(v) for v in values)
        if not token or not expires_at or not stale_at:
            return None
        try:
            return CachedToken(token=token, expires_at=float(expires_at), stale_at=float(stale_at))
        except ValueError:
            return None

    async def clear(self) -> None:
        """Drop the cached token (operator action; normally never needed)."""
        await self._redis.delete(self.cache_key)

    # -- internals -----------------------------------------------------------------

    def _get_local_lock(self) -> asyncio.Lock:
        # asyncio.Lock binds to the loop it is first used in; a manager reused from
        # another loop (tests, CLI) gets a fresh one.
        loop = asyncio.get_running_loop()
        if self._local_lock is None or self._local_lock_loop is not loop:
            self._local_lock = asyncio.Lock()
            self._local_lock_loop = loop
        return self._local_lock

    async def _refresh_locked(self, *, failed_token: str | None) -> str:
        """Take the cross-process lock, re-check the cache, fetch if still needed."""
        lock = self._redis.lock(
            self.lock_key,
            timeout=self.lock_timeout,
            sleep=self.lock_poll_interval,
            blocking_timeout=self.lock_blocking_timeout,
            thread_local=False,
        )
        acquired = await lock.acquire()
        if not acquired:
            return await self._lock_unavailable()
        try:
            now = time.time()
            cached = await self.peek()
            if failed_token is None:
                if cached is not None and cached.is_fresh(now):
                    return cached.token
            else:
                if cached is not None and cached.token != failed_token and cached.is_valid(now):
                    return cached.token
                if _text(await self._redis.get(self._rejected_key)) == fingerprint(failed_token):
                    # Already re-fetched (same token) and force_refresh is not allowed
                    # yet: do not spend another stable_token call per failing request.
                    raise WeChatTokenError(40001, _REJECTED_MSG, api=STABLE_TOKEN_PATH)
                removed = await self._compare_and_delete(keys=[self.cache_key], args=[failed_token])
                logger.info(
                    "wechat token invalidated fp=%s removed=%s",
                    fingerprint(failed_token),
                    bool(removed),
                    extra={"appid": self.appid, "token_fp": fingerprint(failed_token)},
                )
            try:
                token, expires_in = await self._fetch(force_refresh=False)
                if failed_token is not None and token == failed_token:
                    if not await self._may_force_refresh():
                        await self._store(token, expires_in)
                        await self._redis.set(
                            self._rejected_key,
                            fingerprint(token),
                            px=max(1, int(self.force_refresh_min_interval * 1000)),
                        )
                        raise WeChatTokenError(40001, _REJECTED_MSG, api=STABLE_TOKEN_PATH)
                    logger.warning(
                        "wechat token still rejected after normal fetch; force refresh fp=%s",
                        fingerprint(failed_token),
                        extra={"appid": self.appid, "token_fp": fingerprint(failed_token)},
                    )
                    token, expires_in = await self._fetch(force_refresh=True)
            except WeChatTransientError:
                # WeChat is unreachable: a still-valid (stale) token beats an outage.
                if failed_token is None and cached is not None and cached.is_valid(time.time()):
                    logger.warning(
                        "wechat token refresh failed; serving stale token fp=%s",
                        fingerprint(cached.token),
                        extra={"appid": self.appid, "token_fp": fingerprint(cached.token)},
                    )
                    return cached.token
                raise
            await self._store(token, expires_in)
            return token
        finally:
            try:
                await lock.release()
            except LockError:
                # The lock expired while we were fetching; someone else may hold it now.
                logger.warning("wechat token lock expired before release", extra={"appid": self.appid})

    async def _lock_unavailable(self) -> str:
        """The lock holder is slow or dead: use any still-valid token, else fail
        transiently so the caller can try again later."""
        cached = await self.peek()
        if cached is not None and cached.is_valid(time.time()):
            return cached.token
        raise WeChatTransientError(None, "timed out waiting for the access-token lock", api=STABLE_TOKEN_PATH)

    async def _fetch(self, *, force_refresh: bool) -> tuple[str, int]:
        """Call stable_token. Never logs the secret or the token."""
        if not self.appid or not self._secret:
            raise WeChatCredentialError(
                41002 if not self.appid else 41004, "appid or secret not configured", api=STABLE_TOKEN_PATH
            )
        try:
            payload = await self._http.request(
                "POST",
                STABLE_TOKEN_PATH,
                json={
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self._secret,
                    "force_refresh": force_refresh,
                },
                with_token=False,
            )
        except WeChatTokenError as exc:
            # 40001 on stable_token itself means the AppSecret is wrong, not the token.
            raise WeChatCredentialError(
                exc.errcode, exc.errmsg, api=STABLE_TOKEN_PATH, http_status=exc.http_status
            ) from None
        token = payload.get("access_token")
        if not isinstance(token, str) or not token:
            raise WeChatAPIError(None, "stable_token response without access_token", api=STABLE_TOKEN_PATH)
        try:
            expires_in = int(payload.get("expires_in", 7200))
        except (TypeError, ValueError):
            expires_in = 7200
        metrics.count_token_fetch(self.appid, force=force_refresh)
        logger.info(
            "wechat token fetched fp=%s expires_in=%d force=%s",
            fingerprint(token),
            expires_in,
            force_refresh,
            extra={"appid": self.appid, "token_fp": fingerprint(token), "force_refresh": force_refresh},
        )
        return token, expires_in

    async def _may_force_refresh(self) -> bool:
        """Count a force_refresh against the shared budget (20/day, 30 s apart)."""
        gap_ms = max(1, int(self.force_refresh_min_interval * 1000))
        if not await self._redis.set(self._force_gap_key, "1", nx=True, px=gap_ms):
            return False
        day_key = f"{self._force_day_prefix}:{time.strftime('%Y%m%d', time.gmtime(time.time() + 8 * 3600))}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(day_key)
            pipe.expire(day_key, 2 * 86400)
            count, _ = await pipe.execute()
        return int(count) <= self.force_refresh_daily_limit

    async def _store(self, token: str, expires_in: int) -> None:
        now = time.time()
        expires_in = max(1, expires_in)
        refresh_in = expires_in - self.stale_margin
        if refresh_in < min(60.0, expires_in / 2):
            # A short-lived token (normal mode near WeChat's own renewal): do not treat
            # it as stale on arrival or every call would refetch.
            refresh_in = expires_in / 2
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                self.cache_key,
                mapping={
                    "token": token,
                    "expires_at": repr(now + expires_in),
                    "stale_at": repr(now + refresh_in),
                    "fetched_at": repr(now),
                },
            )
            pipe.pexpire(self.cache_key, int(expires_in * 1000))
            await pipe.execute()


def _worst_case_fetch_seconds(http: WeChatHTTP) -> float:
    attempts = max(1, int(getattr(http, "max_attempts", 4)))
    timeout = float(getattr(http, "timeout", 10.0))
    backoff_max = float(getattr(http, "backoff_max", 8.0))
    return attempts * timeout + (attempts - 1) * backoff_max


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)
