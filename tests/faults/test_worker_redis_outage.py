"""The job worker outlives Redis going away: an outage longer than its command retries while it
waits for work, and SIGKILLed restarts while it claims jobs (a connection lost inside arq's
WATCH ... EXEC claim raises WatchError at once, never retried). arq's own Worker exits on both;
JobWorker (app/jobs/worker.py) keeps polling, and every queued job still runs exactly once.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from arq import create_pool
from arq.worker import func

import app.jobs.worker as jobs_worker
from app.jobs.worker import JobWorker, _redis_settings, worker_settings
from tests.faults.conftest import eventually, stop_worker

pytestmark = pytest.mark.slow

LOST = "job worker lost Redis"
BACK = "job worker reached Redis again"


def _worker(config, record, **options) -> JobWorker:
    """The production worker settings, with one job function (`record`) and no cron jobs."""
    return JobWorker(**{
        **worker_settings(config, open_database=False),
        "functions": [func(record, name="record")],
        "cron_jobs": [],
        "handle_signals": False,
        "poll_delay": 0.05,
        **options,
    })


def _messages(caplog, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


async def test_an_outage_longer_than_the_retries_does_not_end_the_worker(
    settings, db, redis_server, monkeypatch, caplog
):
    caplog.set_level(logging.INFO, logger="qiyun")
    # Two retries (~0.15 s) instead of ~35 s: the same outage, reached in a test's time.
    monkeypatch.setattr(jobs_worker, "REDIS_OUTAGE_RETRIES", 2)
    own = redis_server(persistent=True)
    config = settings.model_copy(update={"redis_url": own.url})
    ran: list[str] = []

    async def record(ctx, name: str) -> None:
        ran.append(name)

    worker = _worker(config, record)
    running = asyncio.create_task(worker.main())
    pool = await create_pool(_redis_settings(own.url))
    try:
        await pool.enqueue_job("record", "before")
        await eventually(lambda: ran == ["before"], timeout=30, what="the first job ran")

        own.kill()
        await eventually(lambda: _messages(caplog, LOST) or running.done(), timeout=10, what="the outage noticed")
        await asyncio.sleep(2.0)  # several failed polls, each past the retries
        assert not running.done(), f"the job worker ended in the outage: {running.exception()!r}"
        own.start()

        await pool.enqueue_job("record", "after")
        await eventually(lambda: ran == ["before", "after"] or running.done(), timeout=30, what="a new job ran")
        assert not running.done(), f"the job worker ended: {running.exception()!r}"
        assert ran == ["before", "after"]
        assert len(_messages(caplog, LOST)) == 1, _messages(caplog, LOST)  # once per outage, not per poll
        assert len(_messages(caplog, BACK)) == 1
    finally:
        await stop_worker(worker, running)
        await pool.aclose()


async def test_redis_restarts_while_jobs_are_claimed_leave_the_worker_running_each_job_once(
    settings, db, redis_server, caplog
):
    caplog.set_level(logging.INFO, logger="qiyun")
    own = redis_server(persistent=True)  # AOF: the queue and the in-progress keys survive
    config = settings.model_copy(update={"redis_url": own.url})
    count = 800
    ran: list[int] = []

    async def record(ctx, number: int) -> None:
        ran.append(number)
        await asyncio.sleep(0.2)

    # A short job timeout: a job whose claim reached Redis but whose answer did not waits for its
    # in-progress key to expire (job timeout + 10 s) before it runs.
    worker = _worker(config, record, max_jobs=100, job_timeout=5)
    pool = await create_pool(_redis_settings(own.url))
    running: asyncio.Task | None = None
    try:
        for number in range(count):
            await pool.enqueue_job("record", number, _job_id=f"record-{number}")
        running = asyncio.create_task(worker.main())

        for restart, after in enumerate((100, 300, 500)):
            await eventually(lambda: len(ran) >= after or running.done(), timeout=60, what=f"{after} jobs ran")
            assert not running.done(), f"the job worker ended at restart {restart}: {running.exception()!r}"
            own.kill()  # mid-claim: the worker claims a job about every millisecond
            await asyncio.sleep(0.2)
            own.start()

        async def drained() -> bool:
            return len(set(ran)) == count and await pool.zcard("arq:queue") == 0 and not worker.tasks

        await eventually(lambda: running.done() or drained(), timeout=90, what="every job ran and left the queue")
        assert not running.done(), f"the job worker ended: {running.exception()!r}"
        assert sorted(ran) == list(range(count))  # none lost, none twice

        await pool.enqueue_job("record", count)
        await eventually(lambda: count in ran, timeout=30, what="a job enqueued after the restarts ran")
    finally:
        if running is not None:
            await stop_worker(worker, running)
        await pool.aclose()
