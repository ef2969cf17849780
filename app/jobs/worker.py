"""The arq job worker: background jobs and cron jobs, run by `qiyun worker`.

Several workers may run on several hosts against one Redis; arq hands each job to one
of them, and cron jobs carry a unique job id per run so only one worker runs each tick.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.worker import Worker
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.exceptions import WatchError

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

    redis_settings = RedisSettings.from_dsn(redis_url)
    redis_settings.retry = Retry(ExponentialBackoff(cap=1.0, base=0.05), REDIS_OUTAGE_RETRIES)
    # The built-in ConnectionError (refused, reset) too: while Redis restarts, opening a new
    # connection fails with the socket's own error, which redis-py retries only if listed.
    redis_settings.retry_on_error = [RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError]
    return redis_settings


REDIS_OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError,  # includes BusyLoadingError: a restarted Redis still reading its AOF
    RedisTimeoutError,
    WatchError,  # redis-py's answer to a connection lost between WATCH and EXEC
    ConnectionError,  # the socket's own errors (refused, reset) when redis-py passes them on
    TimeoutError,
)
"""What an unreachable or restarting Redis raises out of arq's poll loop."""

OUTAGE_BACKOFF_CAP_S = 5.0
"""The longest pause between two poll iterations while Redis stays unreachable."""


class JobWorker(Worker):
    """arq's worker, made to outlive a Redis outage of any length instead of exiting.

    Redis commands retry for about 35 s (`_redis_settings`), but two things still escaped
    arq's poll loop (`Worker.main` -> `_poll_iteration`) and ended the process:
    an outage longer than the retries, and any connection lost inside arq's job claim
    (`start_jobs`: WATCH in-progress key, EXISTS, ZSCORE, MULTI/PSETEX/EXEC). redis-py never
    retries a command on a watched connection: the watch died with the connection, so it
    raises `WatchError` at once, and arq only catches that around the EXEC. A poll iteration
    that fails this way is logged (once per outage), followed by a capped back-off, and the
    loop goes on; errors of any other kind still end the worker, as in arq.

    Why a job claimed during the outage runs once and is not lost (jobs stay in the queue
    until `finish_job` removes them; the in-progress key is arq's only claim):

    - The claim failed before EXEC reached Redis: no in-progress key, the job is still queued,
      and the first poll after the outage claims it. arq had already taken a slot for it
      (`job_counter`, the semaphore) and frees it only on its own paths: `start_jobs` gives it
      back, or the worker would lose one of its `max_jobs` slots per outage.
    - EXEC was applied but its reply lost: arq sees `WatchError`, takes the job for claimed by
      another worker and does not run it, while our in-progress key keeps everyone else off it.
      The job waits in the queue until the key expires (`in_progress_timeout_s`: the longest
      job timeout + 10 s), then one worker claims and runs it: late, not lost, once.
    - Claimed, but `run_job` could not read the job (outage longer than the retries): the job
      did not start, the task ends with the error (re-raised in `_poll_iteration`, handled
      here), and the job is retried as above once the in-progress key expires.
    - Running or finished while Redis restarts: the in-progress key (AOF keeps it) keeps other
      workers off it, and `finish_job` retries until Redis answers. Only an outage longer than
      the retries between the end of a job and its `finish_job` leaves a job that ran in the
      queue, to run again after its in-progress key expires: arq is at-least-once, which is why
      Qiyun's jobs are idempotent (the push ledger, unique cron ids).
    - A Redis restart that lost its data loses the queue and the in-progress keys with it; the
      worker cannot help that (the supervising cron jobs re-enqueue from the database).

    A unique cron job whose enqueue failed in the outage is put back to its planned run, so the
    next poll enqueues that tick (its job id makes a repeat of an enqueued tick a no-op) instead
    of skipping it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._outage_started: float | None = None
        self._outage_failures = 0

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except REDIS_OUTAGE_ERRORS as error:
            await self._wait_out_outage(error)
            return
        if self._outage_started is not None:
            logger.info(
                "job worker reached Redis again",
                extra={"outage_s": round(time.monotonic() - self._outage_started, 1),
                       "failed_polls": self._outage_failures},
            )
            self._outage_started, self._outage_failures = None, 0

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        # One job at a time through arq's own claim, to give back the slot it took for a job
        # whose claim raised (see the class docstring).
        for job_id in job_ids:
            running = self.tasks.get(job_id.decode())
            try:
                await super().start_jobs([job_id])
            except REDIS_OUTAGE_ERRORS:
                if self.tasks.get(job_id.decode()) is running:  # no task started for it
                    self.job_counter -= 1
                    self.sem.release()
                raise

    async def run_cron(self, n: Any, delay: float, num_windows: int = 2) -> None:
        planned = [(job, job.next_run) for job in self.cron_jobs if job.unique]
        try:
            await super().run_cron(n, delay, num_windows)
        except REDIS_OUTAGE_ERRORS:
            for job, next_run in planned:
                job.next_run = next_run
            raise

    async def _wait_out_outage(self, error: BaseException) -> None:
        if self._outage_started is None:
            self._outage_started = time.monotonic()
            logger.warning(
                "job worker lost Redis; polling again until it answers",
                extra={"error": type(error).__name__, "detail": _without_credentials(str(error))},
            )
        self._outage_failures += 1
        await asyncio.sleep(min(OUTAGE_BACKOFF_CAP_S, max(self.poll_delay_s, 0.05) * 2 ** min(self._outage_failures, 10)))


def _without_credentials(text: str) -> str:
    """redis-py's messages name host and port; should one ever carry a URL, drop its user:password."""
    return re.sub(r"://[^@/\s]*@", "://***@", text)


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
