"""The provider's members are told about its review and standing by the `provider_status`
subscribe message, or — without a usable grant — by the official-account template message
`provider_status_progress` when they follow the account, through the outbox and the simulated
WeChat."""

from __future__ import annotations

import dataclasses

from app.identity.models import Follower, MiniProgramUser, WeChatUser
from app.notification.ledger import record_miniprogram_grants
from app.outbox.delivery import deliver_pending
from app.outbox.models import OutboxMessage
from app.provider import admission
from tests.appeal.notify_support import delivered

from .factories import draft, service_manager


async def test_members_with_a_grant_are_told_why(resources, wechat):
    settings = resources.settings.model_copy(update={"template_provider_status": "TPL_provider_status"})
    configured = dataclasses.replace(resources, settings=settings)
    owner, colleague = await WeChatUser.create(), await WeChatUser.create()
    await MiniProgramUser.create(user=owner, openid="mp-owner-1")
    await record_miniprogram_grants(openid="mp-owner-1", results={"TPL_provider_status": "accept"}, settings=settings)
    provider = await admission.apply(user=owner, draft=draft())
    await admission.join(user=colleague, code=provider.invite_code)

    await admission.review(staff=await service_manager(), provider_id=provider.id, action="request_info",
                           reason="请补充近三年服务合同")
    await deliver_pending(configured)

    sent = [m for m in await delivered(wechat, openid="mp-owner-1")
            if m["payload"].get("template_id") == "TPL_provider_status"]
    assert len(sent) == 1
    data = sent[0]["payload"]["data"]
    assert data["phrase2"]["value"] == "待补充材料" and data["thing3"]["value"].startswith("请补充：请补充近三年")
    results = sorted(await OutboxMessage.filter(topic="provider.notify_member").values_list("result", flat=True))
    assert results == ["sent:subscribe:provider_status", "skipped:no_grant"]  # the colleague granted nothing


def _both_configured(resources):
    settings = resources.settings.model_copy(update={"template_provider_status": "TPL_provider_status",
                                                     "template_provider_status_progress": "TPL_provider_status_progress"})
    return settings, dataclasses.replace(resources, settings=settings)


async def test_a_member_without_a_grant_who_follows_the_account_gets_the_template(resources, wechat):
    settings, configured = _both_configured(resources)
    owner = await WeChatUser.create()
    await MiniProgramUser.create(user=owner, openid="mp-owner-2")  # granted nothing
    await Follower.create(user=owner, openid="oa-owner-2", subscribed=True)
    provider = await admission.apply(user=owner, draft=draft())

    await admission.review(staff=await service_manager(), provider_id=provider.id, action="refuse",
                           reason="营业执照经营范围不含知识产权代理")
    await deliver_pending(configured)

    assert await delivered(wechat, openid="mp-owner-2") == []
    [sent] = await delivered(wechat, openid="oa-owner-2")
    assert sent["payload"]["template_id"] == "TPL_provider_status_progress"
    data = sent["payload"]["data"]
    assert data["thing1"]["value"] == provider.name
    assert data["phrase2"]["value"] == "未通过"
    assert data["thing3"]["value"].startswith("未通过：营业执照经营范围")
    assert f"/h5/providers/{provider.id}" in sent["payload"]["url"]
    results = await OutboxMessage.filter(topic="provider.notify_member").values_list("result", flat=True)
    assert results == ["sent:template:provider_status_progress"]


async def test_a_member_with_a_grant_gets_only_the_subscribe_message(resources, wechat):
    settings, configured = _both_configured(resources)
    owner = await WeChatUser.create()
    await MiniProgramUser.create(user=owner, openid="mp-owner-3")
    await Follower.create(user=owner, openid="oa-owner-3", subscribed=True)
    await record_miniprogram_grants(openid="mp-owner-3", results={"TPL_provider_status": "accept"}, settings=settings)
    provider = await admission.apply(user=owner, draft=draft())

    await admission.review(staff=await service_manager(), provider_id=provider.id, action="request_info",
                           reason="请补充近三年服务合同")
    await deliver_pending(configured)

    [sent] = await delivered(wechat, openid="mp-owner-3")
    assert sent["payload"]["template_id"] == "TPL_provider_status"
    assert await delivered(wechat, openid="oa-owner-3") == []


async def test_a_member_who_unfollowed_and_granted_nothing_is_not_messaged(resources, wechat):
    settings, configured = _both_configured(resources)
    owner = await WeChatUser.create()
    await Follower.create(user=owner, openid="oa-owner-4", subscribed=False)
    provider = await admission.apply(user=owner, draft=draft())

    await admission.review(staff=await service_manager(), provider_id=provider.id, action="admit", reason="")
    await deliver_pending(configured)

    assert await delivered(wechat, openid="oa-owner-4") == []
    results = await OutboxMessage.filter(topic="provider.notify_member").values_list("result", flat=True)
    assert results == ["skipped:no_grant"]
