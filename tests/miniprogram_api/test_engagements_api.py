"""Engagements and ratings over the mini-program API, as the mini-program uses them: an
enterprise engages a product, the provider desk accepts and delivers, the enterprise
confirms and rates; the rules hold under concurrent requests."""

from __future__ import annotations

import asyncio

from app.engagement.models import Engagement, EngagementStatus, ProviderRating
from app.identity.models import EnterpriseBinding, WeChatUser
from app.provider.models import MemberRole, ProviderMember, ProviderStatus
from tests.engagement.factories import make_cast

RATING = {"overall": 5, "dimensions": {"专业能力": 5, "响应速度": 4, "服务态度": 5, "收费合理": 4},
          "comment": "辅导很专业，材料一次通过。"}


async def people(mp):
    """The cast, with the enterprise user and the provider member signed in to the mini-program."""
    cast = await make_cast()
    token, me = await mp.login()
    await EnterpriseBinding.create(user_id=me["id"], enterprise=cast.enterprise, role="contact", verified_by="test")
    desk, member = await mp.login()
    await ProviderMember.create(provider=cast.provider, user_id=member["id"], role=MemberRole.agent)
    return cast, token, desk


async def post(mp, path, token, body=None, key=None):
    return await mp.call("POST", path, token=token, json_body=body if body is not None else {},
                         headers={"Idempotency-Key": key} if key else None)


async def test_engage_accept_deliver_confirm_and_rate(mp, settings) -> None:
    cast, token, desk = await people(mp)
    created = await post(mp, "/mp/v1/engagements", token,
                         {"product_id": cast.product.id, "enterprise_id": cast.enterprise.id, "note": "年内申报"}, key="k1")
    assert created.status == 201, created.text
    engagement_id = created.json["summary"]["id"]
    assert created.json["summary"]["status"] == "requested"
    assert [a["action"] for a in created.json["actions"]] == ["cancel"]
    again = await post(mp, "/mp/v1/engagements", token,
                       {"product_id": cast.product.id, "enterprise_id": cast.enterprise.id, "note": "年内申报"}, key="k1")
    assert again.status == 201 and again.json == created.json  # the first answer, replayed

    listed = await mp.call("GET", f"/mp/v1/me/providers/{cast.provider.id}/engagements?status=requested", token=desk)
    assert [i["id"] for i in listed.json["items"]] == [engagement_id]
    assert (await mp.call("GET", f"/mp/v1/me/providers/{cast.provider.id}/engagements", token=token)).status == 403

    early = await post(mp, f"/mp/v1/engagements/{engagement_id}/rating", token, RATING)
    assert early.status == 400 and early.error["code"] == "not_completed"
    assert (await post(mp, f"/mp/v1/engagements/{engagement_id}/accept", token)).status == 403  # not a member
    accepted = await post(mp, f"/mp/v1/engagements/{engagement_id}/accept", desk)
    assert accepted.status == 200 and accepted.json["summary"]["status"] == "accepted"
    no_note = await post(mp, f"/mp/v1/engagements/{engagement_id}/deliver", desk, {"note": " "})
    assert no_note.status == 422
    delivered = await post(mp, f"/mp/v1/engagements/{engagement_id}/deliver", desk, {"note": "申报材料已提交"})
    assert delivered.json["summary"]["confirm_due_at"] is not None
    confirmed = await post(mp, f"/mp/v1/engagements/{engagement_id}/confirm", token)
    assert confirmed.json["summary"]["status"] == "completed" and confirmed.json["can_rate"]

    missing = await post(mp, f"/mp/v1/engagements/{engagement_id}/rating", token,
                         {**RATING, "dimensions": {"专业能力": 5}})
    assert missing.status == 400 and missing.error["code"] == "dimensions_required"
    assert "响应速度" in missing.error["message"]
    member_rates = await post(mp, f"/mp/v1/engagements/{engagement_id}/rating", desk, RATING)
    assert member_rates.status == 403
    rated = await post(mp, f"/mp/v1/engagements/{engagement_id}/rating", token, RATING, key="r1")
    assert rated.status == 201, rated.text
    assert rated.json["counts"] and rated.json["comment_state"] == "已通过"
    twice = await post(mp, f"/mp/v1/engagements/{engagement_id}/rating", token, RATING)
    assert twice.status == 409 and twice.error["code"] == "already_rated"
    detail = await mp.call("GET", f"/mp/v1/engagements/{engagement_id}", token=token)
    assert [e["action"] for e in detail.json["timeline"]] == ["request", "accept", "deliver", "confirm"]
    assert detail.json["rating"]["overall"] == 5 and not detail.json["can_rate"]
    assert detail.json["requester_phone"] == "" or "****" in detail.json["requester_phone"]


