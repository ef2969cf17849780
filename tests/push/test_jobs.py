"""The arq side: a real worker sends a started campaign; jobs re-queue and resume as they should."""

from __future__ import annotations

import dataclasses

from arq.connections import ArqRedis
from arq.worker import Worker

from app.jobs.worker import worker_settings
from app.push import service
from app.push.jobs import close_push_client, push_run
from app.push.models import CampaignStatus, PushCampaign
from tests.push.factories import make_follower, make_policy, push_settings


async def _queued(redis, function: str) -> list:
    return [j for j in await ArqRedis(connection_pool=redis.connection_pool).queued_jobs() if j.function == function]


async def test_a_worker_sends_a_started_campaign_to_every_follower_once(db, settings, redis, sim):
    config = push_settings(settings)
    followers = [await make_follower(f"oWorker{n:07d}") for n in range(25)]
    campaign = await service.create_campaign(
        staff=None, title="全员推送", policy_id=(await make_policy()).id, audience={"kind": "everyone"},
        template_name="policy_push", settings=config,
    )
    await service.start_campaign(staff=None, campaign_id=campaign.id, settings=config, redis=redis)

    options = worker_settings(config, open_database=False)
    worker = Worker(**{**options, "burst": True, "handle_signals": False, "poll_delay": 0.05})
    try:
        await worker.main()
    finally:
        await worker.close()

    assert await _counts(sim) == {f.openid: 1 for f in followers}
    assert (await PushCampaign.get(id=campaign.id)).status == CampaignStatus.completed


async def _counts(sim) -> dict[str, int]:
    return await sim.template_counts()


def test_the_push_jobs_and_the_supervising_cron_are_registered(settings):
    options = worker_settings(settings)
    names = {f.__name__ for f in options["functions"]}
    assert {"push_run", "push_start_scheduled", "push_resume_after_quota", "push_supervise"} <= names
    crons = {c.name: c for c in options["cron_jobs"]}
    assert crons["cron:push_supervise"].unique is True


async def test_a_slice_that_ends_with_work_left_queues_its_successor(db, settings, resources, sim, monkeypatch):
    from app.push import jobs

    monkeypatch.setattr(jobs, "SLICE_SECONDS", 0.0)
    config = push_settings(settings)
    for n in range(3):
        await make_follower(f"oSlice{n:08d}")
    campaign = await service.create_campaign(
        staff=None, title="分片", policy_id=(await make_policy()).id, audience={"kind": "everyone"},
        template_name="policy_push", settings=config,
    )
    await service.start_campaign(staff=None, campaign_id=campaign.id, settings=config, redis=resources.redis)
    before = len(await _queued(resources.redis, "push_run"))
    ctx = {"resources": dataclasses.replace(resources, settings=config)}
    try:
        summary = await push_run(ctx, campaign.id)
    finally:
        await close_push_client(ctx)

    assert summary["state"] == "continue"
    assert len(await _queued(resources.redis, "push_run")) == before + 1


async def test_a_quota_pause_queues_the_resume_for_the_next_beijing_midnight(db, settings, resources, sim):
    from app.push.ratelimit import next_quota_reset

    config = push_settings(settings, template_daily_quota=2)
    for n in range(4):
        await make_follower(f"oQuotaJob{n:05d}")
    campaign = await service.create_campaign(
        staff=None, title="额度", policy_id=(await make_policy()).id, audience={"kind": "everyone"},
        template_name="policy_push", settings=config,
    )
    await service.start_campaign(staff=None, campaign_id=campaign.id, settings=config, redis=resources.redis)
    ctx = {"resources": dataclasses.replace(resources, settings=config)}
    try:
        summary = await push_run(ctx, campaign.id)
    finally:
        await close_push_client(ctx)

    assert summary["stop_code"] == "quota"
    (resume,) = await _queued(resources.redis, "push_resume_after_quota")
    assert resume.args == (campaign.id,)
    assert abs(resume.score / 1000 - next_quota_reset().timestamp()) < 5

    # At midnight the job resumes it (only if it is still paused for the quota).
    assert await service.resume_after_quota(campaign_id=campaign.id, redis=resources.redis) is True
    assert (await PushCampaign.get(id=campaign.id)).status == CampaignStatus.running
    assert await service.resume_after_quota(campaign_id=campaign.id, redis=resources.redis) is False
