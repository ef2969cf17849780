"""arq jobs that deliver the outbox (registered in `app.jobs.worker`).

* `deliver_outbox` — enqueued after a commit that queued side effects (`enqueue_delivery`,
  set as the appeal service's notify hook by the server and the worker). Its job id is one
  per second (`outbox:deliver:<unix second>`), so a burst of steps queues one job; the job
  runs batches until nothing is due, so rows committed while it runs are usually taken
  too. It is only a speed-up:
* `outbox_sweep` — cron, every 15 seconds, once per tick across workers (arq's unique cron
  job id): returns a dead worker's rows to the queue (expired leases), delivers whatever
  is due (retries whose backoff has passed, rows whose wake-up was lost). So nothing queued
  is lost across restarts; at worst it waits for the next tick.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from arq import cron
from arq.connections import ArqRedis
from redis.asyncio import Redis

from app.outbox.delivery import deliver_pending, sweep

__all__ = ["CRON_JOBS", "FUNCTIONS", "deliver_outbox", "enqueue_delivery", "notify_hook", "outbox_sweep"]

logger = logging.getLogger("qiyun.outbox")


def delivery_job_id(now: float | None = None) -> str:
    return f"outbox:deliver:{int(now if now is not None else time.time())}"


async def enqueue_delivery(redis: Redis) -> bool:
    """Wake a worker to deliver the outbox now; False when this second's job is already queued."""
    job = await ArqRedis(connection_pool=redis.connection_pool).enqueue_job("deliver_outbox", _job_id=delivery_job_id())
    return job is not None


def notify_hook(redis: Redis):
    """The hook `app.outbox.wake.set_wake_hook` takes: wakes the outbox worker through `redis`."""

    async def wake() -> None:
        await enqueue_delivery(redis)

    return wake


async def deliver_outbox(ctx: dict[str, Any]) -> dict[str, int]:
    """Deliver everything due now (woken after a commit)."""
    stats = await deliver_pending(ctx["resources"])
    if stats.claimed:
        logger.info("outbox delivered", extra=stats.as_dict())
    return stats.as_dict()


async def outbox_sweep(ctx: dict[str, Any]) -> dict[str, int]:
    """Every 15 s: dead workers' rows back to the queue, then everything due."""
    stats = await sweep(ctx["resources"])
    if stats.claimed or stats.reclaimed:
        logger.info("outbox sweep", extra=stats.as_dict())
    return stats.as_dict()


FUNCTIONS = [deliver_outbox, outbox_sweep]
CRON_JOBS = [cron(outbox_sweep, second={0, 15, 30, 45}, unique=True, run_at_startup=False)]
