"""Sending a campaign through the simulator: exactly once per follower, under concurrency,
after a killed worker, and whatever WeChat answers."""

from __future__ import annotations

import asyncio

from app.enterprise.reference import District, SizeClass
from app.identity.models import Follower
from app.messagelog.models import MessageLog
from app.policy.models import SupportType
from app.push import ledger, service
from app.push.models import (
    CampaignStatus,
    DeliveryReason,
    DeliveryStatus,
    PushCampaign,
    PushDelivery,
    PushMute,
)
from app.push.sender import LEASE_MS, SAFE_RESEND_WINDOW_MS, client_msg_id
from tests.push.factories import bound_follower, make_enterprise, make_follower, make_policy, push_settings


async def _everyone(count: int, prefix: str = "oSend") -> list[Follower]:
    return [await make_follower(f"{prefix}{n:08d}") for n in range(count)]


async def _statuses(campaign: PushCampaign) -> dict[str, int]:
    out: dict[str, int] = {}
    for status in await PushDelivery.filter(campaign_id=campaign.id).values_list("status", flat=True):
        key = DeliveryStatus(status).value
        out[key] = out.get(key, 0) + 1
    return out


async def test_a_policy_reaches_exactly_the_bound_followers_it_targets(db, push, sim):
    pudong_small = [await make_enterprise(district=District.pudong, size_class=SizeClass.small) for _ in range(3)]
    targeted = [await bound_follower(e) for e in pudong_small]
    other = await bound_follower(await make_enterprise(district=District.xuhui))
    policy = await make_policy(targeting={"districts": ["310115"], "size_classes": ["small"]})

    campaign = await push.send({"kind": "policy_match"}, policy=policy)

    assert campaign.status == CampaignStatus.completed and campaign.total == 3
    assert await sim.template_counts() == {f.openid: 1 for f in targeted}
    assert other.openid not in await sim.template_counts()
    rows = await PushDelivery.filter(campaign_id=campaign.id)
    assert {r.status for r in rows} == {DeliveryStatus.sent} and all(r.wechat_msgid for r in rows)
    logged = await MessageLog.filter(related_type="push_campaign", related_id=campaign.id)
    assert sorted(e.wechat_msg_id for e in logged) == sorted(str(r.wechat_msgid) for r in rows)
    record = (await sim.records(api="/cgi-bin/message/template/send", openid=targeted[0].openid))[0]
    row = next(r for r in rows if r.openid == targeted[0].openid)
    assert record["json"]["client_msg_id"] == client_msg_id(row.id)
    assert record["json"]["url"].endswith(f"/h5/policies/{policy.id}")


async def test_two_workers_share_a_campaign_and_nobody_gets_it_twice(db, push, sim):
    await _everyone(120)
    policy = await make_policy()
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=policy))

    first = push.runner(campaign, batch_size=10, worker_id="worker-a")
    second = push.runner(campaign, batch_size=10, worker_id="worker-b")
    await asyncio.gather(first.run(), second.run())

    counts = await sim.template_counts()
    assert len(counts) == 120 and set(counts.values()) == {1}
    assert first.stats.sent > 0 and second.stats.sent > 0
    assert first.stats.sent + second.stats.sent == 120
    assert (await PushCampaign.get(id=campaign.id)).status == CampaignStatus.completed


async def _abandoned_worker(push, campaign: PushCampaign, *, claim: int, send: int) -> list[ledger.Claimed]:
    """A worker that claims a batch, sends part of it, and dies before writing anything."""
    rows = await ledger.claim(
        campaign_id=campaign.id, worker="killed-worker", limit=claim, lease_ms=LEASE_MS, now=ledger.now_ms()
    )
    message = (await PushCampaign.get(id=campaign.id)).message
    client = push._client()
    for row in rows[:send]:
        await client.message.send_template(
            row.openid, message["template_id"], message["data"], url=message["url"], client_msg_id=client_msg_id(row.id)
        )
    return rows


