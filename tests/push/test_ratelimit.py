"""The token bucket and the daily template quota, shared by every worker through Redis."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.push.models import CampaignStatus, PushCampaign
from app.push.ratelimit import BEIJING, QuotaExhausted, SharedRateLimiter, next_quota_reset, quota_day, quota_used
from tests.push.factories import Pusher, make_follower, make_policy, push_settings


def _limiter(redis, **kwargs) -> SharedRateLimiter:
    values = {"appid": "wxratelimit00001", "rate_per_second": 1, "daily_quota": 1000, "chunk": 5}
    values.update(kwargs)
    return SharedRateLimiter(redis, **values)


async def test_tokens_one_worker_took_are_not_available_to_another(redis):
    first, second = _limiter(redis), _limiter(redis)

    granted, _, _ = await first.take(5)
    refused, wait_ms, exhausted = await second.take(5)

    assert granted == 5  # the whole burst (capacity = one chunk at 1/s)
    assert (refused, exhausted) == (0, False) and wait_ms > 0


async def test_separate_accounts_have_separate_buckets(redis):
    granted, _, _ = await _limiter(redis).take(5)
    other, _, _ = await _limiter(redis, appid="wxratelimit00002").take(5)
    assert granted == other == 5


async def test_the_daily_quota_is_shared_and_counted_per_beijing_day(redis):
    first = _limiter(redis, rate_per_second=10_000, daily_quota=7, chunk=5)
    second = _limiter(redis, rate_per_second=10_000, daily_quota=7, chunk=5)

    assert (await first.take(5))[0] == 5
    assert (await second.take(5))[0] == 2  # only what is left of the day's 7
    assert (await second.take(5)) == (0, 0, True)
    assert await quota_used(redis, appid="wxratelimit00001") == 7
    with pytest.raises(QuotaExhausted):
        await first.acquire()


async def test_unused_tokens_are_given_back_to_the_quota(redis):
    limiter = _limiter(redis, rate_per_second=10_000, chunk=50)
    await limiter.acquire()  # takes a chunk of 50, uses one

    await limiter.close()

    assert await quota_used(redis, appid="wxratelimit00001") == 1


def test_the_quota_day_turns_at_beijing_midnight():
    late_utc = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 00:30 on 2 March in Beijing
    assert quota_day(late_utc) == "20260302"
    assert next_quota_reset(late_utc) == datetime(2026, 3, 3, 0, 0, tzinfo=BEIJING)


async def test_a_campaign_pauses_when_the_days_quota_is_spent(db, settings, resources, sim):
    pusher = Pusher(settings=push_settings(settings, template_daily_quota=5), resources=resources)
    try:
        for n in range(8):
            await make_follower(f"oQuota{n:08d}")
        campaign = await pusher.start(await pusher.create({"kind": "everyone"}, policy=await make_policy()))
        result = await pusher.run(campaign)
    finally:
        await pusher.aclose()

    paused = await PushCampaign.get(id=campaign.id)
    assert (result.stop_code, paused.status, paused.pause_code) == ("quota", CampaignStatus.paused, "quota")
    assert "次日" in paused.pause_reason
    assert await sim.template_calls() == 5


async def test_with_two_workers_the_quota_is_spent_exactly_before_the_campaign_pauses(db, settings, resources, sim):
    import asyncio

    pusher = Pusher(settings=push_settings(settings, template_daily_quota=37), resources=resources)
    try:
        for n in range(60):
            await make_follower(f"oQuotaTwo{n:05d}")
        campaign = await pusher.start(await pusher.create({"kind": "everyone"}, policy=await make_policy()))
        first = pusher.runner(campaign, batch_size=10, worker_id="quota-a")
        second = pusher.runner(campaign, batch_size=10, worker_id="quota-b")
        results = await asyncio.gather(first.run(), second.run())
    finally:
        await pusher.aclose()

    assert await sim.template_calls() == 37  # every token of the day used, none twice
    assert "quota" in {r.stop_code for r in results}
    assert (await PushCampaign.get(id=campaign.id)).status == CampaignStatus.paused
