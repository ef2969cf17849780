"""The arq job worker: background jobs and cron jobs, run by `qiyun worker`.

Several workers may run on several hosts against one Redis; arq hands each job to one
of them, and cron jobs carry a unique job id per run so only one worker runs each tick.
"""

from __future__ import annotations

import logging
from typing import Any

from arq import cron
from arq.connections import RedisSettings

from app.appeal import jobs as appeal_jobs
from app.provider import jobs as provider_jobs
from app.activity import jobs as activity_jobs
from app.survey import jobs as survey_jobs
from app.reporting import jobs as reporting_jobs
from app.config import Settings
from app.identity import jobs as identity_jobs
from app.messagelog.service import purge_older_than
from app.outbox import jobs as outbox_jobs
from app.policy.jobs import expire_policies
from app.push import jobs as push_jobs
from app.redis_client import resolve_redis_url
from app.resources import open_resources

logger = logging.getLogger("qiyun.jobs")

# Jobs that other modules enqueue register here (name -> coroutine function).
JOB_FUNCTIONS: list[Any] = []


async def purge_message_log(ctx: dict[str, Any]) -> int:
    """Daily: drop message-log entries older than MESSAGE_LOG_RETENTION_DAYS."""
    settings: Settings = ctx["resources"].settings
    deleted = await purge_older_than(days=settings.message_log_retention_days)
    logger.info("message log purged", extra={"deleted": deleted})
    return deleted


REDIS_OUTAGE_RETRIES = 40
"""Retries (backoff capped at 1 s: about 35 s in all) of a worker's queue commands while Redis
is unreachable, e.g. restarting; without them arq's poll loop raises and the worker exits."""


def _redis_settings(redis_url: str) -> RedisSettings:
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    redis_settings = RedisSettings.from_dsn(redis_url)
    redis_settings.retry = Retry(ExponentialBackoff(cap=1.0, base=0.05), REDIS_OUTAGE_RETRIES)
    # The built-in ConnectionError (refused, reset) too: while Redis restarts, opening a new
    # connection fails with the socket's own error, which redis-py retries only if listed.
    redis_settings.retry_on_error = [RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError]
    return redis_settings


def worker_settings(settings: Settings, *, open_database: bool = True) -> dict[str, Any]:
    """Keyword arguments for `arq.worker.Worker`, built from Qiyun's settings.

    Tests that already hold the database open pass `open_database=False`.
    """

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["resources"] = await open_resources(settings, open_database=open_database)
        push_jobs.prepare_worker(ctx)
        # Steps taken in jobs (e.g. closing unrated appeals) wake the outbox too.
        from app.outbox.wake import set_wake_hook

        set_wake_hook(outbox_jobs.notify_hook(ctx["resources"].redis))
        # arq logs "Starting worker" before this hook; this line says the connections are open
        # and jobs will run (supervisors and the multi-process tests wait for it).
        logger.info("job worker ready")

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        from app.outbox.wake import set_wake_hook

        set_wake_hook(None)
        await push_jobs.close_push_client(ctx)
        resources = ctx.get("resources")
        if resources is not None:
            await resources.aclose()

    redis_url = resolve_redis_url(settings.redis_url, settings.resolved_var_dir)
    return {
        "functions": [
            purge_message_log, expire_policies, *identity_jobs.FUNCTIONS, *push_jobs.FUNCTIONS,
            *outbox_jobs.FUNCTIONS, *appeal_jobs.FUNCTIONS, *provider_jobs.FUNCTIONS, *activity_jobs.FUNCTIONS, *survey_jobs.FUNCTIONS, *reporting_jobs.FUNCTIONS,
            *JOB_FUNCTIONS
        ],
        "cron_jobs": [
            cron(purge_message_log, hour={3}, minute={17}, unique=True, run_at_startup=False),
            cron(expire_policies, minute={5}, unique=True, run_at_startup=False),
            *push_jobs.CRON_JOBS,
            *outbox_jobs.CRON_JOBS,
            *appeal_jobs.CRON_JOBS,
            *provider_jobs.CRON_JOBS,
            *activity_jobs.CRON_JOBS,
            *survey_jobs.CRON_JOBS,
            *reporting_jobs.CRON_JOBS,
        ],
        "redis_settings": _redis_settings(redis_url),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "job_completion_wait": 30,  # on SIGTERM: stop taking jobs, let running ones finish
        "max_jobs": 50,
        "handle_signals": True,
    }