async def test_concurrent_requests_make_one_open_engagement(mp) -> None:
    cast, token, _ = await people(mp)
    body = {"product_id": cast.product.id, "enterprise_id": cast.enterprise.id}
    replies = await asyncio.gather(*(post(mp, "/mp/v1/engagements", token, body, key=f"c{n}") for n in range(6)))
    assert sorted(r.status for r in replies) == [201] + [409] * 5
    assert {r.error["code"] for r in replies if r.status == 409} == {"engagement_open"}
    assert await Engagement.filter(enterprise_id=cast.enterprise.id).count() == 1


async def test_concurrent_ratings_make_one(mp, settings) -> None:
    cast, token, desk = await people(mp)
    created = await post(mp, "/mp/v1/engagements", token, {"product_id": cast.product.id,
                                                           "enterprise_id": cast.enterprise.id})
    engagement_id = created.json["summary"]["id"]
    await post(mp, f"/mp/v1/engagements/{engagement_id}/accept", desk)
    await post(mp, f"/mp/v1/engagements/{engagement_id}/deliver", desk, {"note": "已交付"})
    await post(mp, f"/mp/v1/engagements/{engagement_id}/confirm", token)
    replies = await asyncio.gather(*(post(mp, f"/mp/v1/engagements/{engagement_id}/rating", token,
                                          {**RATING, "comment": ""}, key=f"r{n}") for n in range(5)))
    assert sorted(r.status for r in replies) == [201] + [409] * 4
    assert await ProviderRating.filter(engagement_id=engagement_id).count() == 1


async def test_a_suspended_provider_and_a_withdrawn_product_are_refused_in_chinese(mp) -> None:
    cast, token, _ = await people(mp)
    body = {"product_id": cast.product.id, "enterprise_id": cast.enterprise.id}
    cast.product.is_active = False
    await cast.product.save()
    withdrawn = await post(mp, "/mp/v1/engagements", token, body)
    assert withdrawn.status == 400 and withdrawn.error["code"] == "product_unavailable"
    assert withdrawn.error["message"] == "该服务产品已下架，不能委托"
    cast.product.is_active = True
    await cast.product.save()
    cast.provider.status = ProviderStatus.suspended
    cast.provider.status_reason = "综合评分低于暂停阈值"
    await cast.provider.save()
    suspended = await post(mp, "/mp/v1/engagements", token, body)
    assert suspended.status == 400 and suspended.error["code"] == "provider_unavailable"
    assert "已被暂停服务（综合评分低于暂停阈值）" in suspended.error["message"]
    unbound = await post(mp, "/mp/v1/engagements", token, {**body, "enterprise_id": cast.enterprise.id + 999})
    assert unbound.status == 403 and unbound.error["code"] == "enterprise_access_denied"
    assert await Engagement.all().count() == 0


async def test_the_provider_cancels_accepted_work_and_the_enterprise_cannot_confirm_it(mp) -> None:
    cast, token, desk = await people(mp)
    created = await post(mp, "/mp/v1/engagements", token, {"product_id": cast.product.id,
                                                           "enterprise_id": cast.enterprise.id})
    engagement_id = created.json["summary"]["id"]
    assert (await post(mp, f"/mp/v1/engagements/{engagement_id}/cancel", desk, {"reason": "人手不足"})).status == 403
    await post(mp, f"/mp/v1/engagements/{engagement_id}/accept", desk)
    cancelled = await post(mp, f"/mp/v1/engagements/{engagement_id}/cancel", desk, {"reason": "人手不足"})
    assert cancelled.status == 200 and cancelled.json["summary"]["status"] == "cancelled"
    wrong = await post(mp, f"/mp/v1/engagements/{engagement_id}/confirm", token)
    assert wrong.status == 400 and wrong.error["code"] == "wrong_state"
    assert "服务订单当前状态为「已取消」" in wrong.error["message"]
    row = await Engagement.get(id=engagement_id)
    assert (row.status, row.closed_by_role, row.open_key) == (EngagementStatus.cancelled, "provider", None)
    stranger, _ = await mp.login()
    assert (await mp.call("GET", f"/mp/v1/engagements/{engagement_id}", token=stranger)).status == 404
    assert await WeChatUser.all().count() >= 3
