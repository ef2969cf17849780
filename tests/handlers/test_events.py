"""Follower lifecycle and system events, pushed through the simulator."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from app.identity import followers
from app.identity.models import Follower, WeChatUser
from app.messagelog.models import MessageLog
from app.messagelog.service import record_outbound
from handlers.autoreplies import welcome_text
from tests.identity.factories import make_enterprise

OPENID = "oEvents000001"


async def test_subscribe_records_the_follower_and_welcomes_them(sim, redis):
    reply = (await sim.event(OPENID, "subscribe"))["reply"]["Content"]
    assert reply == await welcome_text(redis=redis)
    assert "回复“绑定”" in reply  # the built-in welcome tells a new follower the first step
    follower = await Follower.get(openid=OPENID)
    assert follower.subscribed and follower.subscribed_at and follower.subscribe_scene == ""


async def test_unsubscribe_stops_pushes_at_once_and_drops_a_flow_in_progress(sim, db):
    await sim.event(OPENID, "subscribe")
    await sim.say(OPENID, "绑定")
    result = await sim.event(OPENID, "unsubscribe")
    assert result["reply_raw"] == "success"
    follower = await Follower.get(openid=OPENID)
    assert not follower.subscribed and follower.unsubscribed_at is not None
    assert not followers.accepts_pushes(follower)

    # A second subscribe in the same second would be WeChat's retry of the first (same de-dup key).
    later = int(time.time()) + 1
    welcome_back = (await sim.event(OPENID, "subscribe", create_time=later))["reply"]["Content"]
    assert welcome_back.startswith("欢迎回来！")
    assert followers.accepts_pushes(await Follower.get(openid=OPENID))
    assert "没有找到" in await sim.say(OPENID, "91350100M000100Y43")  # the old flow is gone


async def test_a_bind_invitation_qr_code_opens_binding_at_the_name(sim, db):
    enterprise = await make_enterprise()
    reply = (await sim.event(OPENID, "subscribe", event_key=f"qrscene_bind:{enterprise.credit_code}"))["reply"]
    assert "欢迎" in reply["Content"] and "请输入该企业法定代表人的姓名" in reply["Content"]
    assert (await Follower.get(openid=OPENID)).subscribe_scene == f"bind:{enterprise.credit_code}"

    scanned = (await sim.event(OPENID, "SCAN", event_key=f"bind:{enterprise.credit_code}"))["reply"]["Content"]
    assert scanned.startswith("绑定企业后") and "请输入该企业法定代表人的姓名" in scanned


async def test_a_damaged_invitation_asks_for_the_credit_code(sim, db):
    reply = (await sim.event(OPENID, "SCAN", event_key="bind:91350100M000100Y44"))["reply"]["Content"]
    assert "请输入企业的统一社会信用代码" in reply


async def test_a_scene_nobody_owns_only_welcomes(sim, redis):
    reply = (await sim.event(OPENID, "subscribe", event_key="qrscene_poster:42"))["reply"]["Content"]
    assert reply == await welcome_text(redis=redis)
    assert (await sim.event(OPENID, "SCAN", event_key="poster:7"))["reply"]["Content"].startswith("扫码成功")


async def test_location_is_kept_on_the_follower_without_a_reply_or_opening_the_window(sim, db):
    await sim.event(OPENID, "subscribe")
    await Follower.filter(openid=OPENID).update(last_interaction_at=datetime(2024, 1, 1, tzinfo=UTC))
    result = await sim.event(OPENID, "LOCATION", latitude=31.2304, longitude=121.4737, precision=30.0)
    assert result["reply_raw"] == "success"
    follower = await Follower.get(openid=OPENID)
    assert follower.last_location["latitude"] == 31.2304 and follower.last_location["longitude"] == 121.4737
    assert follower.last_interaction_at == datetime(2024, 1, 1, tzinfo=UTC)


async def test_every_message_moves_the_48_hour_window(sim, db):
    await sim.event(OPENID, "subscribe")
    old = datetime.now(UTC) - timedelta(days=3)
    await Follower.filter(openid=OPENID).update(last_interaction_at=old)
    assert not followers.in_service_window(await Follower.get(openid=OPENID))
    await sim.push(OPENID, type="image")
    assert followers.in_service_window(await Follower.get(openid=OPENID))


async def test_a_click_on_a_button_without_a_handler_gets_the_generic_pointer(sim, db):
    reply = (await sim.event(OPENID, "CLICK", event_key="retired_button"))["reply"]["Content"]
    assert reply.startswith("「该」功能正在建设中")
    survey = (await sim.event(OPENID, "CLICK", event_key="survey", create_time=int(time.time()) + 1))["reply"]
    assert "功能正在建设中" not in survey["Content"]  # 营商环境评估 is answered by its own handler


async def test_view_events_are_logged_and_not_answered(sim, db):
    result = await sim.event(OPENID, "VIEW", event_key="https://example.invalid/h5/policies")
    assert result["reply_raw"] == "success"
    assert await MessageLog.filter(openid=OPENID, kind="event").count() == 1


async def test_unknown_message_types_get_a_friendly_pointer(sim, db):
    image = (await sim.push(OPENID, type="image"))["reply"]["Content"]
    assert image.startswith("已收到您的图片，目前我只能看懂文字消息哦。")
    novel = (await sim.push(OPENID, type="hologram"))["reply"]["Content"]
    assert novel.startswith("已收到您的消息")


async def test_template_delivery_reports_update_the_logged_message(sim, db):
    entry = await record_outbound(openid=OPENID, kind="template", wechat_msg_id="4242", status="sent")
    await sim.event(OPENID, "TEMPLATESENDJOBFINISH", extra={"MsgID": 4242, "Status": "failed:user block"})
    await entry.refresh_from_db()
    assert entry.status == "failed:user block"


async def test_subscribe_notification_grants_are_recorded_for_the_ledger(sim, db):
    grant = {"TemplateId": "tpl_policy", "SubscribeStatusString": "accept", "PopupScene": "2"}
    await sim.event(OPENID, "subscribe_msg_popup_event", extra={"SubscribeMsgPopupEvent": {"List": grant}})
    await sim.event(
        OPENID,
        "subscribe_msg_change_event",
        extra={"SubscribeMsgChangeEvent": {"List": {"TemplateId": "tpl_policy", "SubscribeStatusString": "reject"}}},
    )
    entries = await MessageLog.filter(openid=OPENID, kind="event").order_by("id")
    assert entries[0].payload["grants"] == [grant]
    assert entries[1].payload["grants"] == [{"TemplateId": "tpl_policy", "SubscribeStatusString": "reject"}]


async def test_inbound_and_outbound_messages_are_logged_with_their_follower(sim, db):
    await sim.say(OPENID, "帮助")
    follower = await Follower.get(openid=OPENID)
    inbound, outbound = await MessageLog.filter(openid=OPENID).order_by("id")
    assert (inbound.direction, inbound.kind, inbound.summary, inbound.follower_id) == (
        "inbound",
        "text",
        "帮助",
        follower.id,
    )
    assert inbound.wechat_msg_id and inbound.payload["Content"] == "帮助"
    assert (outbound.direction, outbound.kind, outbound.follower_id) == ("outbound", "passive_reply", follower.id)
    assert outbound.summary.startswith("您可以这样使用企业服务云")


# -- the follower service itself ------------------------------------------------------


async def test_a_follower_gets_one_person_and_joins_the_person_with_their_unionid(db):
    follower = await Follower.create(openid=OPENID)
    user = await followers.ensure_user(follower=follower)
    assert await followers.ensure_user(follower=follower) == user
    assert (await Follower.get(openid=OPENID)).user_id == user.id

    existing = await WeChatUser.create(unionid="uUnion0001")
    other = await Follower.create(openid="oEvents000002", unionid="uUnion0001")
    assert (await followers.ensure_user(follower=other)).id == existing.id


async def test_a_web_visitor_who_never_followed_is_not_pushed_to(db):
    visitor = await followers.web_visitor(openid="oVisitor0001")
    assert not followers.accepts_pushes(visitor)
    await Follower.create(openid="oFollower002")
    assert followers.accepts_pushes(await followers.web_visitor(openid="oFollower002"))
