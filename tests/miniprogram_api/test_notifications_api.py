"""Push preferences and subscribe-message grants in the mini-program."""

from __future__ import annotations

from app.identity.models import Follower
from app.messagelog.models import MessageChannel
from app.messagelog.service import record_outbound
from app.push.models import PushMute


async def follow(user_id: int, openid: str = "oFollowsToo0001") -> Follower:
    return await Follower.create(openid=openid, user_id=user_id, subscribed=True)


async def test_someone_who_does_not_follow_is_told_to_follow_first(mp) -> None:
    token, _ = await mp.login()
    settings = (await mp.call("GET", "/mp/v1/me/policy-subscriptions", token=token)).json
    assert settings["follows_official_account"] is False and all(t["receiving"] for t in settings["types"])
    reply = await mp.call("PUT", "/mp/v1/me/policy-subscriptions", token=token, json_body={"receive_all": False})
    assert reply.status == 409 and reply.error["code"] == "not_following" and "关注公众号" in reply.error["message"]


async def test_muting_a_support_type_applies_to_the_persons_follower(mp) -> None:
    token, user = await mp.login()
    follower = await follow(user["id"])

    reply = await mp.call("PUT", "/mp/v1/me/policy-subscriptions", token=token, json_body={"types": {"subsidy": False}})
    assert reply.status == 200, reply.text
    by_type = {t["support_type"]: t["receiving"] for t in reply.json["types"]}
    assert by_type["subsidy"] is False and by_type["tax"] is True
    assert await PushMute.filter(follower_id=follower.id).values_list("scope", flat=True) == ["subsidy"]

    muted = await mp.call("PUT", "/mp/v1/me/policy-subscriptions", token=token, json_body={"receive_all": False})
    assert muted.json["all_muted"] is True and not any(t["receiving"] for t in muted.json["types"])
    back = await mp.call("PUT", "/mp/v1/me/policy-subscriptions", token=token, json_body={"receive_all": True})
    assert back.json["all_muted"] is False and all(t["receiving"] for t in back.json["types"])
    assert not await PushMute.filter(follower_id=follower.id).exists()


async def test_unknown_support_types_are_refused(mp) -> None:
    token, user = await mp.login()
    await follow(user["id"])
    reply = await mp.call("PUT", "/mp/v1/me/policy-subscriptions", token=token, json_body={"types": {"lottery": False}})
    assert reply.status == 422 and reply.error["code"] == "validation_failed"


async def test_grants_are_counted_once_per_idempotency_key(mp, server_with) -> None:
    server_with(template_activity_reminder="tmpl-activity-0001")
    token, _ = await mp.login()
    listed = (await mp.call("GET", "/mp/v1/subscribe-templates", token=token)).json["items"]
    assert [(t["name"], t["template_id"]) for t in listed] == [("activity_reminder", "tmpl-activity-0001")]

    body = {"results": {"tmpl-activity-0001": "accept", "errMsg": "requestSubscribeMessage:ok"}}
    first = await mp.call("POST", "/mp/v1/me/subscribe-grants", token=token, json_body=body,
                          headers={"Idempotency-Key": "grant-try-0001"})
    assert first.status == 200, first.text
    retried = await mp.call("POST", "/mp/v1/me/subscribe-grants", token=token, json_body=body,
                            headers={"Idempotency-Key": "grant-try-0001"})
    assert retried.headers.get("Idempotent-Replayed") == "true"
    again = await mp.call("POST", "/mp/v1/me/subscribe-grants", token=token, json_body=body,
                          headers={"Idempotency-Key": "grant-try-0002"})
    balances = {item["template_id"]: item["remaining"] for item in again.json["items"]}
    assert balances["tmpl-activity-0001"] == 2


