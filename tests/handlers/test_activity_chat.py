"""Activities in the chat, through the simulator: 活动排片 → a number → 报名 → name → ticket
link; then the activity's WeChat QR code scanned at the door checks the follower in once."""

from __future__ import annotations

import time

import pytest

from app.activity.models import ActivitySignup, SignupStatus
from app.activity.wechat_qr import ensure_checkin_qr
from tests.activity.factories import make_activity, make_manager

pytestmark = pytest.mark.usefixtures("db")


def _reply_text(result: dict) -> str:
    reply = result["reply"] or {}
    return reply.get("Content", "")


async def test_a_follower_signs_up_from_the_menu_and_checks_in_by_scanning(sim, resources, settings):
    staff = await make_manager()
    first = await make_activity(staff=staff, title="知识产权诊断服务日", capacity=5)
    await make_activity(staff=staff, title="创业项目路演", capacity=5)
    openid = "o-chat-activity-1"

    listing = _reply_text(await sim.event(openid, "CLICK", event_key="activity_list"))
    assert "近期活动" in listing and "1. " in listing and "知识产权诊断服务日" in listing

    detail = await sim.say(openid, "1")
    assert "知识产权诊断服务日" in detail and "剩余名额5个" in detail and "回复“报名”" in detail
    assert "参会人姓名" in await sim.say(openid, "报名")
    done = await sim.say(openid, "陈晓")
    assert "报名成功" in done and "/h5/activities/tickets/" in done

    signup = await ActivitySignup.get(activity_id=first.id)
    assert signup.contact_name == "陈晓" and signup.channel == "chat"
    assert signup.ticket_code in done

    activity = await ensure_checkin_qr(activity_id=first.id, wechat=resources.official_account, settings=settings)
    assert activity.qr_ticket and activity.qr_expires_at is not None
    scan = await sim.event(openid, "SCAN", event_key=f"activity:{first.id}", ticket=activity.qr_ticket)
    assert "签到成功" in _reply_text(scan)
    # A second scan a minute later (WeChat de-duplicates events by sender and CreateTime).
    again = await sim.event(openid, "SCAN", event_key=f"activity:{first.id}", ticket=activity.qr_ticket,
                            create_time=int(time.time()) + 60)
    assert "已签到" in _reply_text(again)
    assert (await ActivitySignup.get(id=signup.id)).status == SignupStatus.checked_in

    stranger = await sim.event("o-chat-activity-2", "subscribe", event_key=f"qrscene_activity:{first.id}",
                               ticket=activity.qr_ticket)
    assert "您没有报名" in _reply_text(stranger)


async def test_the_number_must_be_on_the_list_and_nothing_upcoming_says_so(sim):
    openid = "o-chat-activity-3"
    empty = _reply_text(await sim.event(openid, "CLICK", event_key="activity_list"))
    assert "近期暂无可报名的活动" in empty
    await make_activity(title="政策宣讲会")
    listing = await sim.event(openid, "CLICK", event_key="activity_list", create_time=int(time.time()) + 5)
    assert "政策宣讲会" in _reply_text(listing)
    assert "请回复列表中的序号（1-1）" in await sim.say(openid, "7")
