"""The outbox delivers what a transaction queued: each row claimed by one worker under a
lease, its handler's result recorded, transient failures retried with backoff and then
given up, and a dead worker's rows handed to the next one."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from arq.connections import ArqRedis
from arq.worker import Worker

from app.jobs.worker import worker_settings
from app.outbox import delivery
from app.outbox.delivery import (
    LEASE,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    RetryLater,
    claim,
    deliver_pending,
    outbox_handler,
    reclaim_expired,
    run_claimed,
    unregister_handler,
)
from app.outbox.jobs import enqueue_delivery, outbox_sweep
from app.outbox.models import OutboxMessage, OutboxStatus
from app.outbox.service import put

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class Recorder:
    """Test handlers: what they were called with, and what they answer."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.registered: list[str] = []

    def on(self, topic: str, answer):
        async def handler(message: OutboxMessage, resources) -> str:
            self.calls.append(message.id)
            result = answer(message) if callable(answer) else answer
            if isinstance(result, BaseException):
                raise result
            return result

        outbox_handler(topic)(handler)
        self.registered.append(topic)
        return handler


@pytest.fixture
def handlers():
    recorder = Recorder()
    yield recorder
    for topic in recorder.registered:
        unregister_handler(topic)


async def queue(topic: str = "test.echo", *, available_at: datetime | None = NOW, **payload) -> OutboxMessage:
    message = await put(topic=topic, dedupe_key=f"test:{uuid.uuid4().hex}", payload=payload, available_at=available_at)
    assert message is not None
    return message


async def reload(message: OutboxMessage) -> OutboxMessage:
    return await OutboxMessage.get(id=message.id)


async def test_the_same_side_effect_is_queued_once_per_dedupe_key():
    first = await put(topic="test.echo", dedupe_key="appeal:1:event:2:enterprise", payload={}, available_at=NOW)
    again = await put(topic="test.echo", dedupe_key="appeal:1:event:2:enterprise", payload={}, available_at=NOW)
    assert first is not None and again is None
    assert await OutboxMessage.all().count() == 1


async def test_a_claim_takes_due_rows_under_a_lease_and_nobody_else_gets_them():
    due = await queue()
    later = await queue(available_at=NOW + timedelta(minutes=1))

    claimed = await claim(now=NOW, limit=10)

    assert [m.id for m in claimed] == [due.id]
    row = await reload(due)
    assert row.status == OutboxStatus.sending and row.attempts == 1
    assert row.lease_until == NOW + LEASE
    assert await claim(now=NOW, limit=10) == []
    assert (await reload(later)).status == OutboxStatus.pending


async def test_concurrent_claims_never_share_a_row():
    rows = [await queue() for _ in range(20)]

    batches = await asyncio.gather(*(claim(now=NOW, limit=6) for _ in range(5)))

    ids = [m.id for batch in batches for m in batch]
    assert ids and len(ids) == len(set(ids))  # none twice
    while batch := await claim(now=NOW, limit=6):
        ids += [m.id for m in batch]
    assert sorted(ids) == sorted(m.id for m in rows)  # and in the end every row, once
    assert await OutboxMessage.filter(status=OutboxStatus.sending, attempts=1).count() == 20


async def test_each_outcome_is_recorded_with_the_handlers_result(handlers):
    handlers.on("test.sent", "sent:template")
    handlers.on("test.skipped", "skipped:no_channel")
    handlers.on("test.failed", "failed:43004")
    sent, skipped, failed = await queue("test.sent"), await queue("test.skipped"), await queue("test.failed")

    stats = await deliver_pending(None, now=NOW)

    assert (stats.claimed, stats.sent, stats.skipped, stats.failed) == (3, 1, 1, 1)
    for message, status, result in ((sent, OutboxStatus.sent, "sent:template"),
                                    (skipped, OutboxStatus.skipped, "skipped:no_channel"),
                                    (failed, OutboxStatus.failed, "failed:43004")):
        row = await reload(message)
        assert (row.status, row.result, row.finished_at, row.lease_until) == (status, result, NOW, None)


async def test_a_transient_failure_is_retried_with_backoff_and_given_up_after_the_last_attempt(handlers, caplog):
    handlers.on("test.busy", RetryLater("errcode -1"))
    message = await queue("test.busy")

    await deliver_pending(None, now=NOW)
    row = await reload(message)
    assert (row.status, row.attempts, row.available_at) == (OutboxStatus.pending, 1, NOW + RETRY_DELAYS[0])
    assert row.result == "retry:errcode -1"
    assert (await deliver_pending(None, now=NOW + RETRY_DELAYS[0] - timedelta(seconds=1))).claimed == 0

    clock = NOW
    for attempt in range(2, MAX_ATTEMPTS + 1):
        clock = (await reload(message)).available_at
        with caplog.at_level(logging.INFO, logger="qiyun.outbox"):
            await deliver_pending(None, now=clock)
        row = await reload(message)
        assert row.attempts == attempt
    assert row.status == OutboxStatus.failed
    assert row.result == "failed:gave_up:errcode -1"
    assert any(r.levelno == logging.ERROR and "given up" in r.getMessage() for r in caplog.records)
    assert handlers.calls == [message.id] * MAX_ATTEMPTS
    # the waits grew: 30 s, 2 min, 10 min, 30 min, 2 h
    assert clock - NOW == sum(RETRY_DELAYS[: MAX_ATTEMPTS - 1], timedelta())