async def test_a_killed_workers_rows_are_delivered_once_by_the_next_worker(db, push, sim):
    await _everyone(40)
    policy = await make_policy()
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=policy))
    held = await _abandoned_worker(push, campaign, claim=20, send=10)
    sent_before = {r.openid: r for r in held[:10]}
    first_msgids = {
        r["openid"]: r for r in await sim.records(api="/cgi-bin/message/template/send")
    }

    # The next worker comes after the dead one's lease ran out (its clock is ahead by the lease).
    later = ledger.now_ms() + LEASE_MS + 1_000
    runner = push.runner(campaign, clock=lambda: later, worker_id="next-worker")
    await runner.run()

    counts = await sim.template_counts()
    assert len(counts) == 40 and set(counts.values()) == {1}  # every follower once, none twice
    rows = {r.openid: r for r in await PushDelivery.filter(campaign_id=campaign.id)}
    assert {r.status for r in rows.values()} == {DeliveryStatus.sent}
    assert all(rows[o].uncertain for o in sent_before)
    # WeChat answered the repeats with the msgids of the messages the dead worker sent.
    messages = {m["openid"]: m["msgid"] for m in (await sim.call("GET", "/_sim/messages"))["messages"]}
    assert all(rows[o].wechat_msgid == messages[o] for o in rows)
    assert first_msgids  # the dead worker's sends reached WeChat


async def test_rows_in_doubt_past_the_dedup_window_are_not_resent(db, push, sim):
    """At most once: after WeChat's 10-minute client_msg_id window a resend could duplicate, so a
    row the dead worker held is failed as `unknown_outcome` rather than sent again."""
    await _everyone(12)
    policy = await make_policy()
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=policy))
    held = await _abandoned_worker(push, campaign, claim=6, send=3)

    much_later = ledger.now_ms() + SAFE_RESEND_WINDOW_MS + 60_000
    await push.run(campaign, clock=lambda: much_later)

    counts = await sim.template_counts()
    assert set(counts.values()) == {1} and len(counts) == 3 + 6  # the dead worker's 3 and the 6 never claimed
    for row in held:
        stored = await PushDelivery.get(id=row.id)
        assert (stored.status, stored.reason) == (DeliveryStatus.failed, DeliveryReason.unknown_outcome.value)


async def test_45009_pauses_the_campaign_with_the_reason_and_resume_finishes_it(db, push, sim):
    followers = await _everyone(10)
    policy = await make_policy()
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=policy))
    await sim.fault(kind="errcode", errcode=45009, times=1)

    await push.run(campaign)

    paused = await PushCampaign.get(id=campaign.id)
    assert paused.status == CampaignStatus.paused and paused.pause_code == "45009"
    assert "45009" in paused.pause_reason
    statuses = await _statuses(campaign)
    assert "sending" not in statuses and statuses.get("queued", 0) >= 1

    await service.resume_campaign(staff=None, campaign_id=campaign.id, redis=push.redis)
    await push.run(campaign)

    assert await sim.template_counts() == {f.openid: 1 for f in followers}
    assert (await PushCampaign.get(id=campaign.id)).status == CampaignStatus.completed


async def test_43004_fails_the_row_and_marks_the_follower_without_retrying(db, push, sim):
    gone, stays = await make_follower("oLeftAccount1"), await make_follower("oStillHere001")
    await sim.call("POST", "/_sim/followers", json={"openid": gone.openid, "subscribed": False})
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=await make_policy()))

    await push.run(campaign)

    row = await PushDelivery.get(campaign_id=campaign.id, follower_id=gone.id)
    assert (row.status, row.reason, row.errcode, row.attempts) == (
        DeliveryStatus.failed, DeliveryReason.not_follower.value, 43004, 1
    )
    left = await Follower.get(id=gone.id)
    assert (left.unreachable_reason, left.subscribed) == ("43004", False)
    assert len(await sim.records(api="/cgi-bin/message/template/send", openid=gone.openid)) == 1
    assert await sim.template_counts() == {stays.openid: 1}


async def test_40003_fails_the_row_and_marks_the_openid_unreachable(db, push, sim):
    (follower,) = await _everyone(1)
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=await make_policy()))
    await sim.fault(kind="errcode", errcode=40003, times=1)

    await push.run(campaign)

    row = await PushDelivery.get(campaign_id=campaign.id)
    assert (row.status, row.reason) == (DeliveryStatus.failed, DeliveryReason.invalid_openid.value)
    assert (await Follower.get(id=follower.id)).unreachable_reason == "40003"
    assert await sim.template_calls() == 1


async def test_system_busy_is_retried_and_then_delivered_once(db, push, sim):
    followers = await _everyone(5)
    policy = await make_policy()
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=policy))
    await sim.fault(kind="errcode", errcode=-1, times=3)
    await sim.fault(kind="http", http_status=502, times=1)

    await push.run(campaign)

    assert await sim.template_counts() == {f.openid: 1 for f in followers}
    retried = await PushDelivery.filter(campaign_id=campaign.id, attempts__gt=1).count()
    assert retried >= 1
    assert await sim.template_calls() == 5 + 4


