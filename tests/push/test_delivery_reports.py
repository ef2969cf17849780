"""TEMPLATESENDJOBFINISH: WeChat's final word on each pushed message reaches the ledger."""

from __future__ import annotations

from app.messagelog.models import MessageLog
from app.push import service
from app.push.models import DeliveryReason, DeliveryStatus, PushCampaign, PushDelivery
from tests.push.factories import make_follower, make_policy


async def test_reports_from_wechat_mark_rows_delivered_or_failed_with_the_reason(db, push, sim, server):
    await sim.call("POST", "/_sim/config", json={"callback_url": f"{server}/wechat/callback"})
    reached = await make_follower("oReportOk0001")
    blocking = await make_follower("oReportBlock1")
    await sim.call("POST", "/_sim/followers", json={"openid": blocking.openid, "blocked": True})

    campaign = await push.send({"kind": "everyone"}, policy=await make_policy())
    await sim.call("POST", "/_sim/events/drain")

    rows = {r.openid: r for r in await PushDelivery.filter(campaign_id=campaign.id)}
    assert rows[reached.openid].status == DeliveryStatus.delivered
    assert (rows[blocking.openid].status, rows[blocking.openid].reason) == (
        DeliveryStatus.failed, DeliveryReason.user_block.value
    )
    logged = {e.openid: e.status for e in await MessageLog.filter(related_type="push_campaign")}
    assert logged == {reached.openid: "success", blocking.openid: "failed:user block"}
    progress = await service.campaign_progress(campaign_id=campaign.id)
    assert (progress.delivered, progress.failed) == (1, 1)


async def _sent_row(msgid: int) -> PushDelivery:
    follower = await make_follower()
    campaign = await PushCampaign.create(title="t", template_name="policy_push", audience={})
    return await PushDelivery.create(
        campaign=campaign, follower=follower, openid=follower.openid, status=DeliveryStatus.sent, wechat_msgid=msgid
    )


async def test_a_report_that_arrives_before_the_msgid_is_written_is_applied_afterwards(db, redis):
    assert await service.record_template_finished(msg_id="4242", status="failed: system failed", redis=redis) is False

    row = await _sent_row(4242)  # the worker writes its batch...
    assert await service.apply_pending_finishes(redis=redis, msgids=[4242]) == 1  # ...then applies parked reports

    row = await PushDelivery.get(id=row.id)
    assert (row.status, row.reason) == (DeliveryStatus.failed, DeliveryReason.system_failed.value)
    assert await redis.get("qiyun:push:finished:4242") is None


async def test_a_report_for_a_known_msgid_is_applied_at_once_and_only_to_sent_rows(db, redis):
    row = await _sent_row(5151)

    assert await service.record_template_finished(msg_id="5151", status="success", redis=redis) is True
    assert await service.record_template_finished(msg_id="5151", status="failed:user block", redis=redis) is False

    assert (await PushDelivery.get(id=row.id)).status == DeliveryStatus.delivered
    assert await service.record_template_finished(msg_id="not-a-number", status="success", redis=redis) is False