async def test_an_unexpected_error_is_logged_and_retried_like_an_outage(handlers, caplog):
    handlers.on("test.bug", ValueError("boom"))
    message = await queue("test.bug")
    with caplog.at_level(logging.ERROR, logger="qiyun.outbox"):
        await deliver_pending(None, now=NOW)
    row = await reload(message)
    assert row.status == OutboxStatus.pending and row.result == "retry:ValueError: boom"
    assert any("outbox handler failed" in r.getMessage() for r in caplog.records)


async def test_a_row_without_a_handler_waits_instead_of_being_dropped():
    message = await queue("test.nobody-handles-this")
    await deliver_pending(None, now=NOW)
    row = await reload(message)
    assert row.status == OutboxStatus.pending
    assert row.result == "retry:no handler for topic test.nobody-handles-this"


async def test_a_handler_that_hangs_counts_as_a_transient_failure(handlers):
    never = asyncio.Event()

    async def hang(message) -> str:
        await never.wait()
        return "sent"

    outbox_handler("test.hang")(lambda message, resources: hang(message))
    handlers.registered.append("test.hang")
    message = await queue("test.hang")
    [claimed] = await claim(now=NOW)

    assert await run_claimed(claimed, None, clock=lambda: NOW, timeout=0.05) == "retry"
    assert (await reload(message)).result == "retry:timeout after 0s"


async def test_a_killed_workers_row_goes_back_to_the_queue_when_its_lease_expires(handlers):
    handlers.on("test.echo", "sent:template")
    message = await queue()
    await claim(now=NOW)  # a worker took it and was killed before writing an outcome

    assert (await deliver_pending(None, now=NOW + timedelta(minutes=1))).claimed == 0  # still leased
    assert await reclaim_expired(now=NOW + LEASE - timedelta(seconds=1)) == 0
    assert await reclaim_expired(now=NOW + LEASE + timedelta(seconds=1)) == 1
    stats = await deliver_pending(None, now=NOW + LEASE + timedelta(seconds=1))

    row = await reload(message)
    assert stats.sent == 1 and row.status == OutboxStatus.sent and row.attempts == 2
    assert handlers.calls == [message.id]


async def test_a_worker_that_overran_its_lease_cannot_overwrite_the_outcome_of_the_next(handlers):
    handlers.on("test.echo", lambda m: f"sent:attempt-{m.attempts}")
    message = await queue()
    [slow] = await claim(now=NOW)
    later = NOW + LEASE + timedelta(seconds=1)
    await reclaim_expired(now=later)
    [fresh] = await claim(now=later)

    assert await run_claimed(slow, None, clock=lambda: later) == "lost"
    assert (await reload(message)).status == OutboxStatus.sending  # untouched
    assert await run_claimed(fresh, None, clock=lambda: later) == "sent"
    assert (await reload(message)).result == "sent:attempt-2"


async def test_a_burst_of_wake_ups_queues_one_delivery_job(redis):
    results = [await enqueue_delivery(redis) for _ in range(5)]
    jobs = [j for j in await ArqRedis(connection_pool=redis.connection_pool).queued_jobs() if j.function == "deliver_outbox"]
    # All five within the same second (or at worst two adjacent seconds): one job per second.
    assert results[0] is True and len(jobs) == results.count(True) <= 2


async def test_a_woken_worker_delivers_the_outbox(settings, redis, handlers):
    handlers.on("test.echo", "sent:by-worker")
    message = await queue(available_at=None)
    await enqueue_delivery(redis)

    worker = Worker(**{**worker_settings(settings, open_database=False), "burst": True, "handle_signals": False,
                       "poll_delay": 0.05})
    try:
        await worker.main()
    finally:
        await worker.close()

    row = await reload(message)
    assert (row.status, row.result) == (OutboxStatus.sent, "sent:by-worker")


async def test_the_sweep_hands_a_dead_workers_rows_on_and_delivers_them(resources, handlers):
    handlers.on("test.echo", "sent:swept")
    message = await queue(available_at=None)
    past = datetime.now(UTC) - timedelta(seconds=5)
    await OutboxMessage.filter(id=message.id).update(status=OutboxStatus.sending, attempts=1, lease_until=past)

    summary = await outbox_sweep({"resources": resources})

    assert summary["reclaimed"] == 1 and summary["sent"] == 1
    assert (await reload(message)).result == "sent:swept"


def test_delivery_and_the_sweep_are_registered_and_the_sweep_runs_once_per_tick(settings):
    options = worker_settings(settings)
    names = {getattr(f, "__name__", getattr(f, "name", None)) for f in options["functions"]}
    assert {"deliver_outbox", "outbox_sweep"} <= names
    crons = {c.name: c for c in options["cron_jobs"]}
    sweep = crons["cron:outbox_sweep"]
    assert sweep.unique is True and sweep.second == {0, 15, 30, 45}


def test_the_appeal_topics_have_handlers():
    assert {"appeal.notify_enterprise", "appeal.notify_handlers", "appeal.notify_staff",
            "appeal.supervision"} <= set(delivery.registered_topics())


async def test_a_committed_appeal_step_wakes_the_delivery_worker(settings, redis):
    from app.appeal import service
    from app.outbox.jobs import notify_hook
    from app.outbox.wake import set_wake_hook
    from tests.appeal.factories import file_appeal, make_cast

    cast = await make_cast()
    appeal = await file_appeal(cast, settings)
    set_wake_hook(notify_hook(redis))  # what the server's start-up listener does
    try:
        await service.accept(appeal_id=appeal.id, staff=cast.dispatcher)
    finally:
        set_wake_hook(None)

    jobs = await ArqRedis(connection_pool=redis.connection_pool).queued_jobs()
    assert [j.function for j in jobs] == ["deliver_outbox"]
    assert await OutboxMessage.filter(topic="appeal.notify_enterprise", status=OutboxStatus.pending).count() == 1
