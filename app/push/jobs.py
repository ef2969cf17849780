"""arq jobs of push campaigns (registered in `app.jobs.worker`).

* `push_run` — one slice (`SLICE_SECONDS`) of sending a campaign in this worker; it
  enqueues its successor while work is left, so slices spread over every worker that polls
  the queue and a worker restart loses at most one slice's claims (their leases expire and
  another runner reclaims them). `start_campaign` / `resume_campaign` enqueue
  `RUNNERS_PER_START` of them, and several runners in one process share its
  `push_concurrency` bound.
* `push_start_scheduled` — deferred to a scheduled campaign's `scheduled_at`.
* `push_resume_after_quota` — deferred to the next midnight (Beijing) after a campaign
  paused on the daily quota.
* `push_supervise` — cron, every 15 seconds, once per tick: starts scheduled campaigns that are
  due (in case the deferred job was lost), gives running campaigns whose runners all died a
  new runner, and settles rows that a dead worker left in cancelled campaigns.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime
from typing import Any

from arq import cron
from arq.connections import ArqRedis
from redis.asyncio import Redis

from app.push.sender import CampaignRunner, live_runners_key

__all__ = [
    "CRON_JOBS",
    "FUNCTIONS",
    "RUNNERS_PER_START",
    "SLICE_SECONDS",
    "enqueue_runners",
    "enqueue_scheduled_start",
    "push_client",
]

logger = logging.getLogger("qiyun.push")

SLICE_SECONDS = 20.0
RUNNERS_PER_START = 2


def _arq(redis: Redis) -> ArqRedis:
    """An arq handle over the process's Redis connections (same pool, not closed here)."""
    return ArqRedis(connection_pool=redis.connection_pool)


async def enqueue_runners(redis: Redis, *, campaign_id: int, count: int = RUNNERS_PER_START) -> None:
    """Queue `count` sending slices for a campaign (after the start/resume committed)."""
    arq = _arq(redis)
    for _ in range(count):
        await arq.enqueue_job("push_run", campaign_id, _job_id=f"push:run:{campaign_id}:{uuid.uuid4().hex}")


async def enqueue_scheduled_start(redis: Redis, *, campaign_id: int, at: datetime) -> None:
    await _arq(redis).enqueue_job(
        "push_start_scheduled",
        campaign_id,
        _job_id=f"push:start:{campaign_id}:{int(at.timestamp())}",
        _defer_until=at,
    )


async def enqueue_quota_resume(redis: Redis, *, campaign_id: int, at: datetime) -> None:
    await _arq(redis).enqueue_job(
        "push_resume_after_quota",
        campaign_id,
        _job_id=f"push:quota-resume:{campaign_id}:{int(at.timestamp())}",
        _defer_until=at,
    )


def prepare_worker(ctx: dict[str, Any]) -> None:
    """Called from the worker's startup hook: arq gives every job a shallow copy of `ctx`, so
    per-process state shared by push jobs lives in a dict created here."""
    ctx.setdefault("push", {})


def _shared(ctx: dict[str, Any]) -> dict[str, Any]:
    return ctx["push"] if isinstance(ctx.get("push"), dict) else ctx


class LocalTokenCache:
    """The shared token source (Redis, single-flight) behind a copy kept for a second or two.

    The transport asks for the token on every request; at a thousand sends a second that is
    a thousand Redis round trips, as costly as the sends themselves. A token is valid for two
    hours and a superseded one for five more minutes, so a copy a few seconds old is always
    usable; a 40001 drops the copy and goes through the shared manager's invalidation."""

    def __init__(self, source: Any, *, ttl: float = 2.0) -> None:
        self._source = source
        self._ttl = ttl
        self._token: str | None = None
        self._until = 0.0

    async def get_token(self) -> str:
        now = time.monotonic()
        if self._token is None or now >= self._until:
            self._token = await self._source.get_token()
            self._until = now + self._ttl
        return self._token

    async def invalidate(self, failed_token: str) -> str:
        self._token = None
        token = await self._source.invalidate(failed_token)
        self._token, self._until = token, time.monotonic() + self._ttl
        return token


def push_client(ctx: dict[str, Any], *, settings: Any = None) -> Any:
    """The worker's WeChat client for pushes: one HTTP attempt per call (the ledger retries with
    backoff, so a slow retry never holds a send slot), sharing the access token in Redis."""
    shared = _shared(ctx)
    client = shared.get("push_wechat")
    if client is None:
        from app.wechat import WeChatClient

        resources = ctx["resources"]
        settings = settings or resources.settings
        client = WeChatClient(
            appid=settings.wechat_appid,
            secret=settings.wechat_secret.get_secret_value(),
            redis=resources.redis,
            api_base=settings.wechat_api_base,
            timeout=settings.wechat_api_timeout,
            max_attempts=1,
        )
        client.http.connector_limit = max(100, settings.push_concurrency)
        client.http.attach_tokens(LocalTokenCache(client.tokens))
        shared["push_wechat"] = client
    return client


async def close_push_client(ctx: dict[str, Any]) -> None:
    client = _shared(ctx).pop("push_wechat", None)
    if client is not None:
        await client.aclose()


async def push_run(ctx: dict[str, Any], campaign_id: int) -> dict[str, Any]:
    """Send one slice of a campaign from this worker."""
    from app.push.ratelimit import next_quota_reset

    resources = ctx["resources"]
    runner = CampaignRunner(
        campaign_id=campaign_id,
        wechat=push_client(ctx),
        redis=resources.redis,
        settings=resources.settings,
        slice_seconds=SLICE_SECONDS,
    )
    result = await runner.run()
    if result.state == "continue":
        await enqueue_runners(resources.redis, campaign_id=campaign_id, count=1)
    elif result.stop_code == "quota":
        await enqueue_quota_resume(resources.redis, campaign_id=campaign_id, at=next_quota_reset())
    summary = {"campaign_id": campaign_id, "state": result.state, "stop_code": result.stop_code}
    summary.update(result.stats.summary())
    logger.info("push slice finished", extra=summary)
    summary["latency_hist"] = result.stats.latency.sparse()  # merged by benchmarks/push_campaign.py
    return summary


async def push_start_scheduled(ctx: dict[str, Any], campaign_id: int) -> str:
    """A scheduled campaign's time has come."""
    from app.push.service import start_due_campaign

    resources = ctx["resources"]
    return await start_due_campaign(campaign_id=campaign_id, settings=resources.settings, redis=resources.redis)


async def push_resume_after_quota(ctx: dict[str, Any], campaign_id: int) -> bool:
    """Continue a campaign paused on the daily quota, if it is still paused for that reason."""
    from app.push.service import resume_after_quota

    resources = ctx["resources"]
    return await resume_after_quota(campaign_id=campaign_id, redis=resources.redis)


async def push_supervise(ctx: dict[str, Any]) -> dict[str, int]:
    """Every 15 seconds: due scheduled campaigns, orphaned running campaigns, dead workers' rows.

    Often, because it is what resumes a campaign whose worker died: the rest of its rows are
    sent at most a lease (30 s) plus this interval later. Each run is a few indexed queries."""
    from app.push.service import supervise

    resources = ctx["resources"]
    return await supervise(settings=resources.settings, redis=resources.redis)


FUNCTIONS = [push_run, push_start_scheduled, push_resume_after_quota, push_supervise]
CRON_JOBS = [cron(push_supervise, second={5, 20, 35, 50}, unique=True, run_at_startup=False)]

__all__ += ["close_push_client", "enqueue_quota_resume", "live_runners_key", "prepare_worker"]
