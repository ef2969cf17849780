"""The job worker: the message-log retention cron job, run through a real arq worker."""

from datetime import datetime, timedelta, timezone

from arq import create_pool
from arq.worker import Worker

from app.jobs.worker import worker_settings
from app.messagelog.models import Direction, MessageChannel, MessageLog


async def test_purge_job_deletes_only_entries_past_retention(settings, db, redis):
    now = datetime.now(timezone.utc)
    old = await MessageLog.create(direction=Direction.inbound, channel=MessageChannel.official_account, kind="text", openid="o1")
    recent = await MessageLog.create(direction=Direction.outbound, channel=MessageChannel.official_account, kind="custom", openid="o1")
    await MessageLog.filter(id=old.id).update(created_at=now - timedelta(days=settings.message_log_retention_days + 1))
    await MessageLog.filter(id=recent.id).update(created_at=now - timedelta(days=settings.message_log_retention_days - 1))

    options = worker_settings(settings, open_database=False)
    pool = await create_pool(options["redis_settings"])
    job = await pool.enqueue_job("purge_message_log")
    worker = Worker(**{**options, "burst": True, "handle_signals": False, "poll_delay": 0.05})
    try:
        await worker.main()
    finally:
        await worker.close()
        await pool.aclose()
    assert await job.result(timeout=5) == 1
    assert await MessageLog.filter(id=old.id).exists() is False
    assert await MessageLog.filter(id=recent.id).exists() is True


def test_cron_purge_is_registered_to_run_once_per_tick(settings):
    crons = {c.name: c for c in worker_settings(settings)["cron_jobs"]}
    assert "cron:purge_message_log" in crons
    assert all(c.unique for c in crons.values())  # every cron job runs once per tick across workers
