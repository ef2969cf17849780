"""WeChat misbehaving during a campaign and while the outbox delivers notices: system busy
(-1), the daily quota (45009), HTTP 5xx, timeouts (with and without the message having
gone out), and the token endpoint failing.

What must hold every time: each follower gets the message exactly once (the simulator's
per-openid counters, which count what WeChat delivered, not what it was asked), every
ledger row ends with one outcome, transient failures are retried with backoff, the quota
pauses instead of burning retries, and each failure leaves a log line with its errcode.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from app.appeal import service as appeals
from app.messagelog.models import MessageLog
from app.outbox.delivery import deliver_pending
from app.outbox.models import OutboxMessage, OutboxStatus
from app.push import service
from app.push.models import CampaignStatus, DeliveryStatus, PushCampaign, PushDelivery
from tests.push.factories import Pusher, make_follower, make_policy, push_settings

TEMPLATE_API = "/cgi-bin/message/template/send"
TOKEN_API = "/cgi-bin/stable_token"
SHORT_BACKOFF_MS = (50, 100, 200)
"""Real backoff (a retry is due later, not at once), short enough for a test."""


@pytest.fixture
def fault_config(settings):
    # A WeChat call that hangs is given up after 0.5 s (the simulator holds it 1.5 s).
    return push_settings(settings, wechat_api_timeout=0.5, push_concurrency=8)


@pytest.fixture
async def pusher(fault_config, resources):
    pusher = Pusher(settings=fault_config, resources=resources)
    yield pusher
    await pusher.aclose()


async def _campaign(pusher: Pusher, count: int, prefix: str) -> tuple[PushCampaign, list[str]]:
    openids = [f"{prefix}{n:06d}" for n in range(count)]
    for openid in openids:
        await make_follower(openid)
    campaign = await pusher.start(await pusher.create({"kind": "everyone"}, policy=await make_policy()))
    return campaign, openids


async def _ledger(campaign_id: int) -> list[PushDelivery]:
    return await PushDelivery.filter(campaign_id=campaign_id).order_by("id")


def _wechat_lines(caplog, api: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "qiyun.wechat" and getattr(r, "wechat_api", None) == api]


async def test_busy_5xx_and_timeouts_are_retried_with_backoff_and_everyone_gets_it_once(
    db, pusher, simctl, caplog
):
    caplog.set_level(logging.INFO, logger="qiyun")
    await simctl.latency(30)
    await simctl.configure(timeout_hold_s=1.5)
    campaign, openids = await _campaign(pusher, 60, "oFaultMix")
    # Transient trouble in every form, each a few times.
    await simctl.fault(kind="errcode", errcode=-1, times=6)
    await simctl.fault(kind="http", http_status=502, times=4)
    await simctl.fault(kind="timeout", process=True, times=2)  # delivered, answer lost
    await simctl.fault(kind="timeout", times=2)  # not delivered, no answer

    result = await pusher.run(campaign, retry_delays_ms=SHORT_BACKOFF_MS)

    assert result.state == "done", result
    assert await simctl.template_counts() == {openid: 1 for openid in openids}
    rows = await _ledger(campaign.id)
    assert [r.status for r in rows] == [DeliveryStatus.sent] * len(openids)
    assert all(r.wechat_msgid for r in rows)
    # The 14 failures were retries of some rows, each retry a later attempt of the same row.
    retried = [r for r in rows if r.attempts > 1]
    assert 1 <= len(retried) <= 14 and sum(r.attempts - 1 for r in retried) == 14
    # A delivered message whose answer was lost was resent with the same client_msg_id and
    # WeChat (the simulator) de-duplicated it: the ledger has one msgid, the follower one message.
    assert sum(1 for r in rows if r.uncertain) >= 4  # timeouts and 5xx: WeChat may have acted
    sent_logs = await MessageLog.filter(related_type="push_campaign", related_id=campaign.id, status="sent").count()
    assert sent_logs == len(openids)
    assert (await PushCampaign.get(id=campaign.id)).status == CampaignStatus.completed
    # Every failure is a log line naming the API, the errcode or HTTP status, and the outcome.
    lines = _wechat_lines(caplog, TEMPLATE_API)
    assert sum(1 for r in lines if r.errcode == -1) == 6
    assert sum(1 for r in lines if r.http_status == 502) == 4
    assert sum(1 for r in lines if r.outcome == "timeout") == 4
    assert any("errcode=-1" in r.getMessage() for r in lines)


async def test_45009_pauses_the_campaign_until_the_quota_is_back_and_nobody_gets_it_twice(
    db, pusher, simctl, caplog
):
    caplog.set_level(logging.INFO, logger="qiyun")
    await simctl.latency(30)
    campaign, openids = await _campaign(pusher, 40, "oFaultQuota")
    # WeChat's daily quota runs out for good (until cleared, like a day's end).
    await simctl.fault(kind="errcode", errcode=45009, times=None)

    first = await pusher.run(campaign, retry_delays_ms=SHORT_BACKOFF_MS)

    paused = await PushCampaign.get(id=campaign.id)
    assert first.stop_code == "45009" or paused.pause_code == "45009" or paused.status == CampaignStatus.paused
    assert paused.status == CampaignStatus.paused
    assert "45009" in paused.pause_code or "额度" in paused.pause_reason, (paused.pause_code, paused.pause_reason)
    rows = await _ledger(campaign.id)
    # Nothing is failed or lost while paused: every row not sent is back in the queue,
    # and no row was retried hot against the quota (a released row's attempt is not counted).
    assert {r.status for r in rows} <= {DeliveryStatus.queued}
    assert all(r.attempts == 0 for r in rows)
    assert any(r.getMessage() == "push campaign paused" and getattr(r, "code", "") for r in caplog.records)
    assert any(getattr(r, "errcode", None) == 45009 for r in _wechat_lines(caplog, TEMPLATE_API))
    assert await simctl.template_counts() == {}

    # The quota is back (next day): the admin (or the midnight job) resumes, and it finishes.
    await simctl.clear_faults()
    await service.resume_campaign(staff=None, campaign_id=campaign.id, redis=pusher.redis)
    second = await pusher.run(campaign, retry_delays_ms=SHORT_BACKOFF_MS)

    assert second.state == "done"
    assert await simctl.template_counts() == {openid: 1 for openid in openids}
    assert {r.status for r in await _ledger(campaign.id)} == {DeliveryStatus.sent}


async def test_a_failing_token_endpoint_delays_the_campaign_but_loses_nothing(db, pusher, simctl, caplog):
    caplog.set_level(logging.INFO, logger="qiyun")
    campaign, openids = await _campaign(pusher, 30, "oFaultToken")
    # No token cached yet; the token endpoint fails three times in two ways.
    await simctl.fault(api=TOKEN_API, kind="http", http_status=503, times=2)
    await simctl.fault(api=TOKEN_API, kind="errcode", errcode=-1, times=1)

    result = await pusher.run(campaign, retry_delays_ms=SHORT_BACKOFF_MS)

    assert result.state == "done", result
    assert await simctl.template_counts() == {openid: 1 for openid in openids}
    assert {r.status for r in await _ledger(campaign.id)} == {DeliveryStatus.sent}
    token_lines = _wechat_lines(caplog, TOKEN_API)
    assert sum(1 for r in token_lines if r.http_status == 503) == 2
    assert sum(1 for r in token_lines if r.errcode == -1) == 1
    # One token served the whole campaign once the endpoint answered (single-flight).
    assert sum(1 for r in token_lines if r.outcome == "ok") == 1


async def test_outbox_notices_survive_busy_5xx_timeouts_and_the_quota_and_arrive_once(
    db, settings, resources, simctl, caplog
):
    """Appeal notices to the people who filed them, while WeChat fails in every way: each
    notice is retried later (a quota waits an hour), none is lost and none arrives twice."""
    from tests.appeal.factories import file_appeal, make_cast
    from tests.appeal.notify_support import configured, delivered

    caplog.set_level(logging.INFO, logger="qiyun")
    notify = configured(resources, wechat_api_timeout=0.5)
    notify.official_account.http.timeout = 0.5  # the client was built from the unchanged settings
    await simctl.configure(timeout_hold_s=1.5)
    cast = await make_cast()
    appeals_filed = []
    for _ in range(6):
        appeal = await file_appeal(cast, settings)
        await appeals.accept(appeal_id=appeal.id, staff=cast.dispatcher)
        appeals_filed.append(appeal)
    rows = await OutboxMessage.filter(topic="appeal.notify_enterprise").order_by("id")
    assert len(rows) == len(appeals_filed)

    # The client retries -1 / 5xx / timeouts itself (4 attempts); more than that reaches the outbox.
    await simctl.fault(kind="errcode", errcode=-1, times=5)
    await simctl.fault(kind="http", http_status=500, times=4)
    await simctl.fault(kind="timeout", process=True, times=1)
    await simctl.fault(kind="errcode", errcode=45009, times=1)

    now = datetime.now(UTC)
    for _ in range(12):  # each pass: everything due now; then the clock moves past the backoff
        await deliver_pending(notify, now=now)
        pending = await OutboxMessage.filter(topic="appeal.notify_enterprise", status=OutboxStatus.pending)
        if not pending:
            break
        now = max(now, *(row.available_at for row in pending)) + timedelta(seconds=1)

    rows = await OutboxMessage.filter(topic="appeal.notify_enterprise").order_by("id")
    assert [r.status for r in rows] == [OutboxStatus.sent] * len(rows), [(r.status, r.result) for r in rows]
    # One message per notice: WeChat delivered each row's client_msg_id exactly once.
    delivered_ids = sorted(m["payload"].get("client_msg_id") for m in await delivered(simctl, kind="template"))
    assert delivered_ids == sorted(f"outbox-{r.id}" for r in rows)
    # Retried rows carry more than one attempt; the quota one waited (QUOTA_RETRY), not retried hot.
    assert any(r.attempts > 1 for r in rows)
    retry_lines = [r for r in caplog.records if r.getMessage() == "outbox message will be retried"]
    assert any("quota 45009" in getattr(r, "reason", "") for r in retry_lines)
    assert all(getattr(r, "reason", "") for r in retry_lines)  # each retry says why
