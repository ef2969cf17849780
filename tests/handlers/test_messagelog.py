"""The message log service the callback writes through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.identity.models import Follower
from app.messagelog.models import MessageLog
from app.messagelog.service import (
    SUMMARY_LIMIT,
    mark_template_finished,
    purge_older_than,
    record_inbound,
    record_outbound,
)


async def test_inbound_and_outbound_entries_carry_their_follower_and_details(db):
    follower = await Follower.create(openid="oLog00000001")
    inbound = await record_inbound(
        openid=follower.openid,
        kind="text",
        follower=follower,
        wechat_msg_id="123",
        summary="你好",
        payload={"Content": "你好"},
    )
    outbound = await record_outbound(
        openid=follower.openid,
        kind="custom",
        follower=follower,
        summary="答复",
        errcode=45015,
        status="failed",
        related_type="appeal",
        related_id=9,
    )
    assert (inbound.direction, inbound.channel, inbound.follower_id) == ("inbound", "official_account", follower.id)
    assert (outbound.direction, outbound.errcode, outbound.status, outbound.related_id) == (
        "outbound",
        45015,
        "failed",
        9,
    )


async def test_long_summaries_are_clipped_not_refused(db):
    entry = await record_inbound(openid="oLog00000001", kind="text", summary="长" * 2000)
    assert len(entry.summary) == SUMMARY_LIMIT and entry.summary.endswith("…")


async def test_a_delivery_report_finds_its_template_message_by_msgid(db):
    sent = await record_outbound(openid="oLog00000001", kind="template", wechat_msg_id="777", status="sent")
    await record_outbound(openid="oLog00000001", kind="custom", wechat_msg_id="777", status="sent")
    updated = await mark_template_finished(msg_id="777", status="success", openid="oLog00000001")
    assert updated is not None and updated.id == sent.id
    assert (await MessageLog.get(id=sent.id)).status == "success"
    assert await mark_template_finished(msg_id="778", status="success") is None


async def test_purge_still_drops_entries_past_retention(db):
    entry = await record_inbound(openid="oLog00000001", kind="text")
    await MessageLog.filter(id=entry.id).update(created_at=datetime.now(UTC) - timedelta(days=200))
    await record_inbound(openid="oLog00000001", kind="text")
    assert await purge_older_than(days=180) == 1
    assert await MessageLog.all().count() == 1