async def test_my_messages_are_the_notifications_delivered_to_any_of_my_openids(mp) -> None:
    token, user = await mp.login(openid="mp-inbox-0001")
    follower = await follow(user["id"], openid="oa-inbox-0001")
    other_token, other = await mp.login(openid="mp-inbox-0002")

    replied = await record_outbound(
        openid=follower.openid, follower=follower, kind="template", errcode=0, status="success",
        summary="您的诉求已答复", payload={"template": "appeal_replied"}, related_type="appeal", related_id=7,
    )
    reminded = await record_outbound(
        openid="mp-inbox-0001", kind="subscribe", errcode=0, status="sent", summary="活动明天开始",
        payload={"template": "activity_reminder"}, related_type="activity", related_id=3,
        channel=MessageChannel.miniprogram,
    )
    # not notifications, or never delivered, or someone else's
    await record_outbound(openid=follower.openid, follower=follower, kind="passive_reply", summary="找到 3 条政策")
    await record_outbound(openid=follower.openid, follower=follower, kind="template", errcode=43004,
                          status="failed:43004", summary="拒收", payload={"template": "policy_push"})
    await record_outbound(openid=follower.openid, follower=follower, kind="template", errcode=0,
                          status="failed:user block", summary="被拦截", payload={"template": "policy_push"})
    await record_outbound(openid="mp-inbox-0002", kind="subscribe", errcode=0, status="sent", summary="别人的")

    reply = await mp.call("GET", "/mp/v1/me/messages", token=token)
    assert reply.status == 200, reply.text
    items = reply.json["items"]
    assert [m["id"] for m in items] == [reminded.id, replied.id]
    assert items[0] | {"sent_at": None} == {
        "id": reminded.id, "title": "活动开始提醒", "summary": "活动明天开始", "channel": "miniprogram",
        "channel_label": "小程序", "related_type": "activity", "related_id": 3, "sent_at": None, "unread": True,
    }
    assert (items[1]["title"], items[1]["channel_label"], items[1]["related_type"]) == ("诉求答复通知", "公众号", "appeal")

    first = (await mp.call("GET", "/mp/v1/me/messages?limit=1", token=token)).json
    assert [m["id"] for m in first["items"]] == [reminded.id] and first["next_cursor"]
    second = (await mp.call("GET", f"/mp/v1/me/messages?limit=1&cursor={first['next_cursor']}", token=token)).json
    assert [m["id"] for m in second["items"]] == [replied.id] and second["next_cursor"] is None

    theirs = (await mp.call("GET", "/mp/v1/me/messages", token=other_token)).json["items"]
    assert [m["summary"] for m in theirs] == ["别人的"] and other["id"] != user["id"]


async def test_my_messages_need_a_session(mp) -> None:
    reply = await mp.call("GET", "/mp/v1/me/messages")
    assert reply.status == 401 and reply.error["code"] == "unauthenticated"


async def test_messages_are_unread_until_marked_read_and_the_mark_only_moves_forward(mp) -> None:
    token, _ = await mp.login(openid="mp-inbox-0003")
    first, second, third = [
        await record_outbound(openid="mp-inbox-0003", kind="subscribe", errcode=0, status="sent", summary=f"第{n}条",
                              channel=MessageChannel.miniprogram)
        for n in (1, 2, 3)
    ]

    async def unread() -> int:
        reply = await mp.call("GET", "/mp/v1/me/messages/unread-count", token=token)
        assert reply.status == 200, reply.text
        return reply.json["unread"]

    assert await unread() == 3
    marked = await mp.call("POST", "/mp/v1/me/messages/read", token=token, json_body={"up_to_id": second.id})
    assert marked.status == 200 and marked.json == {"unread": 1}
    listed = (await mp.call("GET", "/mp/v1/me/messages", token=token)).json["items"]
    assert [(m["id"], m["unread"]) for m in listed] == [(third.id, True), (second.id, False), (first.id, False)]

    # a late request from an older page does not un-read anything
    late = await mp.call("POST", "/mp/v1/me/messages/read", token=token, json_body={"up_to_id": first.id})
    assert late.json == {"unread": 1}
    everything = await mp.call("POST", "/mp/v1/me/messages/read", token=token, json_body={})
    assert everything.json == {"unread": 0} and await unread() == 0

    newer = await record_outbound(openid="mp-inbox-0003", kind="subscribe", errcode=0, status="sent", summary="新消息",
                                  channel=MessageChannel.miniprogram)
    assert await unread() == 1
    # an id beyond the newest message marks only what exists
    beyond = await mp.call("POST", "/mp/v1/me/messages/read", token=token, json_body={"up_to_id": newer.id + 1000})
    assert beyond.json == {"unread": 0}
    bad = await mp.call("POST", "/mp/v1/me/messages/read", token=token, json_body={"up_to_id": 0})
    assert bad.status == 422 and bad.error["code"] == "validation_failed"
