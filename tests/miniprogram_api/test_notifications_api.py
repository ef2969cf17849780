"""Push preferences and subscribe-message grants in the mini-program."""

from __future__ import annotations

from app.identity.models import Follower
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
