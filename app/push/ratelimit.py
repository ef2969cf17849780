"""One token bucket and one daily template quota per official account, shared by every
push worker through Redis.

Why a Lua script: the bucket's refill, the quota check and the take must be one atomic
step across processes, or two workers reading "10 tokens left" would both take 10. The
script reads Redis's own clock (`TIME`), so hosts with skewed clocks still share one
rate. Each call takes up to `n` tokens at once; a worker keeps a small local stock
(`chunk`, about 1/20 s of the rate) so a 1,500/s campaign costs ~30 Redis calls a second,
not 1,500, while the rate stays global because every token came out of the shared bucket.

The daily quota (WeChat's 100,000 template messages a day by default, reset at midnight
Beijing time) is counted in the same step: a token is only granted while the day's
counter is below `TEMPLATE_DAILY_QUOTA`. Tokens a worker took but did not use are given
back to the quota counter when it stops (`close`), so a paused campaign does not eat
into tomorrow's sends.
"""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

__all__ = [
    "BEIJING",
    "QuotaExhausted",
    "SharedRateLimiter",
    "next_quota_reset",
    "quota_day",
    "quota_used",
]

BEIJING = ZoneInfo("Asia/Shanghai")
KEY_PREFIX = "qiyun:push"

# KEYS[1] bucket hash, KEYS[2] day's quota counter
# ARGV: rate per second, capacity, tokens wanted, quota limit (0 = none), quota key ttl seconds
# Returns {granted, wait_ms, quota_exhausted}
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local quota = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
if now > at then
  tokens = math.min(capacity, tokens + (now - at) * rate / 1000)
end
local allowed = wanted
if quota > 0 then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used >= quota then
    return {0, 0, 1}
  end
  allowed = math.min(allowed, quota - used)
end
local granted = math.min(allowed, math.floor(tokens))
local wait = 0
if granted < 1 then
  granted = 0
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 60000)
if granted > 0 and quota > 0 then
  redis.call('INCRBY', KEYS[2], granted)
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[5]))
end
return {granted, wait, 0}
"""


class QuotaExhausted(Exception):
    """The day's template quota is used up (counted locally, before WeChat says 45009)."""


def quota_day(now: datetime | None = None) -> str:
    """The quota day (WeChat resets daily quotas at midnight Beijing time)."""
    return (now or datetime.now(BEIJING)).astimezone(BEIJING).strftime("%Y%m%d")


def next_quota_reset(now: datetime | None = None) -> datetime:
    """The next midnight, Beijing time: when a campaign paused for the quota may continue."""
    local = (now or datetime.now(BEIJING)).astimezone(BEIJING)
    return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=BEIJING)


def _bucket_key(appid: str) -> str:
    return f"{KEY_PREFIX}:bucket:{appid}"


def _quota_key(appid: str, day: str) -> str:
    return f"{KEY_PREFIX}:quota:{appid}:{day}"


async def quota_used(redis: Redis, *, appid: str, day: str | None = None) -> int:
    """Template messages counted against today's quota so far (all workers)."""
    value = await redis.get(_quota_key(appid, day or quota_day()))
    return int(value or 0)


class SharedRateLimiter:
    """`await acquire()` before each send; raises `QuotaExhausted` when the day's quota is spent.

    One instance per worker process and campaign run; the bucket itself lives in Redis.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        appid: str,
        rate_per_second: int,
        daily_quota: int,
        chunk: int | None = None,
    ) -> None:
        if rate_per_second < 1:
            raise ValueError("rate_per_second must be >= 1")
        self._redis = redis
        self.appid = appid
        self.rate = rate_per_second
        self.daily_quota = daily_quota
        self.chunk = chunk if chunk is not None else max(1, min(50, rate_per_second // 20))
        # The bucket must hold at least one chunk, and allows a burst of ~1/5 s.
        self.capacity = max(self.chunk, math.ceil(rate_per_second / 5))
        self._script = redis.register_script(_TAKE)
        self._stock = 0
        self._stock_day = ""
        self._lock = asyncio.Lock()

    async def take(self, wanted: int) -> tuple[int, int, bool]:
        """One atomic call: (granted, wait_ms before a token is available, quota exhausted)."""
        day = quota_day()
        granted, wait_ms, exhausted = await self._script(
            keys=[_bucket_key(self.appid), _quota_key(self.appid, day)],
            args=[self.rate, self.capacity, wanted, self.daily_quota, 2 * 86400],
        )
        if int(granted):
            self._stock_day = day
        return int(granted), int(wait_ms), bool(int(exhausted))

    async def acquire(self) -> None:
        """Wait for one token of the shared bucket (and the day's quota)."""
        while True:
            if self._stock > 0:
                self._stock -= 1
                return
            async with self._lock:
                if self._stock > 0:
                    continue
                granted, wait_ms, exhausted = await self.take(self.chunk)
                if exhausted:
                    raise QuotaExhausted(f"template daily quota of {self.daily_quota} reached")
                if granted:
                    self._stock += granted
                    continue
                await asyncio.sleep(max(wait_ms, 1) / 1000)

    def give_back(self) -> None:
        """A token taken but not used (the runner stopped meanwhile): back to the local stock."""
        self._stock += 1

    async def close(self) -> None:
        """Give unused tokens back to today's quota counter (the rate bucket refills by itself)."""
        unused, self._stock = self._stock, 0
        if unused and self._stock_day == quota_day():
            await self._redis.decrby(_quota_key(self.appid, self._stock_day), unused)