async def test_a_send_that_keeps_failing_stops_after_the_bounded_attempts(db, push, sim):
    (follower,) = await _everyone(1)
    policy = await make_policy()
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=policy))
    await sim.fault(kind="errcode", errcode=-1, times=None)

    await push.run(campaign)

    row = await PushDelivery.get(campaign_id=campaign.id)
    assert (row.status, row.reason, row.attempts, row.errcode) == (
        DeliveryStatus.failed, DeliveryReason.retries_exhausted.value, 4, -1
    )
    assert await sim.template_calls() == 4
    assert (await PushCampaign.get(id=campaign.id)).status == CampaignStatus.completed


async def test_a_lost_answer_is_resent_with_the_same_client_msg_id_and_delivered_once(db, push_config, resources, sim):
    """Timeout after WeChat processed the send: the retry is de-duplicated by WeChat."""
    from tests.push.factories import Pusher

    quick = Pusher(settings=push_settings(push_config, wechat_api_timeout=0.5), resources=resources)
    try:
        await sim.call("POST", "/_sim/config", json={"timeout_hold_s": 1.0})
        (follower,) = await _everyone(1)
        policy = await make_policy()
        campaign = await quick.start(await quick.create({"kind": "everyone"}, policy=policy))
        await sim.fault(kind="timeout", times=1, process=True)

        await quick.run(campaign)
    finally:
        await quick.aclose()

    assert await sim.template_counts() == {follower.openid: 1}
    row = await PushDelivery.get(campaign_id=campaign.id)
    assert row.status == DeliveryStatus.sent and row.uncertain and row.attempts == 2
    (delivered,) = (await sim.call("GET", "/_sim/messages"))["messages"]
    assert row.wechat_msgid == delivered["msgid"]


async def test_an_invalid_token_is_refreshed_and_the_send_goes_through(db, push, sim):
    followers = await _everyone(3)
    policy = await make_policy()
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=policy))
    await push._client().tokens.get_token()
    await sim.fault(kind="invalidate_token", times=1)

    await push.run(campaign)

    assert await sim.template_counts() == {f.openid: 1 for f in followers}
    stats = await sim.call("GET", "/_sim/stats", params={"summary": "1"})
    assert sum(stats["token_fetches"].values()) == 2


async def test_a_template_wechat_rejects_pauses_the_campaign(db, push, sim):
    await _everyone(3)
    await sim.call("POST", "/_sim/invalid_templates", json={"template_ids": [push.settings.template_policy_push]})
    policy = await make_policy()
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=policy))

    await push.run(campaign)

    paused = await PushCampaign.get(id=campaign.id)
    assert (paused.status, paused.pause_code) == (CampaignStatus.paused, "template")
    assert await sim.template_counts() == {}


async def test_an_expired_policy_is_never_pushed(db, push, sim):
    from datetime import timedelta

    from app.policy.service import shanghai_today

    await _everyone(3)
    expired = await make_policy(expiry_date=shanghai_today() - timedelta(days=1))
    try:
        await push.create({"kind": "everyone"}, policy=expired)
    except service.PushError as exc:
        assert "过期" in str(exc)
    else:
        raise AssertionError("a campaign for an expired policy was accepted")

    policy = await make_policy()
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=policy))
    await policy.__class__.filter(id=policy.id).update(expiry_date=shanghai_today() - timedelta(days=1))

    await push.run(campaign)

    assert await sim.template_calls() == 0
    stopped = await PushCampaign.get(id=campaign.id)
    assert stopped.status == CampaignStatus.cancelled and stopped.pause_code == "policy_not_pushable"
    assert await _statuses(campaign) == {"skipped": 3}


async def test_followers_who_muted_the_support_type_are_skipped_even_after_the_start(db, push, sim):
    subsidy_muted, all_muted, tax_muted, keen = await _everyone(4)
    policy = await make_policy(support_type=SupportType.subsidy)
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=policy))
    await service.mute_support_type(follower=subsidy_muted, support_type=SupportType.subsidy)
    await service.mute_support_type(follower=all_muted, support_type=None)
    await service.mute_support_type(follower=tax_muted, support_type=SupportType.tax)

    await push.run(campaign)

    assert await sim.template_counts() == {tax_muted.openid: 1, keen.openid: 1}
    skipped = await PushDelivery.filter(campaign_id=campaign.id, status=DeliveryStatus.skipped)
    assert {r.openid for r in skipped} == {subsidy_muted.openid, all_muted.openid}
    assert {r.reason for r in skipped} == {DeliveryReason.muted.value}


