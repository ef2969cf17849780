"""Per-user request rate limit for the mini-program API, counted in Redis.

`API_RATE_LIMIT_PER_MINUTE` requests per signed-in mini-program account (per client IP
before sign-in), shared by every server process. A sliding-window counter: the current
minute's count plus the previous minute's weighted by how much of it still overlaps the
last 60 s. That smooths the double burst a fixed window allows at a minute boundary for
two Redis keys per subject. Refused requests are not counted, so a client that backs off
for `Retry-After` seconds gets through.

Behind a reverse proxy, configure Sanic's `PROXIES_COUNT`/`REAL_IP_HEADER` so the client
IP is the person's, not the proxy's.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from sanic import Request

from miniprogram_api.errors import ApiError

__all__ = ["RateDecision", "enforce_rate_limit", "hit", "rate_subject"]

WINDOW_SECONDS = 60
_KEY = "qiyun:mp:rate:{subject}:{window}"

# Count this request in the current window; return it with the previous window's count.
_HIT = """
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
return {current, previous}
"""


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int


async def hit(*, redis: Redis, subject: str, limit: int, now: float | None = None) -> RateDecision:
    """Count one request of `subject` and decide whether it may proceed."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    elapsed = now - window * WINDOW_SECONDS
    current_key = _KEY.format(subject=subject, window=window)
    previous_key = _KEY.format(subject=subject, window=window - 1)
    current, previous = await redis.eval(_HIT, 2, current_key, previous_key, WINDOW_SECONDS * 2)
    current, previous = int(current), int(previous)
    weight = (WINDOW_SECONDS - elapsed) / WINDOW_SECONDS
    estimated = current + previous * weight
    if estimated <= limit:
        return RateDecision(True, limit, max(0, math.floor(limit - estimated)), 0)
    await redis.decr(current_key)
    return RateDecision(False, limit, 0, _retry_after(current - 1, previous, elapsed, limit))


def _retry_after(current: int, previous: int, elapsed: float, limit: int) -> int:
    """Seconds until one more request fits under the limit."""
    if current + 1 > limit:
        # The current window alone is full: wait for it to become the previous one and
        # for enough of it to slide out.
        until_next = WINDOW_SECONDS - elapsed
        needed = (current + 1 - limit) / max(current, 1)
        return max(1, math.ceil(until_next + needed * WINDOW_SECONDS))
    if previous <= 0:
        return 1
    # Wait until the previous window's weight has dropped enough.
    target_weight = (limit - current - 1) / previous
    seconds = (1 - target_weight) * WINDOW_SECONDS - elapsed
    return max(1, math.ceil(seconds))


def rate_subject(request: Request) -> str:
    """Whom a request counts against: the signed-in account, else the client IP."""
    session = getattr(request.ctx, "session", None)
    if session is not None:
        return f"user:{session.miniprogram_user_id}"
    return f"ip:{request.remote_addr or request.ip or 'unknown'}"


async def enforce_rate_limit(request: Request) -> None:
    """Middleware: 429 `rate_limited` with `Retry-After` once the subject is over the limit."""
    resources = request.app.ctx.resources
    limit = resources.settings.api_rate_limit_per_minute
    decision = await hit(redis=resources.redis, subject=rate_subject(request), limit=limit)
    request.ctx.rate_limit = decision
    if not decision.allowed:
        raise ApiError(
            "rate_limited",
            details={"retry_after": decision.retry_after, "limit_per_minute": limit},
            headers={"Retry-After": str(decision.retry_after)},
        )
