"""Pause, resume, cancel, scheduling, the supervising cron and the live progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from arq.connections import ArqRedis

from app.policy.models import PolicyStatus
from app.push import ledger, service
from app.push.models import CampaignStatus, DeliveryReason, DeliveryStatus, PushCampaign, PushDelivery
from app.push.sender import live_runners_key
from tests.push.factories import make_follower, make_policy


async def _followers(count: int) -> list:
    return [await make_follower(f"oLife{n:08d}") for n in range(count)]


async def _queued_jobs(redis, function: str) -> list:
    jobs = await ArqRedis(connection_pool=redis.connection_pool).queued_jobs()
    return [job for job in jobs if job.function == function]


class PausingClient:
    """The WeChat client, with staff pressing 暂停 right after the N-th message went out."""

    def __init__(self, inner, *, after: int, campaign_id: int) -> None:
        self.inner, self.after, self.campaign_id, self.sent = inner, after, campaign_id, 0
        self.message = self

    async def send_template(self, *args, **kwargs):
        msgid = await self.inner.message.send_template(*args, **kwargs)
        self.sent += 1
        if self.sent == self.after:
            await service.pause_campaign(staff=None, campaign_id=self.campaign_id, reason="内容需要修改")
        return msgid


async def test_pause_stops_the_workers_and_resume_sends_the_rest_once(db, push, sim):
    followers = await _followers(100)
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=await make_policy()))
    await sim.call("POST", "/_sim/latency", json={"ms": 20})
    pausing = PausingClient(push._client(), after=10, campaign_id=campaign.id)

    result = await push.run(campaign, wechat=pausing, watch_interval_s=0.02)

    paused = await PushCampaign.get(id=campaign.id)
    assert result.state == "stopped"
    assert (paused.status, paused.pause_code) == (CampaignStatus.paused, "staff")
    assert "内容需要修改" in paused.pause_reason
    progress = await service.campaign_progress(campaign_id=campaign.id)
    assert progress.sending == 0 and progress.queued > 0 and progress.sent + progress.queued == 100
    assert progress.actions == ["resume", "cancel"]

    await service.resume_campaign(staff=None, campaign_id=campaign.id, redis=push.redis)
    await push.run(campaign)

    assert await sim.template_counts() == {f.openid: 1 for f in followers}
    assert (await PushCampaign.get(id=campaign.id)).status == CampaignStatus.completed


async def test_a_paused_campaign_sends_nothing(db, push, sim):
    await _followers(3)
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=await make_policy()))
    await service.pause_campaign(staff=None, campaign_id=campaign.id)

    result = await push.run(campaign)

    assert result.state == "stopped" and await sim.template_calls() == 0


async def test_cancel_skips_what_was_not_sent_and_cannot_be_undone(db, push, sim):
    await _followers(5)
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=await make_policy()))

    await service.cancel_campaign(staff=None, campaign_id=campaign.id, reason="发错了")
    await push.run(campaign)

    assert await sim.template_calls() == 0
    rows = await PushDelivery.filter(campaign_id=campaign.id)
    assert {(r.status, r.reason) for r in rows} == {(DeliveryStatus.skipped, DeliveryReason.cancelled.value)}
    with pytest.raises(service.PushError, match="已取消"):
        await service.resume_campaign(staff=None, campaign_id=campaign.id, redis=push.redis)


async def test_a_campaign_starts_once(db, push):
    await _followers(2)
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=await make_policy()))

    with pytest.raises(service.PushError, match="发送中"):
        await push.start(campaign)
    assert await PushDelivery.filter(campaign_id=campaign.id).count() == 2
    assert len(await _queued_jobs(push.redis, "push_run")) == 2


async def test_a_staff_member_without_the_permission_cannot_push(db, push):
    from tests.admin.support import seed_accounts

    handler = (await seed_accounts())["keji"]  # a department handler
    with pytest.raises(service.PushError, match="无权"):
        await service.create_campaign(
            staff=handler, title="t", policy_id=None, audience={"kind": "everyone"},
            template_name="policy_push", settings=push.settings,
        )


async def test_a_scheduled_campaign_starts_when_due(db, push, sim):
    followers = await _followers(3)
    soon = datetime.now(UTC) + timedelta(hours=1)
    campaign = await push.create({"kind": "everyone"}, policy=await make_policy(), scheduled_at=soon, redis=push.redis)

    assert campaign.status == CampaignStatus.scheduled
    assert [j.args for j in await _queued_jobs(push.redis, "push_start_scheduled")] == [(campaign.id,)]
    assert await service.start_due_campaign(campaign_id=campaign.id, settings=push.settings, redis=push.redis) == "not_due"

    await PushCampaign.filter(id=campaign.id).update(scheduled_at=datetime.now(UTC) - timedelta(seconds=1))
    report = await service.supervise(settings=push.settings, redis=push.redis)
    await push.run(campaign)

    assert report["started"] == 1
    assert await sim.template_counts() == {f.openid: 1 for f in followers}


async def test_a_scheduled_campaign_whose_policy_expired_is_cancelled_unsent(db, push, sim):
    await _followers(2)
    policy = await make_policy()
    soon = datetime.now(UTC) + timedelta(hours=1)
    campaign = await push.create({"kind": "everyone"}, policy=policy, scheduled_at=soon)
    await policy.__class__.filter(id=policy.id).update(status=PolicyStatus.expired)
    await PushCampaign.filter(id=campaign.id).update(scheduled_at=datetime.now(UTC) - timedelta(seconds=1))

    assert await service.start_due_campaign(campaign_id=campaign.id, settings=push.settings, redis=push.redis) == "cancelled"

    cancelled = await PushCampaign.get(id=campaign.id)
    assert (cancelled.status, cancelled.pause_code) == (CampaignStatus.cancelled, "policy_not_pushable")
    assert await PushDelivery.filter(campaign_id=campaign.id).count() == 0
    assert await sim.template_calls() == 0


async def test_scheduling_in_the_past_is_refused(db, push):
    with pytest.raises(service.PushError, match="晚于现在"):
        await push.create(
            {"kind": "everyone"}, policy=await make_policy(), scheduled_at=datetime.now(UTC) - timedelta(minutes=1)
        )


async def test_supervise_gives_an_orphaned_campaign_a_runner_and_requeues_dead_claims(db, push):
    await _followers(4)
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=await make_policy()))
    await push.redis.flushdb()  # the start's jobs were lost with their worker

    await push.redis.zadd(live_runners_key(campaign.id), {"alive-worker": ledger.now_ms() + 60_000})
    assert (await service.supervise(settings=push.settings, redis=push.redis))["revived"] == 0

    await push.redis.delete(live_runners_key(campaign.id))
    assert (await service.supervise(settings=push.settings, redis=push.redis))["revived"] == 1
    assert len(await _queued_jobs(push.redis, "push_run")) == 2

    # A paused campaign's rows held by a dead worker go back to the queue, flagged uncertain.
    await ledger.claim(campaign_id=campaign.id, worker="dead", limit=2, lease_ms=-1, now=ledger.now_ms())
    await service.pause_campaign(staff=None, campaign_id=campaign.id)
    assert (await service.supervise(settings=push.settings, redis=push.redis))["settled"] == 2
    assert await PushDelivery.filter(campaign_id=campaign.id, status=DeliveryStatus.queued, uncertain=True).count() == 2


async def test_progress_counts_by_status_and_failures_by_reason(db, push, sim):
    followers = await _followers(6)
    await service.mute_support_type(follower=followers[0], support_type=None)
    await sim.call("POST", "/_sim/followers", json={"openid": followers[1].openid, "subscribed": False})
    campaign = await push.send({"kind": "everyone"}, policy=await make_policy())

    progress = await service.campaign_progress(campaign_id=campaign.id, redis=push.redis)

    assert (progress.total, progress.sent, progress.failed, progress.skipped, progress.queued) == (6, 4, 1, 1, 0)
    assert progress.status is CampaignStatus.completed and progress.percent == 100.0
    assert {(f.reason, f.count) for f in progress.failures} == {("not_follower", 1), ("muted", 1)}
    assert all(f.label for f in progress.failures)
    assert progress.rate_per_second > 0
    failures = await service.campaign_failures(campaign_id=campaign.id, reason="not_follower")
    assert [r.openid for r in failures] == [followers[1].openid]