async def test_the_weekly_frequency_cap_skips_followers_who_had_enough(db, push_config, resources, sim):
    from tests.push.factories import Pusher

    pusher = Pusher(settings=push_settings(push_config, push_frequency_cap_per_week=1), resources=resources)
    try:
        busy, fresh = await _everyone(2)
        first = await pusher.send({"kind": "test_list", "openids": [busy.openid]}, policy=await make_policy())
        assert first.frequency_capped is False  # test lists do not count...
        await pusher.send({"kind": "everyone"}, policy=await make_policy())  # ...this one does
        third = await pusher.send({"kind": "everyone"}, policy=await make_policy())
        test_again = await pusher.send({"kind": "test_list", "openids": [busy.openid]}, policy=await make_policy())
    finally:
        await pusher.aclose()

    rows = await PushDelivery.filter(campaign_id=third.id)
    assert {(r.openid, r.status, r.reason) for r in rows} == {
        (busy.openid, DeliveryStatus.skipped, DeliveryReason.frequency_cap.value),
        (fresh.openid, DeliveryStatus.skipped, DeliveryReason.frequency_cap.value),
    }
    assert (await PushDelivery.get(campaign_id=test_again.id)).status == DeliveryStatus.sent
    assert await sim.template_counts() == {busy.openid: 3, fresh.openid: 1}


async def test_unsubscribed_followers_are_skipped(db, push, sim):
    leaving, staying = await _everyone(2)
    campaign = await push.start(await push.create({"kind": "everyone"}, policy=await make_policy()))
    await Follower.filter(id=leaving.id).update(subscribed=False)

    await push.run(campaign)

    assert await sim.template_counts() == {staying.openid: 1}
    row = await PushDelivery.get(campaign_id=campaign.id, follower_id=leaving.id)
    assert (row.status, row.reason) == (DeliveryStatus.skipped, DeliveryReason.unsubscribed.value)


async def test_mutes_are_kept_per_type_and_undone_by_unmute(db):
    follower = await make_follower()
    state = await service.mute_support_type(follower=follower, support_type=SupportType.subsidy)
    assert state.muted == [SupportType.subsidy] and not state.all_muted

    state = await service.mute_support_type(follower=follower, support_type=None)
    assert state.all_muted and state.receiving == []
    state = await service.unmute_support_type(follower=follower, support_type=SupportType.tax)
    assert state.receiving == [SupportType.tax] and not state.all_muted

    state = await service.unmute_support_type(follower=follower, support_type=None)
    assert state.muted == [] and await PushMute.filter(follower_id=follower.id).count() == 0


async def test_a_second_campaign_for_the_same_policy_reaches_only_those_who_did_not_get_it(db, push, sim):
    first_wave = [await make_follower(f"oFirstWave0{n}") for n in range(3)]
    policy = await make_policy()
    await push.send({"kind": "test_list", "openids": [f.openid for f in first_wave[:2]]}, policy=policy)
    newcomer = await make_follower("oNewcomer0001")

    preview = await service.preview_campaign(
        policy_id=policy.id, audience={"kind": "everyone"}, template_name="policy_push", settings=push.settings
    )
    campaign = await push.send({"kind": "everyone"}, policy=policy)
    other_policy = await push.send({"kind": "everyone"}, policy=await make_policy(title="另一项政策"))

    assert (preview.count, preview.already_received, preview.will_send) == (4, 2, 2)
    assert any("已收到过该政策" in warning for warning in preview.warnings)
    rows = {row.openid: (row.status, row.reason) for row in await PushDelivery.filter(campaign_id=campaign.id)}
    assert rows == {
        first_wave[0].openid: (DeliveryStatus.skipped, DeliveryReason.already_received.value),
        first_wave[1].openid: (DeliveryStatus.skipped, DeliveryReason.already_received.value),
        first_wave[2].openid: (DeliveryStatus.sent, ""),
        newcomer.openid: (DeliveryStatus.sent, ""),
    }
    assert await PushDelivery.filter(campaign_id=other_policy.id, status=DeliveryStatus.sent).count() == 4
    assert await sim.template_counts() == {
        first_wave[0].openid: 2, first_wave[1].openid: 2, first_wave[2].openid: 2, newcomer.openid: 2
    }


async def test_a_test_list_always_sends_even_to_someone_who_received_the_policy(db, push, sim):
    follower = await make_follower("oTesterOnce01")
    policy = await make_policy()
    await push.send({"kind": "everyone"}, policy=policy)

    again = await push.send({"kind": "test_list", "openids": [follower.openid]}, policy=policy)

    assert await PushDelivery.filter(campaign_id=again.id, status=DeliveryStatus.sent).count() == 1
    assert await sim.template_counts() == {follower.openid: 2}
